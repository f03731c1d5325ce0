"""Retention: the personal data of cases closed long ago is erased.

Three kinds of thing are due once `[privacy] retention_years` have passed
(counted by the calendar: closed on 10 March 2020 with 5 years, a case is
purged from 11 March 2025):

- a closed case, from its `closed_at`;
- a reclassified case (question, staff, spam, duplicate: `case reclassify`
  or a merge), from its reclassification, the time of its latest
  `reclassified` or `merged_into` event (such a case has no `closed_at`; the
  audit trail dates it, so no column and no migration is needed);
- a stored message of no case (quarantine, bounces, auto-replies and other
  mail that is not a complaint), from its `received_at`.

Each loses its personal data exactly as on a member's request
(store/erasure.py, the one write path): raw mail and texts go, keyed hashes
of the Message-ID and sha256 stay, so `reconcile` never brings the mail
back. Number, dates, channel, category, cause, service, measure, outcome,
office and deadlines stay, so the yearly report of a purged year gives the
same figures. The daemon runs `purge` daily; `klachten purge` runs it by
hand. Idempotent: an erased case carries the `erased` flag and an erased
message an `erased:` dedupe key, and neither is chosen again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from store.erasure import erase_cases
from store.models import Case, Event, Message
from store.privacy_keys import ERASED_PREFIX
from store.vocabulary import OPEN_STATUSES, Flag, Status

RETENTION_ACTOR = "retention"
BATCH = 500
# The audit events that make a case "reclassified" (store/reclassify.py).
RECLASSIFYING_EVENTS = ("reclassified", "merged_into")


class LooseMessage(NamedTuple):
    """A message of no case due for purging: nothing personal about it."""

    id: int
    klass: str
    received_at: datetime


@dataclass(frozen=True)
class Purged:
    """What was purged (or, in a dry run, would be) and the cut-off."""

    cutoff: datetime
    cases: tuple[str, ...]
    messages: tuple[LooseMessage, ...] = ()


def retention_cutoff(now: datetime, years: int) -> datetime:
    """`now` moved back `years` calendar years (29 February: the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def reclassified_at() -> ColumnElement[datetime]:
    """When the case was reclassified: its latest reclassifying event."""
    return (
        select(func.max(Event.at))
        .where(Event.case_id == Case.id, Event.kind.in_(RECLASSIFYING_EVENTS))
        .correlate(Case)
        .scalar_subquery()
    )


def due_for_purge(session: Session, cutoff: datetime) -> list[Case]:
    """Closed or reclassified before `cutoff`, not open, not erased yet; in
    number order."""
    erased = cast(Case.flags, String).like(f'%"{Flag.ERASED}"%')
    closed = and_(
        Case.status != Status.RECLASSIFIED,
        Case.status.not_in(OPEN_STATUSES),
        Case.closed_at.is_not(None),
        Case.closed_at < cutoff,
    )
    reclassified = and_(Case.status == Status.RECLASSIFIED, reclassified_at() < cutoff)
    statement = (
        select(Case)
        .where(or_(closed, reclassified), ~erased)
        .order_by(Case.year, Case.seq)
    )
    return list(session.scalars(statement))


def loose_due_for_purge(session: Session, cutoff: datetime) -> list[Message]:
    """Messages of no case received before `cutoff`, not erased yet."""
    statement = (
        select(Message)
        .where(
            Message.case_id.is_(None),
            Message.received_at < cutoff,
            ~Message.dedupe_key.startswith(ERASED_PREFIX),
        )
        .order_by(Message.received_at, Message.id)
    )
    return list(session.scalars(statement))


def purge(
    session: Session,
    *,
    now: datetime,
    years: int,
    dry_run: bool = False,
    actor: str = RETENTION_ACTOR,
) -> Purged:
    """Erase the personal data of everything due (nothing in a dry run)."""
    cutoff = retention_cutoff(now, years)
    cases = due_for_purge(session, cutoff)
    loose = loose_due_for_purge(session, cutoff)
    if not dry_run:
        closed = [c for c in cases if c.status != Status.RECLASSIFIED]
        others = [c for c in cases if c.status == Status.RECLASSIFIED]
        _erase(session, closed, (), actor, f"closed more than {years} years ago")
        _erase(session, others, (), actor, f"reclassified more than {years} years ago")
        _erase(session, (), loose, actor, f"received more than {years} years ago")
    return Purged(
        cutoff,
        tuple(case.number for case in cases),
        tuple(LooseMessage(m.id, m.klass, m.received_at) for m in loose),
    )


def _erase(
    session: Session,
    cases: Sequence[Case],
    loose: Sequence[Message],
    actor: str,
    reason: str,
) -> None:
    """`erase_cases` in batches of `BATCH` cases or messages."""
    for start in range(0, max(len(cases), len(loose)), BATCH):
        erase_cases(
            session,
            cases[start : start + BATCH],
            loose[start : start + BATCH],
            actor=actor,
            reason=reason,
            how="retention",
        )
