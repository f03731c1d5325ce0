"""What the delivery worker is given (settings, wiring) and what it reports."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from responder import policy
from responder.context import Org
from responder.smtp import SmtpSettingsLike
from store.holders import process_holder
from store.registration_input import CaseRules

LEASE = timedelta(minutes=5)


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

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped
        self.outage = self.outage or other.outage
