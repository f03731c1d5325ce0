"""The store side of reminders: which cases are open, what was sent, recording.

The planning itself (which reminder is due for whom) is pure and lives in
responder/reminder_plan.py; this module only reads the facts it needs and writes
its decisions. A reminder mail and the rows that say "sent" for each of its
cases are written in one transaction, under a lock that serialises the job
between processes, so a reminder goes out once even with two instances.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, or_, select, text
from sqlalchemy.orm import Session

from store.case_view import CASES, CaseView
from store.db import is_postgres
from store.models import Event, ReminderSent, ServiceState, utcnow
from store.registration import enqueue_mail
from store.registration_input import CaseRules
from store.vocabulary import (
    OPEN_STATUSES,
    Audience,
    Flag,
    MailKind,
    Status,
)

# Flags of a returned acknowledgement or answer (store/bounces.py).
BOUNCE_FLAGS = (Flag.ACK_BOUNCED, Flag.ANSWER_BOUNCED)
# Flags that put a case in the reminder whatever its status.
LISTED_FLAGS = (*BOUNCE_FLAGS, Flag.MEMBER_REPLIED)

# pg_advisory_xact_lock key of the reminder job ("klachten" + 1, arbitrary).
REMINDERS_LOCK = 0x6B6C6163687401
DIGEST_STATE_KEY = "reminders.digest"
COORDINATOR_LANGUAGE = "nl"

SentKey = tuple[int, str, str, str]
"""(case id, kind, threshold, recipient): one reminder, once."""


@dataclass(frozen=True)
class ReminderMail:
    """One grouped mail to record: its cases and the context it renders."""

    recipient: str
    language: str
    keys: tuple[SentKey, ...]
    context: dict[str, Any]


def lock_job(session: Session) -> None:
    """Serialise the reminder job for the rest of this transaction.

    PostgreSQL: a transaction-level advisory lock, released at commit. SQLite:
    every transaction begins IMMEDIATE (store/db.py), which already holds the
    one write lock; the first statement takes it.
    """
    if is_postgres(session):
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": REMINDERS_LOCK}
        )
    else:
        session.execute(select(1))


def open_cases(session: Session) -> list[CaseView]:
    """Every case still open (not answered, not closed), by answer deadline.

    Rows, not ORM objects: the job reads every open case at each run.
    """
    rows = session.execute(
        select(CASES)
        .where(CASES.c.status.in_(OPEN_STATUSES))
        .order_by(CASES.c.answer_due, CASES.c.id)
    )
    return [CaseView.of(row) for row in rows]


def flagged_cases(session: Session) -> list[CaseView]:
    """Cases whose acknowledgement or answer came back, or whose member wrote
    again after the answer, whatever their status (an answered case too)."""
    text = cast(CASES.c.flags, String)
    rows = session.execute(
        select(CASES)
        .where(CASES.c.status != Status.RECLASSIFIED)
        .where(or_(*(text.like(f'%"{flag.value}"%') for flag in LISTED_FLAGS)))
        .order_by(CASES.c.answer_due, CASES.c.id)
    )
    return [CaseView.of(row) for row in rows]


def replied_cases(session: Session) -> list[tuple[CaseView, datetime | None]]:
    """Cases whose member wrote again after the answer and nobody has acted
    on since (flag `member_replied`), with the time of the latest such reply
    (its `member_replied` event; None when the trail has none)."""
    text = cast(CASES.c.flags, String)
    rows = session.execute(
        select(CASES)
        .where(CASES.c.status != Status.RECLASSIFIED)
        .where(text.like(f'%"{Flag.MEMBER_REPLIED.value}"%'))
        .order_by(CASES.c.id)
    )
    cases = [CaseView.of(row) for row in rows]
    if not cases:
        return []
    latest = dict(
        session.execute(
            select(Event.case_id, func.max(Event.at))
            .where(Event.kind == Flag.MEMBER_REPLIED.value)
            .where(Event.case_id.in_([case.id for case in cases]))
            .group_by(Event.case_id)
        ).all()
    )
    return [(case, latest.get(case.id)) for case in cases]


def reminder_cases(session: Session) -> list[CaseView]:
    """What the reminder job looks at: the open cases and the flagged ones."""
    cases = open_cases(session)
    seen = {case.id for case in cases}
    return cases + [case for case in flagged_cases(session) if case.id not in seen]


def sent_keys(session: Session, case_ids: Iterable[int]) -> set[SentKey]:
    """The reminders already recorded (sent or deliberately skipped)."""
    ids = list(case_ids)
    if not ids:
        return set()
    rows = session.execute(
        select(
            ReminderSent.case_id,
            ReminderSent.kind,
            ReminderSent.threshold,
            ReminderSent.recipient,
        ).where(ReminderSent.case_id.in_(ids))
    )
    return {(r[0], r[1], r[2], r[3]) for r in rows}


def record_mail(
    session: Session, rules: CaseRules, mail: ReminderMail, now: datetime
) -> int:
    """Queue one recipient's reminder and mark each of its (case, threshold)
    keys as reminded."""
    outbox = enqueue_mail(
        session,
        rules,
        kind=MailKind.REMINDER,
        audience=Audience.COORDINATOR,
        template="reminder",
        language=mail.language,
        recipients=[mail.recipient],
        context=mail.context,
        dedupe_key=_dedupe_key(
            "reminder",
            mail.recipient,
            *sorted(f"{i}:{kind}:{threshold}" for i, kind, threshold, _ in mail.keys),
        ),
    )
    session.flush()
    _mark(session, mail.keys, outbox.id, now)
    return outbox.id


def record_skipped(session: Session, keys: Iterable[SentKey], now: datetime) -> None:
    """Mark thresholds passed during downtime as done, so they never go out."""
    _mark(session, keys, None, now)


def _mark(
    session: Session, keys: Iterable[SentKey], outbox_id: int | None, now: datetime
) -> None:
    for case_id, kind, threshold, recipient in keys:
        session.add(
            ReminderSent(
                case_id=case_id,
                kind=kind,
                threshold=threshold,
                recipient=recipient,
                outbox_id=outbox_id,
                sent_at=now,
            )
        )


def _dedupe_key(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts[1:]).encode()).hexdigest()[:40]
    return f"{parts[0]}:{digest}"


def digest_week_sent(session: Session) -> str | None:
    """The ISO week ("2026-W14") of the last weekly digest, if any."""
    state = session.get(ServiceState, DIGEST_STATE_KEY)
    return None if state is None else state.value.get("week")


def record_digest(
    session: Session,
    rules: CaseRules,
    week: str,
    recipients: Mapping[str, tuple[str, str]],
    context: dict[str, Any],
    now: datetime,
) -> int:
    """Queue this week's digest to each recipient (address -> their language
    and the name it greets) and remember the week."""
    count = 0
    for recipient, (language, name) in recipients.items():
        enqueue_mail(
            session,
            rules,
            kind=MailKind.DIGEST,
            audience=Audience.COORDINATOR,
            template="digest",
            language=language,
            recipients=[recipient],
            context={**context, "recipient_name": name},
            dedupe_key=_dedupe_key("digest", week, recipient),
        )
        count += 1
    state = session.get(ServiceState, DIGEST_STATE_KEY)
    if state is None:
        state = ServiceState(key=DIGEST_STATE_KEY)
        session.add(state)
    state.value = {"week": week, "sent_at": now.isoformat(), "mails": count}
    state.updated_at = utcnow()
    return count
