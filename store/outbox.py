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

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from store.accounts import recipient_names
from store.case_view import CaseView
from store.db import is_postgres
from store.models import Case, OutboxMail
from store.outbox_limit import MEMBER, within_limit
from store.outbox_recovery import MAX_CLAIM
from store.registration import add_event, case_by_number, enqueue_mail
from store.registration_input import CaseRules
from store.vocabulary import Audience, Flag, MailKind, MailStatus, Status

# What the responder holds to open transactions, without importing SQLAlchemy.
SessionFactory = sessionmaker[Session]
DAY = timedelta(hours=24)
# The tables, for Core statements on the hot path (claim and record).
OUTBOX = OutboxMail.__table__
CASES = Case.__table__


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
    case: CaseView | None = None


def case_view_by_number(session: Session, number: str) -> CaseView:
    """The view of case `number`; NotFound when there is none."""
    return CaseView.of(case_by_number(session, number))


def _due(now: datetime) -> Any:
    return or_(
        and_(
            OutboxMail.status == MailStatus.PENDING, OutboxMail.next_attempt_at <= now
        ),
        and_(OutboxMail.status == MailStatus.SENDING, OutboxMail.claimed_until < now),
    )


def claim_due(
    session: Session,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    member_room: int | None = None,
) -> list[ClaimedMail]:
    """Mark up to `limit` due rows "sending" for `worker`; the caller commits.

    Never more than MAX_CLAIM rows (store/outbox_recovery.py): a worker that
    is killed holds back little. With `member_room` (what is left of the
    hourly limit, see store/outbox_limit.py), mails to members beyond it stay
    pending; mail to coordinators and operators is never held.

    Three statements for the batch (ids, one UPDATE, the rows with their
    cases) and no ORM objects: a claim is as cheap for 20 rows as for one.
    """
    ids = _claimable(session, now, min(limit, MAX_CLAIM), member_room)
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
    return with_cases(session, rows)


def with_cases(session: Session, rows: Sequence[Row[Any]]) -> list[ClaimedMail]:
    """Outbox rows as detached mails, each with the view of its case."""
    case_ids = {row.case_id for row in rows} - {None}
    cases = {}
    if case_ids:
        found = session.execute(select(CASES).where(CASES.c.id.in_(case_ids)))
        cases = {case.id: CaseView.of(case) for case in found}
    return [_claimed(row, cases.get(row.case_id)) for row in rows]


def _claimable(
    session: Session, now: datetime, limit: int, member_room: int | None
) -> list[int]:
    """The ids of up to `limit` due rows, oldest first, within the limit."""
    query = (
        select(OUTBOX.c.id, OUTBOX.c.audience)
        .where(_due(now))
        .order_by(OUTBOX.c.id)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    rows = [(row.id, row.audience) for row in session.execute(query)]
    ids, held = within_limit(rows, member_room)
    if held and len(rows) == limit:
        # Members' mail waits; mail to others behind it must not.
        others = (
            select(OUTBOX.c.id)
            .where(_due(now), OUTBOX.c.audience != MEMBER, OUTBOX.c.id > rows[-1][0])
            .order_by(OUTBOX.c.id)
            .limit(limit - len(ids))
        )
        if is_postgres(session):
            others = others.with_for_update(skip_locked=True)
        ids += list(session.scalars(others))
    return ids


def _claimed(row: Row[Any], case: CaseView | None) -> ClaimedMail:
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
    count_attempt: bool = True,
    **_ignored: Any,
) -> None:
    """A permanent failure: record it on the row and as an event on the case.

    The coordinators hear of it in one notice for the whole run
    (`queue_failure_notice`), not one mail per failure: an attacker who makes
    many acknowledgements fail must not fill their mailbox.
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


_SMTP_CODE = re.compile(r"^\s*([245]\d\d)(?:[ -]([245]\.\d{1,3}\.\d{1,3}))?")


def smtp_code(error: str) -> str:
    """Only the reply code of an SMTP error ("550 5.1.1"), never its text,
    which the receiving server (or the address) chose; "" when there is none."""
    found = _SMTP_CODE.match(error)
    if found is None:
        return ""
    return " ".join(part for part in found.groups() if part)


def queue_failure_notice(
    session: Session, rules: CaseRules, notify: list[str], mail_ids: list[int]
) -> bool:
    """One mail to the coordinators for the mails to members that failed in a
    run: their case numbers, kinds and SMTP codes, nothing a stranger wrote
    (no address, no server text). False when there is nothing to tell."""
    if not notify or not mail_ids:
        return False
    rows = session.execute(
        select(OutboxMail.id, OutboxMail.kind, OutboxMail.last_error, Case.number)
        .outerjoin(Case, Case.id == OutboxMail.case_id)
        .where(OutboxMail.id.in_(mail_ids), OutboxMail.audience == Audience.MEMBER)
        .order_by(OutboxMail.id)
    ).all()
    if not rows:
        return False
    failures = [
        {"case_number": number or "-", "kind": kind, "code": smtp_code(error or "")}
        for _, kind, error, number in rows
    ]
    enqueue_mail(
        session,
        rules,
        kind=MailKind.DELIVERY_FAILED,
        audience=Audience.COORDINATOR,
        template="delivery_failed",
        language="nl",
        recipients=list(notify),
        dedupe_key=f"delivery_failed:{rows[0].id}-{rows[-1].id}-{len(rows)}",
        context={
            "failures": failures,
            "count": len(failures),
            "recipients": recipient_names(session, list(notify)),
        },
    )
    return True


def mark_letter_sent(
    session: Session, number: str, *, now: datetime, actor: str
) -> CaseView:
    """The acknowledgement went by post: stamp the case and clear the flag."""
    case = case_by_number(session, number, lock=True)
    case.letter_sent_at = now
    case.flags = sorted(set(case.flags or ()) - {Flag.AWAITING_LETTER})
    if case.acknowledged_at is None:
        case.acknowledged_at = now
    if case.status == Status.REGISTERED:
        case.status = Status.ACKNOWLEDGED
    add_event(session, "letter_sent", case=case, actor=actor)
    return CaseView.of(case)


def _row(session: Session, mail_id: int) -> OutboxMail:
    row = session.get(OutboxMail, mail_id, with_for_update=is_postgres(session))
    if row is None:  # pragma: no cover - rows are never deleted
        raise LookupError(f"outbox row {mail_id} vanished")
    return row


def _case(session: Session, row: OutboxMail) -> Case | None:
    return session.get(Case, row.case_id) if row.case_id is not None else None
