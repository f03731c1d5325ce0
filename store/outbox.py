"""The outbox seen from the delivery worker: claim due mails, then mark each one.

Claiming is its own short transaction that commits *before* any SMTP traffic:
rows move to "sending" with a lease (`claimed_until`). On PostgreSQL the claim
uses `SELECT ... FOR UPDATE SKIP LOCKED`, so two workers never claim the same
row; on SQLite every transaction begins with BEGIN IMMEDIATE, which already
serialises writers.

Delivery is at least once: a worker that dies after the SMTP server accepted a
mail but before its `record_batch` (store/delivery_results.py) committed leaves
the row in "sending"; another run sends it again with the same Message-ID, so
the member's mail program can recognise the duplicate. That run takes the row
back at once when the dead worker was a process of its own host
(store/outbox_recovery.py), else when the lease runs out.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from store.db import is_postgres
from store.models import Case, OutboxMail
from store.outbox_recovery import MAX_CLAIM
from store.registration import add_event, case_by_number, enqueue_mail
from store.registration_input import CaseRules
from store.views import member_dict
from store.vocabulary import Audience, Flag, MailKind, MailStatus, Status

# What the responder holds to open transactions, without importing SQLAlchemy.
SessionFactory = sessionmaker[Session]
DAY = timedelta(hours=24)
# The tables, for Core statements on the hot path (claim and record).
OUTBOX = OutboxMail.__table__
CASES = Case.__table__


@dataclass(frozen=True)
class CaseFacts:
    """What templates and the delivery policy need to know about a case."""

    id: int
    number: str
    status: str
    channel: str
    language: str
    flags: tuple[str, ...]
    received_at: datetime
    ack_due: datetime
    answer_due: datetime
    subject: str | None
    member: dict[str, Any]
    letter_sent_at: datetime | None = None


@dataclass(frozen=True)
class ClaimedMail:
    """One claimed outbox row, detached from the session that claimed it."""

    id: int
    kind: str
    audience: str
    template: str
    language: str
    recipients: tuple[str, ...]
    context: dict[str, Any]
    message_id: str
    in_reply_to: str | None
    references: str | None
    attempts: int
    case: CaseFacts | None = None


def case_facts(case: Case | Row[Any]) -> CaseFacts:
    """From a Case or a row of the cases table (same names)."""
    return CaseFacts(
        id=case.id,
        number=case.number,
        status=case.status,
        channel=case.channel,
        language=case.language,
        flags=tuple(case.flags or ()),
        received_at=case.received_at,
        ack_due=case.ack_due,
        answer_due=case.answer_due,
        subject=case.subject,
        member=member_dict(case),
        letter_sent_at=case.letter_sent_at,
    )


def case_facts_by_number(session: Session, number: str) -> CaseFacts:
    """The facts of case `number`; NotFound when there is none."""
    return case_facts(case_by_number(session, number))


def _due(now: datetime) -> Any:
    return or_(
        and_(
            OutboxMail.status == MailStatus.PENDING, OutboxMail.next_attempt_at <= now
        ),
        and_(OutboxMail.status == MailStatus.SENDING, OutboxMail.claimed_until < now),
    )


def claim_due(
    session: Session, *, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[ClaimedMail]:
    """Mark up to `limit` due rows "sending" for `worker`; the caller commits.

    Never more than MAX_CLAIM rows (store/outbox_recovery.py): a worker that
    is killed holds back little. Three statements for the batch (ids, one
    UPDATE, the rows with their cases) and no ORM objects: a claim is as cheap
    for 20 rows as for one.
    """
    limit = min(limit, MAX_CLAIM)
    query = select(OUTBOX.c.id).where(_due(now)).order_by(OUTBOX.c.id).limit(limit)
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(ids))
        .values(status=MailStatus.SENDING, claimed_by=worker, claimed_until=now + lease)
    )
    rows = session.execute(
        select(OUTBOX).where(OUTBOX.c.id.in_(ids)).order_by(OUTBOX.c.id)
    ).all()
    case_ids = {row.case_id for row in rows} - {None}
    cases = {}
    if case_ids:
        found = session.execute(select(CASES).where(CASES.c.id.in_(case_ids)))
        cases = {case.id: case_facts(case) for case in found}
    return [_claimed(row, cases.get(row.case_id)) for row in rows]


def _claimed(row: Row[Any], case: CaseFacts | None) -> ClaimedMail:
    return ClaimedMail(
        id=row.id,
        kind=row.kind,
        audience=row.audience,
        template=row.template,
        language=row.language,
        recipients=tuple(row.recipients or ()),
        context=dict(row.context or {}),
        message_id=row.message_id,
        in_reply_to=row.in_reply_to,
        references=row.references,
        attempts=row.attempts,
        case=case,
    )


def release(session: Session, ids: list[int]) -> None:
    """Give claimed rows back untouched (no attempt counted): a run that stops
    early must not leave them waiting for their lease."""
    for row in session.scalars(select(OutboxMail).where(OutboxMail.id.in_(ids))):
        if row.status == MailStatus.SENDING:
            row.status = MailStatus.PENDING
            row.claimed_by = None
            row.claimed_until = None


@dataclass(frozen=True)
class RecentAck:
    """An acknowledgement that counts towards its address's daily limit."""

    id: int
    recipient: str
    sending: bool  # claimed and on its way, not yet recorded as sent


