"""Wiring of outbox delivery: settings, store and templates in, a report out.

`deliver_pending` is what `case register`, `run --once` and the daemon call.
It never raises because the SMTP server is away: the mails stay in the outbox
and one warning line per outage says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from responder.context import Org
from responder.delivery_setup import DeliveryConfig, DeliveryReport
from responder.delivery_worker import deliver_batch
from responder.policy import PolicyRules
from responder.render import build_environment
from responder.smtp import open_connection
from store.models import utcnow

if TYPE_CHECKING:
    import jinja2

    from config import Settings
    from service.app import App
    from store.registration_input import CaseRules

__all__ = ["DeliveryReport", "deliver_pending", "delivery_config"]

log = structlog.get_logger("klachten.delivery")
# Rows per claim and SMTP connection (store/outbox_recovery.py: MAX_CLAIM).
BATCH = 20
# Servers whose outage has been logged; the next success logs the recovery.
_outages: set[tuple[str, int]] = set()


def deliver_pending(
    app: App, *, now: datetime | None = None, limit: int | None = None
) -> DeliveryReport:
    """Send what is due, in batches of one connection each, until nothing is
    due, the server is away, or `limit` rows were handled (None: no limit, so
    one `run --once` empties a backlog)."""
    settings = app.settings
    env = environment(settings.responder.templates_dir, settings.cases.timezone)
    config = delivery_config(settings, app.rules)
    report = DeliveryReport()
    while limit is None or report.handled < limit:
        left = BATCH if limit is None else min(BATCH, limit - report.handled)
        batch = deliver_batch(
            app.sessions, env, config, now=now or utcnow(), limit=left
        )
        report.add(batch)
        if batch.outage or batch.handled == 0:
            break
    _log_outage(settings, report)
    return report


def delivery_config(settings: Settings, rules: CaseRules) -> DeliveryConfig:
    """The worker's view of the settings."""
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
        connect=open_connection,
        lease=timedelta(seconds=settings.service.outbox_lease),
    )


@cache
def environment(templates_dir: str, timezone: str) -> jinja2.Environment:
    """One template environment per (override directory, time zone)."""
    override = Path(templates_dir) if templates_dir else None
    return build_environment(override, timezone=timezone)


def _log_outage(settings: Settings, report: DeliveryReport) -> None:
    server = (settings.smtp.host, settings.smtp.port)
    if report.outage and server not in _outages:
        _outages.add(server)
        log.warning("smtp.unavailable", error=report.outage, retried=report.retried)
    elif not report.outage and report.sent and server in _outages:
        _outages.discard(server)
        log.info("smtp.recovered", sent=report.sent)
