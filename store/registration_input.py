"""Plain input records for registration: what the intake hands to the store.

They hold no SQLAlchemy objects, so ingest and the CLI can build them without
knowing the tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from config.offices import RegionalOffice
from config.schema import CasesSettings, SmtpSettings
from store.member import Member
from store.vocabulary import Status

_CASES = CasesSettings()


def _domain(address: str) -> str:
    return address.rpartition("@")[2]


@dataclass(frozen=True)
class CaseRules:
    """How numbers and deadlines are made (from the [cases] settings).

    The defaults are those of the configuration schema, stated there once.
    """

    number_format: str = _CASES.number_format
    timezone: str = _CASES.timezone
    ack_days: int = _CASES.ack_days
    answer_days: int = _CASES.answer_days
    day_kind: str = _CASES.day_kind
    default_language: str = _CASES.default_language
    # Domain of our own Message-IDs (the sending address's domain).
    message_id_domain: str = _domain(SmtpSettings().from_address)
    # Which office serves which postcodes (config/offices.py).
    regional_offices: tuple[RegionalOffice, ...] = ()
    # [cases] categories, for a category set by a staff mail command.
    categories: tuple[str, ...] = tuple(_CASES.categories)
    # [reminders] coordinators: told of a member's reply to an unassigned case.
    coordinators: tuple[str, ...] = ()
    # [staff] languages: the language of mails to each of the fund's people.
    staff_languages: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_settings(
        cls,
        cases: CasesSettings,
        smtp: SmtpSettings,
        coordinators: Sequence[str] = (),
        staff_languages: Mapping[str, str] | None = None,
    ) -> CaseRules:
        """The rules of a configuration's [cases], sending address and
        coordinators."""
        same = {
            key: getattr(cases, key)
            for key in cls.__dataclass_fields__
            if key not in _NOT_SCALAR_CASES_KEYS
        }
        return cls(
            **same,
            message_id_domain=_domain(smtp.from_address),
            regional_offices=tuple(cases.regional_offices),
            categories=tuple(cases.categories),
            coordinators=tuple(coordinators),
            staff_languages=tuple(
                (address.strip().lower(), language)
                for address, language in (staff_languages or {}).items()
            ),
        )


_NOT_SCALAR_CASES_KEYS = (
    "message_id_domain",
    "regional_offices",
    "categories",
    "coordinators",
    "staff_languages",
)


@dataclass(frozen=True)
class NewCase:
    channel: str  # a Channel (store/vocabulary.py)
    received_at: datetime
    language: str
    member: Member = field(default_factory=Member)
    subject: str | None = None
    description: str | None = None
    desired_solution: str | None = None
    category: str | None = None
    regional_office: str | None = None
    flags: tuple[str, ...] = ()
    status: str = Status.REGISTERED
    # True when neither the text nor a form decided `language` (it is the
    # postcode's or the default): the language of the member's latest
    # earlier case, when there is one, replaces it at registration.
    language_from_history: bool = False
    # A complaint `reconcile` registers again after a restore: the number our
    # sent mail gave it in the lost store (kept when it is free) and when that
    # acknowledgement went out, so the member's number stays theirs and no
    # reminder asks for an acknowledgement they had.
    number: str | None = None
    acknowledged_at: datetime | None = None


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
class StaffAct:
    """What a believed staff mail does to the case it joins (issue 16).

    kind "answer": the mail answered the member (`at` its date, `outcome`
    from its first line, `ombudsdienst_languages` the languages in which it
    names the ombudsdienst). kind "commands": (action, value) pairs and the
    lines not understood (ingest/staff_mail.py reads them).
    """

    kind: str
    actor: str
    at: datetime | None = None
    outcome: str | None = None
    text: str = ""
    ombudsdienst_languages: tuple[str, ...] = ()
    commands: tuple[tuple[str, str], ...] = ()
    unknown: tuple[str, ...] = ()


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
    # The follow-up names its case from an address that is neither the
    # member's nor the fund's: it joins as a message for review, flags the
    # case needs_review, and never counts as the member's confirmation.
    stranger: bool = False
    # Staff mail joining its case: no confirmation, no status change, no
    # acknowledgement; only stored with the case.
    staff: bool = False
    # A believed staff mail that answers the member or runs commands.
    staff_act: StaffAct | None = None
    # Staff mail that is not believed (no trusted dmarc=pass): it acts on
    # nothing and flags the case it joins needs_review, for a person.
    staff_unverified: bool = False
    form_fields: tuple[FormFieldRecord, ...] = ()
    events: tuple[EventRecord, ...] = ()
    # Where the acknowledgement goes; None: no acknowledgement is queued.
    acknowledge_to: str | None = None
    # True when that is the From address and DMARC verified it: only then may
    # the acknowledgement repeat the sender's subject and name.
    acknowledge_verified: bool = False
    # A delivery report (class bounce): the addresses that failed and the
    # Message-IDs of the mails it returns (ingest/bounce_report.py). The store
    # links it to the case of our acknowledgement or answer it names.
    bounce_failed: tuple[str, ...] = ()
    bounce_message_ids: tuple[str, ...] = ()
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
