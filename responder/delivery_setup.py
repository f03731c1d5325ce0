"""What the delivery worker is given (settings, wiring) and what it reports."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from config.schema import ImapSettings, OAuthSettings, ServiceSettings
from mailconn.smtp import SmtpSettingsLike
from responder import policy
from responder.context import Org
from store.holders import process_holder
from store.registration_input import CaseRules

# How long a claimed row stays reserved: `[service] outbox_lease`, by default.
LEASE = timedelta(seconds=ServiceSettings().outbox_lease)


class SmtpDeliverySettings(SmtpSettingsLike, Protocol):
    """The [smtp] keys the worker reads beyond the connection's."""

    from_address: str
    from_name: str
    reply_to: str
    retry_base: int
    retry_cap: int
    max_attempts: int


@dataclass(frozen=True)
class DeliveryConfig:
    smtp: SmtpDeliverySettings
    policy: policy.PolicyRules
    org: Org
    rules: CaseRules  # the domain of new Message-IDs (failure notices)
    coordinators: tuple[str, ...]
    connect: Callable[[Any], smtplib.SMTP]
    lease: timedelta = LEASE
    # Mails to members per hour, all addresses together; None: no limit.
    hourly_limit: int | None = None
    # The IMAP account whose sent_copy_mailbox gets a copy of every sent
    # mail (responder/sent_copies.py); None: no copies.
    copies_to: ImapSettings | None = None
    # Its OAuth2 client when the account logs in with a token ([imap] auth).
    copies_oauth: OAuthSettings | None = None
    # "host:pid:start:token": a claim of a process that is gone is taken
    # back at once by the next worker on the same host (store/holders.py).
    worker: str = field(
        default_factory=lambda: f"{process_holder()}:{uuid.uuid4().hex[:8]}"
    )


@dataclass
class DeliveryReport:
    """What one run did. `outage` holds the connection error, if any."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    outage: str | None = None
    # Mails to members due but waiting for the hourly limit, at the end.
    held: int = 0
    # Mails to members claimed (they use up the hour's room).
    members: int = 0
    # Outbox ids of the mails given up on (one notice tells the coordinators).
    failures: list[int] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped
        self.failures += other.failures
        self.members += other.members
        self.outage = self.outage or other.outage