def recent_acknowledgements(
    session: Session, recipients: Collection[str], *, now: datetime, below_id: int
) -> list[RecentAck]:
    """Acknowledgements to any of `recipients` (lower-cased) sent in the last 24
    hours, and those being sent now with an id below `below_id`.

    One indexed query for a whole batch (ix_outbox_ack_recipient); the caller
    counts per mail, so a batch counts in a fixed order.
    """
    if not recipients:
        return []
    rows = session.execute(
        select(OutboxMail.id, OutboxMail.recipient, OutboxMail.status).where(
            OutboxMail.kind == MailKind.ACKNOWLEDGEMENT,
            OutboxMail.recipient.in_(sorted(recipients)),
            or_(
                and_(
                    OutboxMail.status == MailStatus.SENT, OutboxMail.sent_at > now - DAY
                ),
                and_(OutboxMail.status == MailStatus.SENDING, OutboxMail.id < below_id),
            ),
        )
    ).all()
    return [
        RecentAck(i, r or "", status == MailStatus.SENDING) for i, r, status in rows
    ]


def mark_retry(
    session: Session, mail_id: int, *, error: str, next_attempt_at: datetime
) -> int:
    """A temporary failure: count the attempt and wait; returns the attempts."""
    row = _row(session, mail_id)
    row.attempts += 1
    row.status = MailStatus.PENDING
    row.next_attempt_at = next_attempt_at
    row.claimed_by = None
    row.claimed_until = None
    row.last_error = error
    return row.attempts


def mark_failed(
    session: Session,
    mail_id: int,
    *,
    error: str,
    notify: list[str],
    rules: CaseRules,
    count_attempt: bool = True,
) -> None:
    """A permanent failure: record it on the case and tell the coordinators once.

    Only mail to members leads to a notice; a failed notice to a coordinator
    only fails, so a broken coordinator address cannot start a loop.
    """
    row = _row(session, mail_id)
    row.status = MailStatus.FAILED
    row.attempts += 1 if count_attempt else 0
    row.claimed_until = None
    row.last_error = error
    if row.audience != Audience.MEMBER:
        return
    case = _case(session, row)
    if case is not None:
        add_event(
            session, f"{row.kind}_failed", case=case, outbox_id=row.id, reply=error
        )
    _notify_failure(session, row, case, error, notify, rules)


def _notify_failure(
    session: Session,
    row: OutboxMail,
    case: Case | None,
    error: str,
    notify: list[str],
    rules: CaseRules,
) -> None:
    key = f"delivery_failed:{row.id}"
    exists = session.scalars(select(OutboxMail.id).where(OutboxMail.dedupe_key == key))
    if not notify or exists.first() is not None:
        return
    enqueue_mail(
        session,
        rules,
        kind=MailKind.DELIVERY_FAILED,
        audience=Audience.COORDINATOR,
        template="delivery_failed",
        language="nl",
        recipients=list(notify),
        case=case,
        dedupe_key=key,
        context={
            "case_number": case.number if case is not None else "-",
            "kind": row.kind,
            "recipient": ", ".join(row.recipients),
            "smtp_reply": error,
        },
    )


def mark_letter_sent(
    session: Session, number: str, *, now: datetime, actor: str
) -> CaseFacts:
    """The acknowledgement went by post: stamp the case and clear the flag."""
    case = case_by_number(session, number, lock=True)
    case.letter_sent_at = now
    case.flags = sorted(set(case.flags or ()) - {Flag.AWAITING_LETTER})
    if case.acknowledged_at is None:
        case.acknowledged_at = now
    if case.status == Status.REGISTERED:
        case.status = Status.ACKNOWLEDGED
    add_event(session, "letter_sent", case=case, actor=actor)
    return case_facts(case)


def _row(session: Session, mail_id: int) -> OutboxMail:
    row = session.get(OutboxMail, mail_id, with_for_update=is_postgres(session))
    if row is None:  # pragma: no cover - rows are never deleted
        raise LookupError(f"outbox row {mail_id} vanished")
    return row


def _case(session: Session, row: OutboxMail) -> Case | None:
    return session.get(Case, row.case_id) if row.case_id is not None else None
