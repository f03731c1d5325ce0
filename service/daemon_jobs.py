"""The daemon's scheduled jobs on an APScheduler 3 BackgroundScheduler.

Jobs: outbox delivery every `service.outbox_interval` seconds, reminders at
`reminders.send_time`, the weekly digest, the daily retention purge
(03:30), reconcile once at start when the store was restored from a
backup (store/restore_state.py), housekeeping (gauges, status facts,
the STATUS= line) and the stall alarm check. Every job re-reads the database
and is idempotent, runs at most once at a time here (max_instances=1,
coalesce=True) and, through `job_lock`, at most once at a time across
daemons sharing one store. A failing job is logged and runs again at its
next turn; it never takes the daemon down.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog
from apscheduler.schedulers.background import BackgroundScheduler

from mailconn.outage import Outages
from responder.stall_alarm import check_stall
from service.metrics import Metrics
from service.notify import Notifier
from service.signals import Signals
from service.status import DAEMON_KEY, SCHEDULER_KEY, read_health, summary_line

if TYPE_CHECKING:
    from service.app import App

log = structlog.get_logger("klachten.scheduler")
HOUSEKEEPING_SECONDS = 15
STALL_CHECK_SECONDS = 60
# The daily retention purge, at night in the configured time zone.
RETENTION_HOUR, RETENTION_MINUTE = 3, 30


def _now() -> datetime:
    from store.models import utcnow

    return utcnow()


@dataclass
class Daemon:
    """What the loop and the jobs share."""

    app: App
    signals: Signals
    notifier: Notifier
    metrics: Metrics
    outages: Outages = field(default_factory=Outages)
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    started_at: datetime = field(default_factory=_now)
    activity: str = "starting"
    _running: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition)

    def wait_for_jobs(self, timeout: float) -> bool:
        """Wait until no job runs; False when `timeout` ran out first."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True


def guarded(
    daemon: Daemon, name: str, work: Callable[[Daemon], Any]
) -> Callable[[], None]:
    """Wrap `work` as a job: lock across daemons, count, log failures."""
    from store.service_state import is_database_error, job_lock

    def job() -> None:
        if daemon.signals.stopping:
            return  # no new work once a stop was asked for
        with daemon._idle:
            daemon._running += 1
        try:
            with job_lock(daemon.app.engine, name, daemon.holder) as held:
                if held:
                    work(daemon)
            daemon.outages.succeeded("store")
        except Exception as exc:
            if is_database_error(exc):
                daemon.outages.failed("store", exc, retry_in=0)
            else:
                log.exception("scheduler.job_failed", job=name)
        finally:
            with daemon._idle:
                daemon._running -= 1
                daemon._idle.notify_all()

    return job


def deliver(daemon: Daemon) -> None:
    """Outbox delivery; the delivery object logs SMTP outages itself."""
    report = daemon.app.delivery.deliver_pending()
    daemon.metrics.count_delivery(report.sent, report.failed)
    if report.handled:  # the gauges show the change now, not at housekeeping
        daemon.metrics.refresh(read_health(daemon.app, _now()))


def reminders(daemon: Daemon) -> None:
    """Reminders in working hours and the digest when due; a no-op otherwise.

    The reminders module records what it queued, so an extra run (at start,
    or by a second daemon) sends nothing twice.
    """
    from responder import reminder_job

    report = reminder_job.tick(daemon.app, _now())
    daemon.metrics.reminders.inc(len(report.mails))


def retention(daemon: Daemon) -> None:
    """Erase the personal data of cases closed or reclassified, and of mail
    of no case received, beyond `[privacy] retention_years`
    (store/retention.py); idempotent, so daily is enough."""
    from store.db import forget_old_pages
    from store.retention import purge

    years = daemon.app.settings.privacy.retention_years
    with daemon.app.transaction() as session:
        done = purge(session, now=_now(), years=years)
    if done.cases or done.messages:
        forget_old_pages(daemon.app.engine)
        log.info(
            "retention.purged",
            cases=len(done.cases),
            messages=len(done.messages),
            years=years,
        )


