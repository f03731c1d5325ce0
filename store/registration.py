"""Registration: the only code that creates cases (with `store.inbound`).

Cases that did not come by mail (post, oral) are registered here, one at a
time through the ORM; inbound mail is registered in batches by
`store.inbound`, which shares the case columns, the threading of the
acknowledgement and the audit vocabulary defined here. Everything happens in
the caller's transaction: either all of it commits or none of it does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store import deadlines
from store.errors import NotFound
from store.models import (
    Attachment,
    Case,
    Event,
    Message,
    OutboxMail,
    utcnow,
)
from store.numbering import format_number, next_seq
from store.registration_input import AttachmentRecord, CaseRules, InboundRecord, NewCase
from store.vocabulary import Audience, MailKind, MailStatus, Status

SYSTEM_ACTOR = "klachten"


def open_case(
    session: Session,
    rules: CaseRules,
    new: NewCase,
    *,
    message: Message | None = None,
    actor: str = SYSTEM_ACTOR,
) -> Case:
    """Number a new case and set its clocks from the received time."""
    year = deadlines.local_date(new.received_at, rules.timezone).year
    seq = next_seq(session, year)
    number = format_number(rules.number_format, year, seq)
    case = Case(**case_row(rules, new, number, year, seq))
    session.add(case)
    add_event(
        session,
        "registered",
        case=case,
        message=message,
        actor=actor,
        channel=new.channel,
        received_at=new.received_at.isoformat(),
    )
    return case


def case_by_number(session: Session, number: str, *, lock: bool = False) -> Case:
    statement = select(Case).where(Case.number == number)
    if lock:
        statement = statement.with_for_update()
    case = session.scalars(statement).first()
    if case is None:
        raise NotFound(f"no case with number {number}")
    return case


def add_event(
    session: Session,
    kind: str,
    /,
    *,
    case: Case | None = None,
    message: Message | None = None,
    actor: str = SYSTEM_ACTOR,
    **details: Any,
) -> Event:
    """Append to the audit trail (`kind` is positional: details may use "kind")."""
    event = Event(kind=kind, actor=actor, details=details, at=utcnow())
    event.case = case
    event.message = message
    session.add(event)
    return event


def new_message_id(domain: str) -> str:
    return f"{uuid.uuid4().hex}@{domain}"


def enqueue_acknowledgement(
    session: Session,
    rules: CaseRules,
    case: Case,
    recipient: str,
    record: InboundRecord | None = None,
) -> OutboxMail:
    """Queue the case's one acknowledgement (unique key "ack:<case number>")."""
    in_reply_to, references = acknowledgement_threading(record)
    return enqueue_mail(
        session,
        rules,
        kind=MailKind.ACKNOWLEDGEMENT,
        audience=Audience.MEMBER,
        template="acknowledgement",
        language=case.language,
        recipients=[recipient],
        case=case,
        dedupe_key=f"ack:{case.number}",
        in_reply_to=in_reply_to,
        references=references,
    )


def acknowledgement_threading(
    record: InboundRecord | None,
) -> tuple[str | None, str | None]:
    """In-Reply-To and References of the acknowledgement of `record`."""
    if record is None or not record.message_id:
        return None, None
    in_reply_to = f"<{record.message_id}>"
    references = " ".join(
        part for part in ((record.references or ""), in_reply_to) if part
    )
    return in_reply_to, references


def enqueue_mail(
    session: Session,
    rules: CaseRules,
    *,
    kind: str,
    audience: str,
    template: str,
    language: str,
    recipients: list[str],
    case: Case | None = None,
    context: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
) -> OutboxMail:
    """Write one outbox row; the responder renders and sends it later."""
    mail = OutboxMail(
        kind=kind,
        audience=audience,
        template=template,
        language=language,
        recipients=recipients,
        recipient=recipients[0].strip().lower() if recipients else None,
        context=context or {},
        dedupe_key=dedupe_key,
        message_id=new_message_id(rules.message_id_domain),
        in_reply_to=in_reply_to,
        references=references,
        status=MailStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    mail.case = case
    session.add(mail)
    return mail


def is_conflict(error: IntegrityError) -> bool:
    """True when an insert lost a race on a unique key (a duplicate)."""
    text = str(error.orig).lower()
    return "unique" in text or "duplicate key" in text


def register_case(
    session: Session,
    rules: CaseRules,
    new: NewCase,
    *,
    attachments: tuple[AttachmentRecord, ...] = (),
    acknowledge_to: str | None = None,
    actor: str = SYSTEM_ACTOR,
) -> Case:
    """Register a complaint that did not come by e-mail (post, oral, ...)."""
    case = open_case(session, rules, new, actor=actor)
    add_attachments(session, case, attachments)
    if new.status == Status.CLOSED:
        case.closed_at = utcnow()
        add_event(session, "closed", case=case, actor=actor, handled_immediately=True)
    if acknowledge_to:
        enqueue_acknowledgement(session, rules, case, acknowledge_to)
    session.flush()
    return case


def add_attachments(
    session: Session,
    case: Case,
    records: Sequence[AttachmentRecord],
    extra_flags: Sequence[str] = (),
) -> None:
    """Keep files handed in outside a mail (a scanned letter, a confirmation)."""
    for item in records:
        session.add(
            Attachment(
                case=case,
                filename=item.filename,
                content_type=item.content_type,
                size=item.size,
                sha256=item.sha256,
                data=item.data,
                flags=sorted({*item.flags, *extra_flags}),
            )
        )


def case_row(
    rules: CaseRules, new: NewCase, number: str, year: int, seq: int
) -> dict[str, Any]:
    """The columns of a new case: its number and its clocks."""
    member = new.member
    return {
        "number": number,
        "year": year,
        "seq": seq,
        "status": new.status,
        "channel": new.channel,
        "received_at": new.received_at,
        "ack_due": deadlines.due(
            new.received_at, rules.ack_days, rules.timezone, rules.day_kind
        ),
        "answer_due": deadlines.due(
            new.received_at, rules.answer_days, rules.timezone, rules.day_kind
        ),
        "member_name": member.name,
        "member_email": member.email,
        "member_phone": member.phone,
        "member_street": member.street,
        "member_postcode": member.postcode,
        "member_city": member.city,
        "member_number": member.member_number,
        "member_insz": member.insz,
        "member_insz_valid": member.insz_valid,
        "subject": new.subject,
        "description": new.description,
        "desired_solution": new.desired_solution,
        "language": new.language,
        "category": new.category,
        "regional_office": new.regional_office,
        "flags": sorted(set(new.flags)),
        "created_at": utcnow(),
    }
