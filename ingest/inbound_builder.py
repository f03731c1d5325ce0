"""Turn a parsed, classified message and its forms into a store InboundRecord.

Pure: no database, no network. The decisions that depend on the class (open a
case, join one, only store) are made here; registration carries them out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from config.schema import CasesSettings, IngestSettings
from ingest.bounce_report import read_bounce
from ingest.categories import SUGGESTED_FLAG, suggest_category
from ingest.classify import Verdict
from ingest.form_reading import Forms, read_forms
from ingest.forms.limits import FormLimits
from ingest.forms.merge import is_no_reply, merge_member
from ingest.forms.pool import ReadSettings
from ingest.incoming import EarlierAck, Incoming
from ingest.parse import ParsedMessage
from store.models import Attachment, Case, FormFieldValue, Message
from store.registration_input import (
    AttachmentRecord,
    EventRecord,
    FormFieldRecord,
    InboundRecord,
    NewCase,
)
from store.staff_actions import STAFF_UNVERIFIED
from store.vocabulary import Channel, Flag, MessageClass

RESTORED = Flag.RESTORED  # case flag and event kind

# Column sizes of the store, read from the models: longer values are cut
# rather than failing the whole transaction on PostgreSQL.
_CATEGORY_LIMIT = Case.__table__.c.category.type.length
_LANGUAGE_LIMIT = Case.__table__.c.language.type.length
_ADDRESS_LIMIT = Message.__table__.c.sender.type.length
_FILENAME_LIMIT = Attachment.__table__.c.filename.type.length
_TYPE_LIMIT = Attachment.__table__.c.content_type.type.length
_FIELD = FormFieldValue.__table__.c
# read_forms lives in ingest/form_reading.py; named here for older callers.
__all__ = ["Forms", "RecordOptions", "build_record", "read_forms"]


@dataclass(frozen=True)
class RecordOptions:
    """Site settings that shape the record (from [cases], [smtp], [ingest])."""

    default_language: str = CasesSettings.default_language
    categories: tuple[str, ...] = ()
    category_keywords: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # `klachten import` of old mail: a complaint received before this moment
    # is registered without an acknowledgement (flag ack_not_sent), unless the
    # operator asked for one (--acknowledge).
    acknowledge_received_after: datetime | None = None
    # `klachten reconcile` after a restore: the mailbox had the mail marked
    # processed, the restored store lacked it. Its case is flagged
    # `restored` and it is not acknowledged (again) unless `acknowledge`.
    restored: bool = False
    acknowledge_restored: bool = False
    own_addresses: tuple[str, ...] = ()
    ocr_timeout: float = IngestSettings.ocr_timeout
    ocr_max_pages: int = IngestSettings.ocr_max_pages
    form_limits: FormLimits = field(default_factory=FormLimits)

    @property
    def read_settings(self) -> ReadSettings:
        return ReadSettings(self.form_limits, self.ocr_timeout, self.ocr_max_pages)


def clip(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]


def short_hash(text: str) -> str:
    """A stable, non-reversible tag for logs (Message-IDs hold addresses)."""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:12]


def build_record(
    item: Incoming,
    msg: ParsedMessage,
    verdict: Verdict,
    forms: Forms,
    options: RecordOptions,
) -> InboundRecord:
    """The record of one message: stored only, a new case, or a follow-up."""
    record = _record(item, msg, verdict, forms, options)
    return _restored(record, options, item.earlier) if options.restored else record


def _restored(
    record: InboundRecord, options: RecordOptions, earlier: EarlierAck | None
) -> InboundRecord:
    """A record `reconcile` registers again: flagged, acknowledged only when
    the operator asked (the member had the first acknowledgement). When our
    sent mail shows the number it had, the case asks for that number back and
    counts as acknowledged when that mail went out."""
    new_case = record.new_case
    if new_case is None:
        return replace(record, events=(*record.events, EventRecord(RESTORED, {})))
    details = {} if earlier is None else {"acknowledged_as": earlier.number}
    events = (*record.events, EventRecord(RESTORED, details))
    new_case = replace(
        new_case, flags=tuple(dict.fromkeys((*new_case.flags, RESTORED)))
    )
    if earlier is not None:
        new_case = replace(
            new_case, number=earlier.number, acknowledged_at=earlier.sent_at
        )
    if options.acknowledge_restored:
        return replace(record, new_case=new_case, events=events)
    return replace(record, new_case=new_case, events=events, acknowledge_to=None)


def _record(
    item: Incoming,
    msg: ParsedMessage,
    verdict: Verdict,
    forms: Forms,
    options: RecordOptions,
) -> InboundRecord:
    base = _base(item, msg, verdict, forms)
    if verdict.klass == MessageClass.COMPLAINT:
        return _complaint(base, item, msg, verdict, forms, options)
    if verdict.klass == MessageClass.FOLLOW_UP and verdict.case_number:
        return replace(
            base, follow_up_number=verdict.case_number, stranger=verdict.stranger
        )
    if verdict.klass == MessageClass.STAFF and verdict.case_number:
        return replace(
            base,
            follow_up_number=verdict.case_number,
            staff=True,
            staff_unverified=verdict.staff_unverified,
        )
    if verdict.klass == MessageClass.BOUNCE:
        facts = read_bounce(msg.raw)
        return replace(
            base, bounce_failed=facts.failed, bounce_message_ids=facts.message_ids
        )
    return base


def _base(
    item: Incoming, msg: ParsedMessage, verdict: Verdict, forms: Forms
) -> InboundRecord:
    events = []
    if verdict.sender_unverified:
        reason = verdict.sender_unverified_reason
        events.append(EventRecord("sender_unverified", {"reason": reason}))
    if verdict.staff_unverified:
        events.append(EventRecord(STAFF_UNVERIFIED, {"reason": verdict.reason}))
    return InboundRecord(
        **_origin(item),
        sha256=msg.sha256,
        klass=verdict.klass,
        reason=verdict.reason,
        message_id=clip(msg.message_id, 998),
        sender=clip(msg.from_address, 320),
        subject=msg.subject,
        language=clip(msg.language, 5),
        in_reply_to=" ".join(f"<{i}>" for i in msg.in_reply_to) or None,
        references=" ".join(f"<{i}>" for i in msg.references) or None,
        body_text=msg.text,
        new_text=msg.new_text,
        attachments=_attachments(msg, forms),
        form_fields=_form_fields(forms),
        events=tuple(events + _form_events(forms, msg)),
    )


def _complaint(
    base: InboundRecord,
    item: Incoming,
    msg: ParsedMessage,
    verdict: Verdict,
    forms: Forms,
    options: RecordOptions,
) -> InboundRecord:
    merged = merge_member(
        msg.from_name,
        # The website's own address is not the member's (like a no-reply one).
        None if verdict.form_notification else msg.contact_address,
        msg.language,
        forms.all,
        default_language=options.default_language,
        **({"categories": options.categories} if options.categories else {}),
    )
    flags = list(merged.flags)
    category = merged.category
    if category is None and options.categories:
        text = " ".join(filter(None, (merged.description, msg.new_text)))
        category = suggest_category(text, options.category_keywords, options.categories)
        if category is not None:
            flags.append(SUGGESTED_FLAG)
    if verdict.sender_unverified:
        flags += [Flag.SENDER_UNVERIFIED, Flag.NEEDS_REVIEW]
    member = merged.member
    acknowledge_to = _acknowledge_to(member.email, options.own_addresses)
    events = base.events
    cutoff = options.acknowledge_received_after
    if cutoff is not None and item.received_at < cutoff:
        acknowledge_to = None
        flags.append(Flag.ACK_NOT_SENT)
        events += (EventRecord("ack_not_sent", {"reason": "imported"}),)
    new_case = NewCase(
        channel=channel_for(msg, forms, verdict),
        received_at=item.received_at,
        language=(merged.language or options.default_language)[:_LANGUAGE_LIMIT],
        language_from_history=not merged.language_decided,
        member=member.clipped(),
        subject=msg.subject or None,
        description=merged.description or msg.new_text or msg.text or None,
        desired_solution=merged.desired_solution,
        category=clip(category, _CATEGORY_LIMIT),
        flags=tuple(dict.fromkeys(flags)),
    )
    conflicts = tuple(
        EventRecord("form_conflict", {"field": f, "from_email": a, "from_form": b})
        for f, a, b in merged.conflicts
    )
    return replace(
        base,
        new_case=new_case,
        events=events + conflicts,
        acknowledge_to=acknowledge_to,
        acknowledge_verified=_verified(acknowledge_to, msg, verdict),
    )


def _acknowledge_to(address: str | None, own: Sequence[str]) -> str | None:
    """Where the acknowledgement goes; never to ourselves (a mail loop)."""
    if not address or "@" not in address:
        return None
    if address.lower() in {a.lower() for a in own}:
        return None
    return address[:_ADDRESS_LIMIT]


def _verified(address: str | None, msg: ParsedMessage, verdict: Verdict) -> bool:
    """Whether the acknowledgement goes to the From address DMARC verified.

    Anything else (a Reply-To, an address typed in a form or in a web-form
    notification) may be a stranger's: their mail repeats nothing the sender
    wrote (responder/context.py).
    """
    if not address or not msg.from_address or not verdict.sender_verified:
        return False
    return address.strip().lower() == msg.from_address.strip().lower()


def channel_for(msg: ParsedMessage, forms: Forms, verdict: Verdict) -> str:
    """email, form (an attached form gave fields), e-loket or contact-form.

    A web-form notification comes from a no-reply address of the website or
    of the e-Loket, or from an ordinary address of the fund when the
    classifier recognised the mail as one (`Verdict.form_notification`);
    which of the two is told by its address or subject. A member who pastes a form into
    his own mail still writes by e-mail.
    """
    webform = forms.webform is not None and bool(forms.webform.fields)
    notifier = is_no_reply(msg.from_address) or verdict.form_notification
    if webform and notifier:
        text = f"{msg.from_address} {msg.subject}".lower()
        return Channel.E_LOKET if "loket" in text else Channel.CONTACT_FORM
    if any(result.fields for result in forms.attachments.values()):
        return Channel.FORM
    return Channel.EMAIL


def _attachments(msg: ParsedMessage, forms: Forms) -> tuple[AttachmentRecord, ...]:
    records = []
    for index, item in enumerate(msg.attachments):
        result = forms.attachments.get(index)
        records.append(
            AttachmentRecord(
                filename=item.filename[:_FILENAME_LIMIT],
                content_type=item.content_type[:_TYPE_LIMIT],
                data=item.data,
                sha256=item.sha256,
                flags=result.flags if result else (),
            )
        )
    return tuple(records)


def _form_fields(forms: Forms) -> tuple[FormFieldRecord, ...]:
    return tuple(
        FormFieldRecord(
            key=value.key[: _FIELD.key.type.length],
            value=value.value,
            source=value.source[: _FIELD.source.type.length],
            origin=value.origin[: _FIELD.origin.type.length],
        )
        for result in forms.all
        for value in result.fields.values()
    )


def _form_events(forms: Forms, msg: ParsedMessage) -> list[EventRecord]:
    events = [
        EventRecord(
            "form_read",
            {
                "form": result.kind,
                "fields": sorted(result.fields),
                "flags": list(result.flags),
                "notes": list(result.notes),
            },
        )
        for result in forms.all
    ]
    events += [
        EventRecord(
            "form_limit",
            {
                "attachment": msg.attachments[index].filename[:_FILENAME_LIMIT],
                "limit": result.limit,
                "notes": list(result.notes),
            },
        )
        for index, result in sorted(forms.attachments.items())
        if result.limit
    ]
    return events


def quarantine_record(item: Incoming, error: BaseException | str) -> InboundRecord:
    """The raw message set aside for a person, with why (no personal data)."""
    reason = error if isinstance(error, str) else describe_error(error)
    return InboundRecord(
        **_origin(item),
        sha256=hashlib.sha256(item.raw).hexdigest(),
        klass=MessageClass.QUARANTINED,
        reason=reason,
        error=reason,
    )


def rejected_record(
    item: Incoming, reason: str, msg: ParsedMessage | None = None
) -> InboundRecord:
    """A message that is stored but cannot be handled (too large, no message)."""
    return InboundRecord(
        **_origin(item),
        sha256=msg.sha256 if msg else hashlib.sha256(item.raw).hexdigest(),
        klass=MessageClass.REJECTED,
        reason=reason,
        message_id=clip(msg.message_id, 998) if msg else None,
        sender=clip(msg.from_address, 320) if msg else None,
        subject=msg.subject if msg else None,
    )


def _origin(item: Incoming) -> dict[str, Any]:
    """The record fields that say where and when a message came from."""
    return {
        "raw": item.raw,
        "source": item.source,
        "received_at": item.received_at,
        "mailbox": clip(item.mailbox, 200),
        "uidvalidity": item.uidvalidity,
        "uid": item.uid,
        "raw_complete": item.complete,
        "size": item.full_size,
    }


def describe_error(error: BaseException) -> str:
    """Type and first line of an error, cut short: enough to find the bug."""
    text = (str(error).splitlines() or [""])[0][:200]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
