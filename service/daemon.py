"""`klachten run`: the long-running service, one process.

The main thread runs the mail source loop: connect, register everything
waiting, then wait for new mail (IMAP IDLE, or polling); the loop speaks only
the source protocol (ingest/source.py), whatever the source is. A BackgroundScheduler
runs the other jobs in threads (service/daemon_jobs.py). The main loop checks
the stop flag between batches and about once a second while it waits, and
pings the systemd watchdog at the same moments, so a hung loop is restarted
and a SIGTERM ends the process within seconds without cutting a message in
half.

Outages (IMAP down or refusing logins, the database unreachable) log one
warning each (mailconn/outage.py) and are retried with backoff; intake carries
on where it stopped, because the store remembers what was registered and the
server keeps what was not marked.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog

from config.backoff import Backoff
from ingest.batch import IntakeStats, process_waiting
from ingest.options import IntakeOptions
from ingest.source import SOURCE_ERRORS
from service.daemon_jobs import Daemon, build_scheduler, schedule_reminders
from service.log_setup import configure_logging
from service.metrics import Metrics, parse_listen
from service.notify import Notifier
from service.runner import (
    make_intake,
    make_sent_source,
    make_source,
    sent_folder_pass,
)
from service.signals import Signals, installed

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from service.app import App

log = structlog.get_logger("klachten.daemon")
# Jobs get this long to finish after a stop; systemd kills at 15 s.
STOP_GRACE_SECONDS = 7.0
BACKOFF_BASE = 1.0
PING_GAP = 0.2  # seconds: the least time between two watchdog pings


class _StopNow(Exception):
    """Raised between two batches of a pass when a stop was asked for."""


def run_forever(app: App, signals: Signals | None = None) -> int:
    """Run until SIGTERM/SIGINT (or `signals.request_stop()`); returns 0."""
    configure_logging(level=app.settings.service.log_level)
    signals = signals or Signals()
    with installed(signals):
        app.require_schema()
        daemon = Daemon(app, signals, Notifier(), Metrics())
        return MainLoop(daemon).run()


class MainLoop:
    """The mail source loop of one daemon."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.app = daemon.app
        self.source = make_source(self.app)
        self.sent = make_sent_source(self.app)
        self.intake = make_intake(self.app)
        self.intake.heartbeat = self.heartbeat
        self._connected = False
        self.backoff = Backoff(
            base=BACKOFF_BASE, cap=self.app.settings.imap.backoff_cap
        )
        self.scheduler: BackgroundScheduler | None = None
        self._ready = False
        self._last_ping = 0.0
        watchdog = daemon.notifier.watchdog_interval()
        # Every tick pings (ticks come about once a second), at most one ping
        # per PING_GAP when the form reading's heartbeat calls it more often.
        # A throttle near the tick interval would skip a tick that came a
        # little early and leave two seconds between pings.
        self._ping_every = min(PING_GAP, watchdog / 3) if watchdog else None

    def run(self) -> int:
        daemon = self.daemon
        daemon.metrics.serve(parse_listen(self.app.settings.metrics.listen))
        self.scheduler = build_scheduler(daemon)
        self.scheduler.start()
        log.info("service.started", holder=daemon.holder)
        try:
            while not daemon.signals.stopping:
                self._turn()
        finally:
            self._shutdown()
        return 0

    # -- one turn of the loop -------------------------------------------------------

    def _turn(self) -> None:
        from store.service_state import is_database_error

        try:
            if not self._connected:
                self._connect()
            stats = self._pass()
            if stats.failed:
                self._retry_soon(stats.failed)
                return
            self.daemon.activity = "idle"
            self._wait_for_mail()
        except _StopNow:
            return
        except SOURCE_ERRORS as exc:
            self._failed("imap", exc)
        except Exception as exc:
            if not is_database_error(exc):
                raise
            self._failed("store", exc)

    def _connect(self) -> None:
        self.daemon.activity = "connecting"
        self.source.connect()  # raises SOURCE_ERRORS when it is not there
        self._connected = True
        self.daemon.metrics.reconnects.inc()
        self.daemon.outages.succeeded("imap")
        if not self._ready:
            self._ready = True
            self.daemon.notifier.ready("connected; starting")
            log.info("service.ready")

    def _pass(self) -> IntakeStats:
        """Register everything waiting; stop between batches when asked to."""
        self.daemon.activity = "processing"
        started = time.monotonic()
        stats = process_waiting(
            self.source,
            self.intake,
            on_progress=self._progress,
            should_stop=lambda: self.daemon.signals.stopping,
        )
        stats.merge(sent_folder_pass(self.app, self.sent, self.intake))
        self.daemon.outages.succeeded("store")
        if not stats.failed:
            self.backoff.reset()
        self._count(stats, time.monotonic() - started)
        self.daemon.metrics.last_poll.set(time.time())
        return stats

    def _retry_soon(self, failed: int) -> None:
        """The store refused `failed` messages; they wait unmarked on the server.

        Take them again after a growing backoff, not at the next new mail or
        IDLE renewal, which may be many minutes away.
        """
        delay = self.backoff.next_delay()
        self.daemon.activity = "retrying"
        log.info("intake.retry_scheduled", failed=failed, retry_in=round(delay, 1))
        self._sleep(delay)

    def _progress(self, handled: int, total: int) -> None:
        if self.tick():
            raise _StopNow

    def _count(self, stats: IntakeStats, seconds: float) -> None:
        metrics = self.daemon.metrics
        per_message = seconds / stats.handled if stats.handled else None
        for klass, count in stats.classes.items():
            for _ in range(count):
                metrics.count_message(klass, per_message)
        metrics.cases.inc(stats.outcomes["case"])
        if stats.handled:
            log.info("intake.pass_counted", summary=stats.describe())
        if stats.handled > stats.failed:
            self._wake_outbox()

    def _wake_outbox(self) -> None:
        """Run delivery now: a new case's acknowledgement should not wait for
        the outbox job's next turn (service.outbox_interval, 15 s by default)."""
        job = self.scheduler.get_job("outbox") if self.scheduler else None
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))

    def _wait_for_mail(self) -> None:
        """Until new mail, a stop, or the timeout; a lost connection raises."""
        imap = self.app.settings.imap
        timeout = imap.idle_renew if imap.idle else imap.poll_interval
        if self.sent is not None:  # nothing tells of new mail in the sent folder
            timeout = min(timeout, imap.poll_interval)
        self.source.wait_for_mail(
            float(timeout), should_stop=self.tick, sleep=self.daemon.signals.wait
        )

    def _close_source(self) -> None:
        self._connected = False
        self.source.close()
        if self.sent is not None:
            self.sent.close()

    def _failed(self, peer: str, exc: BaseException) -> None:
        self.daemon.activity = f"{peer} unavailable"
        self._close_source()
        delay = self.backoff.next_delay()
        if self.daemon.outages.failed(peer, exc, delay) and peer == "imap":
            self._record_imap_error(exc)
        self._sleep(delay)

    def _record_imap_error(self, exc: BaseException) -> None:
        """Show the error in `status` (best effort: the store may be down too)."""
        from store import intake_state
        from store.errors import StoreUnavailable

        text = f"{type(exc).__name__}: {exc}"[:300]
        with contextlib.suppress(StoreUnavailable):
            intake_state.record_check(
                self.app.sessions, self.source.state_key, waiting=0, error=text
            )

    def _sleep(self, seconds: float) -> None:
        """Wait `seconds`, ticking (watchdog, reload) about once a second."""
        deadline = time.monotonic() + seconds
        while not self.tick():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.daemon.signals.wait(min(1.0, left))

    # -- heartbeat, reload, stop ----------------------------------------------------

    def tick(self) -> bool:
        """Called about once a second: watchdog, SIGHUP; True when stopping."""
        self._ping_watchdog()
        if self.daemon.signals.take_reload():
            self._reload()
        return self.daemon.signals.stopping

    def heartbeat(self) -> bool:
        """Called by this loop's own thread inside a long message (form
        workers at work): the watchdog only, no reload; True when stopping.

        Never from another thread: a loop that hangs must stop the pings.
        """
        self._ping_watchdog()
        return self.daemon.signals.stopping

    def _ping_watchdog(self) -> None:
        now = time.monotonic()
        if self._ping_every is not None and now - self._last_ping >= self._ping_every:
            self.daemon.notifier.watchdog()
            self._last_ping = now

    def _reload(self) -> None:
        """Re-read the config: keep the connection settings, take the rest."""
        from config import ConfigError, load_settings

        notifier = self.daemon.notifier
        notifier.reloading()
        try:
            new = load_settings(self.app.config_path)
        except ConfigError as exc:
            log.error("service.reload_failed", error=str(exc))
            notifier.ready()
            return
        old = self.app.settings
        self.app.reconfigure(  # templates are read again
            dataclasses.replace(
                new,
                imap=old.imap,
                smtp=old.smtp,
                store=old.store,
                source=old.source,
                metrics=old.metrics,
            )
        )
        self.intake.rules = self.app.rules
        self.intake.options = IntakeOptions.from_settings(self.app.settings)
        if self.scheduler is not None:
            schedule_reminders(self.daemon, self.scheduler)
        logging.getLogger().setLevel(self.app.settings.service.log_level.upper())
        notifier.ready()
        log.info("service.reloaded")

    def _shutdown(self) -> None:
        daemon = self.daemon
        daemon.notifier.stopping()
        log.info("service.stopping", signal=daemon.signals.stop_signal)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        finished = daemon.wait_for_jobs(STOP_GRACE_SECONDS)
        self._close_source()
        daemon.metrics.close()
        self.app.close()
        log.info("service.stopped", jobs_finished=finished)
        for handler in logging.getLogger().handlers:
            handler.flush()
        if not finished:
            # A job stuck in a network call would keep the interpreter alive
            # past systemd's stop timeout; its outbox lease makes it safe.
            os._exit(0)
