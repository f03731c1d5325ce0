"""Outbox delivery wired once: store, templates and settings in, a report out.

The composition root builds one `OutboxDelivery` per process (service/app.py)
and calls `deliver_pending` from `case register`, `run --once` and the
daemon's outbox job. It never raises because the SMTP server is away: the
mails stay in the outbox and one warning line per outage says so. What a
batch could not write to the store (its `Carry`) and whether the server is
down live on this object, not in a module.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from mailconn.smtp import open_smtp
from responder.carry import Carry
from responder.context import Org
from responder.delivery_setup import DeliveryConfig, DeliveryReport
from responder.delivery_worker import deliver_batch
from responder.policy import PolicyRules
from responder.sent_copies import append_sent_copies
from store.db import transaction
from store.models import utcnow
from store.outbox import queue_failure_notice
from store.outbox_limit import held_by_limit, member_room

if TYPE_CHECKING:
    import jinja2

    from config import Settings
    from store.outbox import SessionFactory
    from store.registration_input import CaseRules

__all__ = ["DeliveryReport", "OutboxDelivery", "build_delivery_setup"]

log = structlog.get_logger("klachten.delivery")
# Rows per claim and SMTP connection (store/outbox_recovery.py: MAX_CLAIM).
BATCH = 20


def build_delivery_setup(settings: Settings, rules: CaseRules) -> DeliveryConfig:
    """The delivery worker's view of the settings."""
    smtp = settings.smtp
    coordinators = tuple(settings.reminders.coordinators)
    return DeliveryConfig(
        smtp=smtp,
        policy=PolicyRules(
            own_address=smtp.from_address,
            coordinators=coordinators,
            suppression=tuple(settings.responder.suppression),
            per_address_limit=settings.responder.per_address_limit,
        ),
        org=Org(
            name=settings.responder.org_name,
            from_name=smtp.from_name,
            from_address=smtp.from_address,
            phone=settings.responder.org_phone,
        ),
        rules=rules,
        coordinators=coordinators,
        connect=functools.partial(open_smtp, oauth=settings.oauth),
        lease=timedelta(seconds=settings.service.outbox_lease),
        hourly_limit=settings.responder.hourly_limit,
        copies_to=settings.imap if settings.imap.sent_copy_mailbox else None,
        copies_oauth=settings.oauth,
    )


class OutboxDelivery:
    """One process's delivery: its wiring, its carry-over, its outage state."""

    def __init__(
        self, sessions: SessionFactory, env: jinja2.Environment, setup: DeliveryConfig
    ) -> None:
        self.sessions = sessions
        self.env = env
        self.setup = setup
        self.carry = Carry()
        self._smtp_down = False  # an outage was logged; a success logs recovery

    def reconfigure(self, env: jinja2.Environment, setup: DeliveryConfig) -> None:
        """New templates and settings (a reload); the carry-over stays."""
        self.env = env
        self.setup = setup

    def deliver_pending(
        self,
        *,
        now: datetime | None = None,
        limit: int | None = None,
        notify: bool = True,
        earlier_failures: Sequence[int] = (),
    ) -> DeliveryReport:
        """Send what is due, in batches of one connection each, until nothing
        is due, the server is away, or `limit` rows were handled (None: no
        limit, so one `run --once` empties a backlog).

        Mails to members beyond [responder] hourly_limit wait (the report's
        `held`). Mails that failed (in this call, and `earlier_failures` of
        the same run in another process) reach the coordinators in one
        notice, unless `notify` is false (that process leaves it to the
        run's last call).
        """
        report = DeliveryReport()
        room = self._room(now or utcnow())
        while limit is None or report.handled < limit:
            left = BATCH if limit is None else min(BATCH, limit - report.handled)
            batch = deliver_batch(
                self.sessions,
                self.env,
                self.setup,
                now=now or utcnow(),
                limit=left,
                carry=self.carry,
                member_room=None if room is None else max(room - report.members, 0),
            )
            report.add(batch)
            if batch.outage or batch.handled == 0:
                break
        failures = [*earlier_failures, *report.failures]
        if notify and failures and self._queue_notice(failures):
            notice = deliver_batch(
                self.sessions,
                self.env,
                self.setup,
                now=now or utcnow(),
                limit=1,
                carry=self.carry,
            )
            report.add(notice)
        report.held = self._held(now or utcnow())
        self._log_outage(report)
        if self.setup.copies_to is not None:
            append_sent_copies(
                self.sessions, self.env, self.setup, self.setup.copies_to
            )
        return report

    def _room(self, now: datetime) -> int | None:
        """What is left of the hour's mails to members (None: no limit)."""
        if self.setup.hourly_limit is None:
            return None
        with transaction(self.sessions) as session:
            return member_room(session, now, self.setup.hourly_limit)

    def _queue_notice(self, failures: list[int]) -> bool:
        """The run's one notice to the coordinators about mails that failed."""
        with transaction(self.sessions) as session:
            return queue_failure_notice(
                session, self.setup.rules, list(self.setup.coordinators), failures
            )

    def _held(self, now: datetime) -> int:
        """Mails to members waiting for the hourly limit (logged when any)."""
        limit = self.setup.hourly_limit
        if limit is None:
            return 0
        with transaction(self.sessions) as session:
            held = held_by_limit(session, now, limit)
        if held:
            log.warning("outbox.hourly_limit", held=held, limit=limit)
        return held

    def _log_outage(self, report: DeliveryReport) -> None:
        if report.outage and not self._smtp_down:
            self._smtp_down = True
            log.warning("smtp.unavailable", error=report.outage, retried=report.retried)
        elif not report.outage and report.sent and self._smtp_down:
            self._smtp_down = False
            log.info("smtp.recovered", sent=report.sent)
