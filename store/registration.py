"""Registration: the only code that creates cases and stores inbound messages.

Everything for one message happens in the caller's transaction: the raw
message, the case (with its number), its attachments and form fields, the audit
events and the outbox row of the acknowledgement. Either all of it commits or
none of it does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store import deadlines
from store.errors import NotFound
from store.models import (
    Attachment,
    Case,
    Event,
    FormFieldValue,
    Message,
    OutboxMail,
    utcnow,
)
from store.numbering import format_number, next_seq
from store.records import AttachmentRecord, CaseRules, InboundRecord, NewCase

SYSTEM_ACTOR = "klachten"


@dataclass(frozen=True)
class Registered:
    """What registration did with one message."""

    message_id: int
    outcome: str  # "case", "follow_up", "stored", "duplicate"
    case_number: str | None = None


def find_duplicate(session: Session, record: InboundRecord) -> Registered | None:
    """The stored message this record repeats (same key, or same IMAP UID)."""
    same = Message.dedupe_key == record.dedupe_key
    if record.uid is not None:
        same = or_(
            same,
            and_(
                Message.mailbox == record.mailbox,
                Message.uidvalidity == record.uidvalidity,
                Message.uid == record.uid,
            ),
        )
    # Columns, not the entity: this runs for every message and is usually empty.
    row = session.execute(
        select(Message.id, Case.number)
        .outerjoin(Case, Case.id == Message.case_id)
        .where(same)
        .limit(1)
    ).first()
    return None if row is None else Registered(row[0], "duplicate", row[1])


def register_inbound(
    session: Session, rules: CaseRules, record: InboundRecord
) -> Registered:
    """Store `record` and open or extend its case; idempotent on the message key.

    A concurrent registration of the same message by another process surfaces
    as an IntegrityError on the unique key; the caller rolls back and retries,
    and the retry finds the duplicate.
    """
    duplicate = find_duplicate(session, record)
    if duplicate is not None:
        return duplicate
    message = _store_message(session, record)
    session.flush()  # takes the unique key before the year's number is locked
    if record.new_case is not None:
        case = open_case(session, rules, record.new_case, message=message)
        _attach(session, case, message, record)
        if record.acknowledge_to:
            enqueue_acknowledgement(session, rules, case, record.acknowledge_to, record)
        session.flush()  # one flush for all of it; callers may want the ids
        return Registered(message.id, "case", case.number)
    if record.follow_up_number is not None:
        case = case_by_number(session, record.follow_up_number, lock=True)
        _attach(session, case, message, record)
        add_event(session, "follow_up_received", case=case, message=message)
        if case.status == "awaiting_confirmation":
            _confirm_by_mail(session, case, message, record)
        return Registered(message.id, "follow_up", case.number)
    for extra in record.events:
        add_event(session, extra.kind, message=message, **extra.details)
    return Registered(message.id, "stored")


def _confirm_by_mail(
    session: Session, case: Case, message: Message, record: InboundRecord
) -> None:
    """A mail joining an oral complaint that waits for it is the confirmation."""
    from store.lifecycle import confirm_case  # lifecycle imports this module

    names = [a.filename for a in message.attachments]
    confirm_case(
        session, case, record.received_at, SYSTEM_ACTOR, attachments=names, via="mail"
    )


def _store_message(session: Session, record: InboundRecord) -> Message:
    message = Message(
        dedupe_key=record.dedupe_key,
        message_id=record.message_id,
        sha256=record.sha256,
        mailbox=record.mailbox,
        uidvalidity=record.uidvalidity,
        uid=record.uid,
        source=record.source,
        received_at=record.received_at,
        sender=record.sender,
        subject=record.subject,
        klass=record.klass,
        reason=record.reason,
        language=record.language,
        in_reply_to=record.in_reply_to,
        references=record.references,
        body_text=record.body_text,
        new_text=record.new_text,
        size=record.size if record.size is not None else len(record.raw),
        raw=record.raw,
        raw_complete=record.raw_complete,
        error=record.error,
        attempts=1 if record.error else 0,
        # Given at construction, so reading it later never costs a SELECT.
        attachments=[
            Attachment(
                filename=item.filename,
                content_type=item.content_type,
                size=item.size,
                sha256=item.sha256,
                data=item.data,
                flags=list(item.flags),
            )
            for item in record.attachments
        ],
    )
    session.add(message)
    return message


def _attach(
    session: Session, case: Case, message: Message, record: InboundRecord
) -> None:
    message.case = case
    for attachment in message.attachments:
        attachment.case = case
    for item in record.form_fields:
        session.add(
            FormFieldValue(
                case=case,
                key=item.key,
                value=item.value,
                source=item.source,
                origin=item.origin,
            )
        )
    for extra in record.events:
        add_event(session, extra.kind, case=case, message=message, **extra.details)


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
    member = new.member
    case = Case(
        number=format_number(rules.number_format, year, seq),
        year=year,
        seq=seq,
        status=new.status,
        channel=new.channel,
        received_at=new.received_at,
        ack_due=deadlines.due(
            new.received_at, rules.ack_days, rules.timezone, rules.day_kind
        ),
        answer_due=deadlines.due(
            new.received_at, rules.answer_days, rules.timezone, rules.day_kind
        ),
        member_name=member.name,
        member_email=member.email,
        member_phone=member.phone,
        member_street=member.street,
        member_postcode=member.postcode,
        member_city=member.city,
        member_number=member.member_number,
        member_insz=member.insz,
        member_insz_valid=member.insz_valid,
        subject=new.subject,
        description=new.description,
        desired_solution=new.desired_solution,
        language=new.language,
        category=new.category,
        regional_office=new.regional_office,
        flags=sorted(set(new.flags)),
    )
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
    references = None
    in_reply_to = None
    if record is not None and record.message_id:
        in_reply_to = f"<{record.message_id}>"
        references = " ".join(
            part for part in ((record.references or ""), in_reply_to) if part
        )
    return enqueue_mail(
        session,
        rules,
        kind="acknowledgement",
        audience="member",
        template="acknowledgement",
        language=case.language,
        recipients=[recipient],
        case=case,
        dedupe_key=f"ack:{case.number}",
        in_reply_to=in_reply_to,
        references=references,
    )


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
        status="pending",
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
    if new.status == "closed":
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
