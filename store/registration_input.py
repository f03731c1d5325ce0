"""Plain input records for registration: what the intake hands to the store.

They hold no SQLAlchemy objects, so ingest and the CLI can build them without
knowing the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from store.vocabulary import Status


@dataclass(frozen=True)
class CaseRules:
    """How numbers and deadlines are made (from the [cases] settings)."""

    number_format: str = "KL-{year}-{seq:05d}"
    timezone: str = "Europe/Brussels"
    ack_days: int = 10
    answer_days: int = 45
    day_kind: str = "calendar"
    default_language: str = "nl"
    # Domain of our own Message-IDs (the sending address's domain).
    message_id_domain: str = "libmutov.be"


@dataclass(frozen=True)
class MemberRecord:
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    member_number: str | None = None
    insz: str | None = None
    insz_valid: bool | None = None


@dataclass(frozen=True)
class NewCase:
    channel: str  # a Channel (store/vocabulary.py)
    received_at: datetime
    language: str
    member: MemberRecord = field(default_factory=MemberRecord)
    subject: str | None = None
    description: str | None = None
    desired_solution: str | None = None
    category: str | None = None
    regional_office: str | None = None
    flags: tuple[str, ...] = ()
    status: str = Status.REGISTERED


@dataclass(frozen=True)
class AttachmentRecord:
    filename: str
    content_type: str
    data: bytes
    sha256: str
    flags: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class FormFieldRecord:
    key: str
    value: str
    source: str
    origin: str


@dataclass(frozen=True)
class EventRecord:
    kind: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InboundRecord:
    """One received message, classified, ready to be stored in one transaction.

    `new_case` is set for a complaint; `follow_up_number` for a follow-up; for
    every other class both stay None and the message is only stored.
    """

    raw: bytes
    sha256: str
    source: str  # "imap", "maildir", "import"
    received_at: datetime
    klass: str
    reason: str
    message_id: str | None = None
    mailbox: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None
    sender: str | None = None
    subject: str | None = None
    language: str | None = None
    in_reply_to: str | None = None
    references: str | None = None
    body_text: str | None = None
    new_text: str | None = None
    raw_complete: bool = True
    size: int | None = None
    error: str | None = None
    attachments: tuple[AttachmentRecord, ...] = ()
    new_case: NewCase | None = None
    follow_up_number: str | None = None
    form_fields: tuple[FormFieldRecord, ...] = ()
    events: tuple[EventRecord, ...] = ()
    # Where the acknowledgement goes; None: no acknowledgement is queued.
    acknowledge_to: str | None = None
    # Set by the store for a different mail under a Message-ID it knows
    # (store/message_identity.py): the message then gets a key of its own.
    content_key: str | None = None

    @property
    def dedupe_key(self) -> str:
        if self.message_id and self.content_key:
            return f"mid+{self.content_key}:{self.message_id}"[:1000]
        if self.message_id:
            return f"mid:{self.message_id}"[:1000]
        return f"sha256:{self.sha256}"
