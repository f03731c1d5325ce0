"""The rows registration inserts, as plain dicts: one builder per table.

Every channel goes through these builders: intake's batches (`store.inbound`),
postal and oral registration (`store.registration.register_case`) and the
mails queued by the lifecycle, the reminders and the delivery worker
(`store.registration.enqueue_mail`). Pure apart from the clock and a fresh
Message-ID.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from config.offices import office_for_postcode, office_named
from store import deadlines
from store.errors import UserError
from store.mailbox_key import mailbox_key
from store.member import COLUMNS
from store.models import utcnow
from store.registration_input import AttachmentRecord, CaseRules, InboundRecord, NewCase
from store.vocabulary import Audience, MailKind, MailStatus, Status

SYSTEM_ACTOR = "klachten"


def new_message_id(domain: str) -> str:
    return f"{uuid.uuid4().hex}@{domain}"


def case_row(
    rules: CaseRules, new: NewCase, number: str, year: int, seq: int
) -> dict[str, Any]:
    """The columns of a new case: its number, its clocks, its member."""
    now = utcnow()
    row = {
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
        "closed_at": now if new.status == Status.CLOSED else None,
        "acknowledged_at": new.acknowledged_at,
        "subject": new.subject,
        "description": new.description,
        "desired_solution": new.desired_solution,
        "language": new.language,
        "category": new.category,
        "regional_office": case_office(rules, new),
        "flags": sorted(set(new.flags)),
        "created_at": now,
    }
    row.update((column, getattr(new.member, key)) for key, column in COLUMNS.items())
    return row


def case_office(rules: CaseRules, new: NewCase) -> str | None:
    """The office named (its configured spelling; UserError when none is
    called so), else the office serving the member's postcode, else None."""
    offices = rules.regional_offices
    if new.regional_office:
        office = office_named(offices, new.regional_office)
        if office is None:
            shown = ", ".join(o.name for o in offices) or "none configured"
            raise UserError(
                f"unknown regional office {new.regional_office!r}: one of {shown}"
            )
        return office.name
    office = office_for_postcode(offices, new.member.postcode)
    return office.name if office else None


def outbox_row(
    rules: CaseRules,
    *,
    kind: str,
    audience: str,
    template: str,
    language: str,
    recipients: list[str],
    case_id: int | None = None,
    context: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
) -> dict[str, Any]:
    """One pending outbox row; the responder renders and sends it later."""
    return {
        "kind": kind,
        "case_id": case_id,
        "dedupe_key": dedupe_key,
        "audience": audience,
        "template": template,
        "language": language,
        "recipients": recipients,
        "recipient": mailbox_key(recipients[0]) if recipients else None,
        "context": context or {},
        "message_id": new_message_id(rules.message_id_domain),
        "in_reply_to": in_reply_to,
        "references": references,
        "status": MailStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": utcnow(),
    }


def acknowledgement_row(
    rules: CaseRules,
    case_id: int | None,
    number: str,
    language: str,
    recipient: str,
    record: InboundRecord | None = None,
    *,
    verified: bool = False,
) -> dict[str, Any]:
    """The outbox row of the case's one acknowledgement ("ack:<number>").

    `record` is the mail that opened the case, if one did: the
    acknowledgement answers it in its thread. `verified`: the recipient is
    known to be the complainant's (a DMARC verified From, or typed by a
    coordinator), so the mail may quote them (responder/context.py).
    """
    in_reply_to, references = acknowledgement_threading(record)
    context: dict[str, Any] = {VERIFIED_KEY: True} if verified else {}
    if record is not None:
        context[COMPLAINT_KEY] = record.sha256
    return outbox_row(
        rules,
        kind=MailKind.ACKNOWLEDGEMENT,
        audience=Audience.MEMBER,
        template="acknowledgement",
        language=language,
        recipients=[recipient],
        case_id=case_id,
        dedupe_key=f"ack:{number}",
        in_reply_to=in_reply_to,
        references=references,
        context=context,
    )


# The outbox context key that lets an acknowledgement quote the complainant
# (their subject, their name); without it the mail says only fixed text, the
# case number and the dates (responder/context.py).
VERIFIED_KEY = "recipient_verified"
# The sha256 of the mail an acknowledgement answers. It goes out in the
# `X-Klachten-Complaint` header (a hash says nothing to a stranger), so the
# copy in a sent folder tells `reconcile` which complaint had which number.
COMPLAINT_KEY = "complaint_sha256"


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


def event_row(
    kind: str,
    details: dict[str, Any],
    *,
    case_id: int | None,
    message_id: int | None = None,
    at: datetime,
    actor: str = SYSTEM_ACTOR,
) -> dict[str, Any]:
    """One entry of the audit trail."""
    return {
        "case_id": case_id,
        "message_id": message_id,
        "at": at,
        "kind": kind,
        "actor": actor,
        "details": details,
    }


def registered_event(
    new: NewCase,
    case_id: int,
    at: datetime,
    *,
    message_id: int | None = None,
    actor: str = SYSTEM_ACTOR,
) -> dict[str, Any]:
    """The first event of every case, whatever its channel."""
    details = {"channel": new.channel, "received_at": new.received_at.isoformat()}
    return event_row(
        "registered",
        details,
        case_id=case_id,
        message_id=message_id,
        at=at,
        actor=actor,
    )


def event_rows(
    record: InboundRecord, case_id: int | None, message_id: int, now: Any
) -> list[dict[str, Any]]:
    """The audit events of one message, in the order the trail shows them."""
    events = []
    new = record.new_case
    if new is not None and case_id is not None:
        events.append(registered_event(new, case_id, now, message_id=message_id))
    events.extend(
        event_row(
            extra.kind,
            dict(extra.details),
            case_id=case_id,
            message_id=message_id,
            at=now,
        )
        for extra in record.events
    )
    if new is None and record.follow_up_number is not None:
        events.append(
            event_row(
                "staff_message_received" if record.staff else "follow_up_received",
                {},
                case_id=case_id,
                message_id=message_id,
                at=now,
            )
        )
    return events


def attachment_row(
    item: AttachmentRecord,
    case_id: int | None,
    message_id: int | None = None,
    extra_flags: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A file kept with a message or a case (a scanned letter, a form)."""
    return {
        "message_id": message_id,
        "case_id": case_id,
        "filename": item.filename,
        "content_type": item.content_type,
        "size": item.size,
        "sha256": item.sha256,
        "data": item.data,
        "flags": sorted({*item.flags, *extra_flags})
        if extra_flags
        else list(item.flags),
    }


def message_row(record: InboundRecord, case_id: int | None) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "dedupe_key": record.dedupe_key,
        "message_id": record.message_id,
        "sha256": record.sha256,
        "mailbox": record.mailbox,
        "uidvalidity": record.uidvalidity,
        "uid": record.uid,
        "source": record.source,
        "received_at": record.received_at,
        "sender": record.sender,
        "subject": record.subject,
        "class": record.klass,
        "reason": record.reason,
        "language": record.language,
        "in_reply_to": record.in_reply_to,
        "references": record.references,
        "body_text": record.body_text,
        "new_text": record.new_text,
        "size": record.size if record.size is not None else len(record.raw),
        "raw": record.raw,
        "raw_complete": record.raw_complete,
        "attempts": 1 if record.error else 0,
        "error": record.error,
        "created_at": utcnow(),
    }
