"""The rows `store.inbound` inserts for one message, as plain dicts."""

from __future__ import annotations

from typing import Any

from store.models import utcnow
from store.registration import SYSTEM_ACTOR, acknowledgement_threading, new_message_id
from store.registration_input import CaseRules, InboundRecord, NewCase
from store.vocabulary import Audience, MailKind, MailStatus


def acknowledgement_row(
    rules: CaseRules,
    record: InboundRecord,
    case_id: int | None,
    number: str,
    new: NewCase,
) -> dict[str, Any]:
    """The outbox row of the case's one acknowledgement ("ack:<number>")."""
    recipient = record.acknowledge_to or ""
    in_reply_to, references = acknowledgement_threading(record)
    return {
        "kind": MailKind.ACKNOWLEDGEMENT,
        "case_id": case_id,
        "dedupe_key": f"ack:{number}",
        "audience": Audience.MEMBER,
        "template": "acknowledgement",
        "language": new.language,
        "recipients": [recipient],
        "recipient": recipient.strip().lower(),
        "context": {},
        "message_id": new_message_id(rules.message_id_domain),
        "in_reply_to": in_reply_to,
        "references": references,
        "status": MailStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": utcnow(),
    }


def event_rows(
    record: InboundRecord, case_id: int | None, message_id: int, now: Any
) -> list[dict[str, Any]]:
    """The audit events of one message, in the order the trail shows them."""

    def event(kind: str, details: dict[str, Any]) -> dict[str, Any]:
        return {
            "case_id": case_id,
            "message_id": message_id,
            "at": now,
            "kind": kind,
            "actor": SYSTEM_ACTOR,
            "details": details,
        }

    events = []
    new = record.new_case
    if new is not None:
        events.append(
            event(
                "registered",
                {"channel": new.channel, "received_at": new.received_at.isoformat()},
            )
        )
    events.extend(event(extra.kind, dict(extra.details)) for extra in record.events)
    if new is None and record.follow_up_number is not None:
        events.append(event("follow_up_received", {}))
    return events


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
