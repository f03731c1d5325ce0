"""Retention: the personal data of cases closed long ago is erased.

A case closed more than `[privacy] retention_years` ago (its `closed_at`;
the years counted by the calendar: closed on 10 March 2020 with 5 years, it
is purged from 11 March 2025) loses its personal data exactly as on a
member's request (store/erasure.py, the one write path); number, dates,
channel, category, cause, service, measure, outcome, office and deadlines
stay, so
the yearly report of a purged year gives the same figures. The daemon runs
`purge` daily; `klachten purge` runs it by hand. Idempotent: an erased case
carries the `erased` flag and is not chosen again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from store.erasure import erase_cases
from store.models import Case
from store.vocabulary import OPEN_STATUSES, Flag

RETENTION_ACTOR = "retention"
BATCH = 500


@dataclass(frozen=True)
class Purged:
    """The cases purged (or, in a dry run, that would be) and the cut-off."""

    cutoff: datetime
    cases: tuple[str, ...]


def retention_cutoff(now: datetime, years: int) -> datetime:
    """`now` moved back `years` calendar years (29 February: the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def due_for_purge(session: Session, cutoff: datetime) -> list[Case]:
    """Closed before `cutoff`, not open, not erased yet; in number order."""
    erased = cast(Case.flags, String).like(f'%"{Flag.ERASED}"%')
    statement = (
        select(Case)
        .where(
            Case.closed_at.is_not(None),
            Case.closed_at < cutoff,
            Case.status.not_in(OPEN_STATUSES),
            ~erased,
        )
        .order_by(Case.year, Case.seq)
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
    """Erase the personal data of every case due (none in a dry run)."""
    cutoff = retention_cutoff(now, years)
    cases = due_for_purge(session, cutoff)
    if not dry_run:
        for start in range(0, len(cases), BATCH):
            erase_cases(
                session,
                cases[start : start + BATCH],
                actor=actor,
                reason=f"closed more than {years} years ago",
                how="retention",
            )
    return Purged(cutoff, tuple(case.number for case in cases))