def reconcile_after_restore(daemon: Daemon) -> None:
    """At start: when the store was restored from a backup, register again
    the mail the mailbox shows processed but the store lacks (no second
    acknowledgement). A no-op on a store without the restore marker."""
    from service.restore import reconcile_if_restored

    done = reconcile_if_restored(daemon.app)
    if done is not None:
        log.info(
            "reconcile.after_restore",
            seen=done.seen,
            missing=len(done.missing),
            failed=done.stats.failed,
        )


def stall_check(daemon: Daemon) -> None:
    check_stall(daemon.app, _now(), daemon.started_at)


def housekeeping(daemon: Daemon, scheduler: BackgroundScheduler | None = None) -> None:
    """Refresh gauges, the status facts and the STATUS= line."""
    from store.service_state import put_state

    now = _now()
    health = read_health(daemon.app, now)
    daemon.metrics.refresh(health)
    facts = {
        "holder": daemon.holder,
        "started_at": daemon.started_at.isoformat(timespec="seconds"),
        "heartbeat_at": now.isoformat(timespec="seconds"),
        "down": daemon.outages.down(),
    }
    with daemon.app.transaction() as session:
        put_state(session, DAEMON_KEY, facts, now)
        if scheduler is not None:
            put_state(session, SCHEDULER_KEY, {"next_runs": next_runs(scheduler)}, now)
    daemon.notifier.status(_status_text(daemon, health))


def _status_text(daemon: Daemon, health: Any) -> str:
    line = summary_line(health).replace("idle", daemon.activity, 1)
    down = daemon.outages.down()
    return f"{line}; down: {', '.join(down)}" if down else line


def next_runs(scheduler: BackgroundScheduler) -> dict[str, str]:
    """The next run time of every job, as ISO strings."""
    return {
        job.id: job.next_run_time.isoformat(timespec="seconds")
        for job in scheduler.get_jobs()
        if job.next_run_time is not None
    }


def build_scheduler(daemon: Daemon) -> BackgroundScheduler:
    """The scheduler with every job added (not started)."""
    settings = daemon.app.settings
    scheduler = BackgroundScheduler(
        timezone=daemon.app.timezone,
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 300},
    )
    add = scheduler.add_job
    add(
        guarded(daemon, "outbox", deliver),
        "interval",
        id="outbox",
        seconds=settings.service.outbox_interval,
        next_run_time=_now(),
    )
    add(
        guarded(daemon, "housekeeping", lambda d: housekeeping(d, scheduler)),
        "interval",
        id="housekeeping",
        seconds=HOUSEKEEPING_SECONDS,
        next_run_time=_now(),
    )
    add(
        guarded(daemon, "stall_check", stall_check),
        "interval",
        id="stall_check",
        seconds=STALL_CHECK_SECONDS,
    )
    add(
        guarded(daemon, "retention", retention),
        "cron",
        id="retention",
        hour=RETENTION_HOUR,
        minute=RETENTION_MINUTE,
    )
    add(
        guarded(daemon, "reconcile", reconcile_after_restore),
        "date",
        id="reconcile",
        run_date=_now(),
    )
    schedule_reminders(daemon, scheduler)
    return scheduler


def schedule_reminders(daemon: Daemon, scheduler: BackgroundScheduler) -> None:
    """(Re)add the reminder and digest jobs from the current settings."""
    config = daemon.app.settings.reminders
    hour, minute = (int(part) for part in config.send_time.split(":"))
    days = "mon-sun" if config.weekends else "mon-fri"
    job = guarded(daemon, "reminders", reminders)
    scheduler.add_job(
        job,
        "cron",
        id="reminders",
        replace_existing=True,
        day_of_week=days,
        hour=hour,
        minute=minute,
    )
    if scheduler.get_job("digest") is not None:
        scheduler.remove_job("digest")
    if config.digest:
        hour, minute = (int(part) for part in config.digest_time.split(":"))
        scheduler.add_job(
            job,
            "cron",
            id="digest",
            day_of_week=config.digest_day,
            hour=hour,
            minute=minute,
        )
    # A daemon (re)started after send_time catches up on today's reminders.
    scheduler.add_job(
        job, "date", id="reminders_catchup", replace_existing=True, run_date=_now()
    )
