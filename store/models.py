"""The tables of the store. Alembic migrations (store/migrations) create them.

Times are stored as UTC and always come back timezone-aware (`UTCDateTime`).
Raw messages and attachments are kept as bytes: the store is the place where a
complaint can never be lost. The columns typed Sealed* hold personal data and
are encrypted when `[privacy] key_file` is set (store/sealed.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store.sealed import SealedBytes, SealedText
from store.vocabulary import (
    Audience,
    Channel,
    MailKind,
    MailStatus,
    MessageClass,
    Outcome,
    Status,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def one_of(column: str, words: type[StrEnum]) -> str:
    """The SQL of a CHECK that `column` holds one of the vocabulary's values."""
    listed = ", ".join(f"'{word.value}'" for word in words)
    return f'"{column}" IN ({listed})'


# The CHECK constraints that keep the vocabulary's columns to its words, per
# table: (name, SQL). Migration 0002 creates them from this same table.
VOCABULARY_CHECKS: dict[str, tuple[tuple[str, str], ...]] = {
    "cases": (
        ("ck_cases_status", one_of("status", Status)),
        ("ck_cases_channel", one_of("channel", Channel)),
        ("ck_cases_outcome", one_of("outcome", Outcome)),
    ),
    "messages": (("ck_messages_class", one_of("class", MessageClass)),),
    "outbox": (
        ("ck_outbox_kind", one_of("kind", MailKind)),
        ("ck_outbox_audience", one_of("audience", Audience)),
        ("ck_outbox_status", one_of("status", MailStatus)),
    ),
}


def _checks(table: str) -> tuple[CheckConstraint, ...]:
    return tuple(
        CheckConstraint(sql, name=name) for name, sql in VOCABULARY_CHECKS[table]
    )


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}  # noqa: RUF012


class CaseCounter(Base):
    """Last sequence number handed out per year: the source of gapless numbers."""

    __tablename__ = "case_counters"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, nullable=False)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("year", "seq", name="uq_cases_year_seq"),
        *_checks("cases"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(30), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    received_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    ack_due: Mapped[datetime] = mapped_column(nullable=False)
    answer_due: Mapped[datetime] = mapped_column(nullable=False, index=True)
    acknowledged_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    member_name: Mapped[str | None] = mapped_column(String(300))
    member_email: Mapped[str | None] = mapped_column(String(320), index=True)
    member_phone: Mapped[str | None] = mapped_column(SealedText(40))
    member_street: Mapped[str | None] = mapped_column(SealedText(300))
    member_postcode: Mapped[str | None] = mapped_column(SealedText(10))
    member_city: Mapped[str | None] = mapped_column(SealedText(120))
    member_number: Mapped[str | None] = mapped_column(String(40))
    member_insz: Mapped[str | None] = mapped_column(SealedText(40))
    member_insz_valid: Mapped[bool | None] = mapped_column(Boolean)
    subject: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(SealedText)
    desired_solution: Mapped[str | None] = mapped_column(SealedText)
    language: Mapped[str] = mapped_column(String(5), nullable=False)
    category: Mapped[str | None] = mapped_column(String(80))
    regional_office: Mapped[str | None] = mapped_column(String(80))
    flags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    assigned_to: Mapped[str | None] = mapped_column(String(320))
    outcome: Mapped[str | None] = mapped_column(String(30))
    referred_at: Mapped[datetime | None]
    letter_sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    # What the yearly analysis learns from the case (issue 17, item 13).
    cause: Mapped[str | None] = mapped_column(String(80))
    service: Mapped[str | None] = mapped_column(String(80))
    measure: Mapped[str | None] = mapped_column(Text)
    # Set when a person decided the case is not a complaint (staff, question,
    # spam, duplicate); `duplicate_of` names the case it duplicates or was
    # merged into.
    reclassified_as: Mapped[str | None] = mapped_column(String(20))
    duplicate_of: Mapped[str | None] = mapped_column(String(40))
    # Set when the member's details were erased (store/erasure.py): a keyed
    # hash of who the member was, so the yearly report still counts members
    # with more than one complaint without holding the address.
    member_pseudonym: Mapped[str | None] = mapped_column(String(64))

    messages: Mapped[list[Message]] = relationship(back_populates="case")
    events: Mapped[list[Event]] = relationship(
        back_populates="case", order_by="Event.id"
    )
    attachments: Mapped[list[Attachment]] = relationship(back_populates="case")
    form_fields: Mapped[list[FormFieldValue]] = relationship(
        back_populates="case", order_by="FormFieldValue.id"
    )


class Message(Base):
    """One inbound message as received, with its class and the reason for it."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint(
            "mailbox", "uidvalidity", "uid", name="uq_messages_mailbox_uid"
        ),
        *_checks("messages"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # "mid:<Message-ID>" or "sha256:<hex>": a message is stored at most once.
    dedupe_key: Mapped[str] = mapped_column(String(1000), unique=True, nullable=False)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    mailbox: Mapped[str | None] = mapped_column(String(200))
    uidvalidity: Mapped[int | None] = mapped_column(Integer)
    uid: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20), nullable=False)  # imap, ...
    received_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    klass: Mapped[str] = mapped_column("class", String(20), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    language: Mapped[str | None] = mapped_column(String(5))
    in_reply_to: Mapped[str | None] = mapped_column(Text)
    references: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str | None] = mapped_column(SealedText)
    new_text: Mapped[str | None] = mapped_column(SealedText)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    raw_complete: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    # Last: SQLite writes a large blob in the last column without a copy
    # (store/blobs.py).
    raw: Mapped[bytes] = mapped_column(SealedBytes, nullable=False, deferred=True)

    case: Mapped[Case | None] = relationship(back_populates="messages")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="message")


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(255), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    flags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    # Last, as messages.raw.
    data: Mapped[bytes] = mapped_column(SealedBytes, nullable=False, deferred=True)

    message: Mapped[Message | None] = relationship(back_populates="attachments")
    case: Mapped[Case | None] = relationship(back_populates="attachments")


class FormFieldValue(Base):
    """A value read from a form, with where it came from (provenance)."""

    __tablename__ = "form_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    key: Mapped[str] = mapped_column(String(60), nullable=False)
    value: Mapped[str] = mapped_column(SealedText, nullable=False)
    source: Mapped[str] = mapped_column(String(40), nullable=False)
    origin: Mapped[str] = mapped_column(String(255), nullable=False)

    case: Mapped[Case] = relationship(back_populates="form_fields")


class Event(Base):
    """The append-only audit trail: every change to a case, and every decision."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id"), index=True
    )
    at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    kind: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(120), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    case: Mapped[Case | None] = relationship(back_populates="events")
    message: Mapped[Message | None] = relationship()


