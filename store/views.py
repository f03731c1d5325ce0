"""Stable JSON shapes of cases and messages (the public contract of the CLI).

Times are ISO 8601 with their offset, in the configured time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import object_session

from store.case_view import CaseView
from store.models import Attachment, Case, Event, FormFieldValue, Message
from store.sealed import open_text


def iso(value: datetime | None, timezone: str) -> str | None:
    return None if value is None else value.astimezone(ZoneInfo(timezone)).isoformat()


def case_dict(
    case: Case | CaseView, timezone: str, message_count: int, attachment_count: int
) -> dict[str, Any]:
    """The case object of `cases list --format json`."""
    if not isinstance(case, CaseView):
        case = CaseView.of(case)
    return {
        "number": case.number,
        "status": case.status,
        "channel": case.channel,
        "received_at": iso(case.received_at, timezone),
        "ack_due": iso(case.ack_due, timezone),
        "answer_due": iso(case.answer_due, timezone),
        "acknowledged_at": iso(case.acknowledged_at, timezone),
        "answered_at": iso(case.answered_at, timezone),
        "closed_at": iso(case.closed_at, timezone),
        "member": case.member.as_dict(),
        "subject": case.subject,
        "language": case.language,
        "category": case.category,
        "cause": case.cause,
        "service": case.service,
        "measure": case.measure,
        "regional_office": case.regional_office,
        "flags": list(case.flags),
        "assigned_to": case.assigned_to,
        "outcome": case.outcome,
        "referred_at": iso(case.referred_at, timezone),
        "letter_sent_at": iso(case.letter_sent_at, timezone),
        "reclassified_as": case.reclassified_as,
        "duplicate_of": case.duplicate_of,
        "message_count": message_count,
        "attachment_count": attachment_count,
    }


def message_dict(message: Message, timezone: str) -> dict[str, Any]:
    """One stored message (`messages list`, and inside `case show`)."""
    return {
        "id": message.id,
        "class": message.klass,
        "reason": message.reason,
        "message_id": message.message_id,
        "sender": message.sender,
        "subject": message.subject,
        "received_at": iso(message.received_at, timezone),
        "case": message.case.number if message.case is not None else None,
        "source": message.source,
        "size": message.size,
        "language": message.language,
        "raw_complete": message.raw_complete,
        "error": message.error,
    }


def attachment_dict(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "flags": list(attachment.flags or []),
    }


def event_dict(event: Event, timezone: str) -> dict[str, Any]:
    return {
        "at": iso(event.at, timezone),
        "kind": event.kind,
        "actor": event.actor,
        "details": _opened(event),
    }


def _opened(event: Event) -> dict[str, Any]:
    """The details, with the sealed values of an edit opened (store/case_edit)."""
    details = event.details
    session = object_session(event)
    sealed_field = str(details.get("field", "")).startswith("member.")
    if event.kind != "edited" or not sealed_field or session is None:
        return details
    dialect = session.get_bind().dialect
    return {
        key: open_text(dialect, value)
        if key in ("old", "new") and isinstance(value, str)
        else value
        for key, value in details.items()
    }


def form_field_dict(item: FormFieldValue) -> dict[str, Any]:
    return {
        "key": item.key,
        "value": item.value,
        "source": item.source,
        "origin": item.origin,
    }


def case_detail(case: Case, timezone: str) -> dict[str, Any]:
    """The object of `case show --format json`."""
    messages = sorted(case.messages, key=lambda m: (m.received_at, m.id))
    body = case_dict(case, timezone, len(messages), len(case.attachments))
    body["description"] = case.description
    body["desired_solution"] = case.desired_solution
    body["messages"] = [
        {**message_dict(m, timezone), "text": m.new_text or m.body_text}
        for m in messages
    ]
    body["attachments"] = [attachment_dict(a) for a in case.attachments]
    body["form_fields"] = [form_field_dict(f) for f in case.form_fields]
    body["events"] = [event_dict(e, timezone) for e in case.events]
    return body