class OutboxMail(Base):
    """A mail to send. The only way mail leaves the service.

    `dedupe_key` is unique: "ack:<case number>" makes a second acknowledgement for
    the same case impossible at the database level.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # The per-address limit counts recent acknowledgements in SQL.
        Index("ix_outbox_ack_recipient", "kind", "recipient", "sent_at"),
        *_checks("outbox"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False, index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    audience: Mapped[str] = mapped_column(String(20), nullable=False)
    template: Mapped[str] = mapped_column(String(60), nullable=False)
    language: Mapped[str] = mapped_column(String(5), nullable=False)
    recipients: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    # The first recipient as the per-address limit counts it (store.mailbox_key):
    # JSON cannot be indexed.
    recipient: Mapped[str | None] = mapped_column(String(320))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    message_id: Mapped[str] = mapped_column(String(300), unique=True, nullable=False)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default=MailStatus.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    smtp_reply: Mapped[str | None] = mapped_column(Text)
    skip_reason: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    # When its copy was appended to [imap] sent_copy_mailbox (None: not yet).
    copied_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    case: Mapped[Case | None] = relationship()


class ReminderSent(Base):
    """One row per (case, kind, threshold, recipient): a reminder goes out once."""

    __tablename__ = "reminders_sent"
    __table_args__ = (
        UniqueConstraint(
            "case_id", "kind", "threshold", "recipient", name="uq_reminders_once"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    threshold: Mapped[str] = mapped_column(String(30), nullable=False)
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    sent_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)


class MailboxState(Base):
    """Where intake stands in one mailbox: UIDVALIDITY and the last UID done."""

    __tablename__ = "mailbox_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(400), unique=True, nullable=False)
    uidvalidity: Mapped[int | None] = mapped_column(Integer)
    last_uid: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    waiting: Mapped[int | None] = mapped_column(Integer)


class ServiceState(Base):
    """Small key/value facts the daemon shares with `status` (alarms, runs)."""

    __tablename__ = "service_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)


class CaseSearch(Base):
    """One folded text per case (accents and case removed) that search scans.

    Kept up to date by the write paths (store.search.reindex). The migration
    adds what indexes it, outside this model: a trigram GIN index on
    PostgreSQL, the FTS5 table `case_search_fts` and its triggers on SQLite.
    """

    __tablename__ = "case_search"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)


class Account(Base):
    """A person who may use the workspace. E-mail is stored lower-cased."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    # None: the account signs in only through the single sign-on header.
    password_hash: Mapped[str | None] = mapped_column(String(300))
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    last_sign_in_at: Mapped[datetime | None]


class SignInFailures(Base):
    """Failed sign-ins per account ("account:<email>") or address ("addr:<ip>")."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    window_start: Mapped[datetime] = mapped_column(nullable=False)
    locked_until: Mapped[datetime | None]
