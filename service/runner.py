"""The runner: one pass of everything the service does (`run --once`).

`run_once(app)` takes in everything waiting in the mail source, then delivers
the outbox and sends due reminders. The daemon (`run`) builds on the same
pieces: `make_source`, `make_intake`, `intake_pass`.
"""

from __future__ import annotations

import multiprocessing
import queue
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from config import Settings
from ingest.batch import IntakeStats, process_waiting
from ingest.imap_source import ImapSource, SentFolderSource
from ingest.inbound_builder import describe_error
from ingest.intake import Intake
from ingest.maildir_source import MaildirSource
from ingest.options import IntakeOptions
from ingest.source import SOURCE_ERRORS, Source
from responder.delivery_setup import DeliveryReport
from service.app import App
from store import intake_state

log = structlog.get_logger()


@dataclass
class RunSummary:
    """What one `run --once` did, as one line for a person."""

    intake: IntakeStats = field(default_factory=IntakeStats)
    intake_error: str | None = None
    outbox: str | None = None
    reminders: str | None = None
    # Mails that could have been sent now and were not (see _still_due).
    unsent: int = 0

    @property
    def ok(self) -> bool:
        """False (exit 1) when the mailbox or the store failed (a message that
        could not be stored stays unmarked on the server for the next run), or
        when mail that could be sent now is still unsent."""
        return self.intake_error is None and not self.intake.failed and not self.unsent

    def line(self) -> str:
        parts = [f"intake: {self.intake.describe()}"]
        if self.intake_error:
            parts[0] = f"intake: FAILED ({self.intake_error})"
        if self.outbox is not None:
            parts.append(f"outbox: {self.outbox}")
        if self.reminders is not None:
            parts.append(f"reminders: {self.reminders}")
        if self.unsent:
            parts.append(f"UNSENT: {self.unsent} mail(s) due now still in the outbox")
        return "; ".join(parts)


def make_intake(app: App) -> Intake:
    """The pipeline wired to the app's store and settings."""
    return Intake(app.sessions, app.rules, IntakeOptions.from_settings(app.settings))


def make_source(app: App) -> Source:
    """The configured mail source ([source] kind), not yet connected."""
    if app.settings.source.kind == "maildir":
        source = app.settings.source
        return MaildirSource(
            source.path,
            source.processed_folder,
            poll_interval=app.settings.imap.poll_interval,
        )
    return ImapSource(app.settings.imap, app.settings.oauth)


def make_sent_source(app: App) -> SentFolderSource | None:
    """The shared mailbox's sent folder when [imap] sent_mailbox names one."""
    imap = app.settings.imap
    if app.settings.source.kind != "imap" or not imap.sent_mailbox:
        return None
    return SentFolderSource(imap, app.settings.oauth)


def sent_folder_pass(
    app: App, source: SentFolderSource | None, intake: Intake
) -> IntakeStats:
    """Read what is new in the sent folder. A failure is recorded and logged,
    the connection dropped for the next pass; the inbox goes on regardless."""
    if source is None:
        return IntakeStats()
    try:
        return intake_pass(app, source, intake)
    except SOURCE_ERRORS:
        source.close()
        return IntakeStats()


def intake_pass(
    app: App,
    source: Source,
    intake: Intake,
    on_progress: Callable[[int, int], None] | None = None,
) -> IntakeStats:
    """One pass over an opened or openable source; the failure is recorded.

    A connection or server error is recorded in mailbox_state (status shows
    it) and raised again for the caller's reconnect logic.
    """
    try:
        return process_waiting(source, intake, on_progress=on_progress)
    except SOURCE_ERRORS as exc:
        log.error("intake.source_failed", error=type(exc).__name__)
        try:
            intake_state.record_check(
                app.sessions, source.state_key, waiting=0, error=describe_error(exc)
            )
        except Exception:  # the database may be what is down; the raise says it
            log.error("intake.state_not_recorded")
        raise


def run_once(app: App) -> RunSummary:
    """Intake everything waiting, queue due reminders, deliver the outbox.

    During a large backlog a second process delivers acknowledgements while
    intake goes on (the outbox is built for concurrent workers; a process,
    because a thread would share one core with intake). The outbox is
    delivered once more at the end, after the reminders were queued. The
    caller has checked the schema (`app.require_schema()`).
    """
    from responder.reminder_job import run_due

    summary = RunSummary()
    source = make_source(app)
    alongside = _DeliveryAlongside(app)
    intake = make_intake(app)
    sent = make_sent_source(app)
    try:
        summary.intake = intake_pass(
            app, source, intake, on_progress=alongside.progress
        )
        summary.intake.merge(sent_folder_pass(app, sent, intake))
    except SOURCE_ERRORS as exc:
        summary.intake_error = describe_error(exc)
    finally:
        early = alongside.stop()
        source.close()
        if sent is not None:
            sent.close()
    # Reminders only queue mail; delivering after them sends them in this run.
    summary.reminders = _describe(run_due(app))
    # One notice to the coordinators for the whole run, the failures of the
    # delivery process included.
    report = app.delivery.deliver_pending(earlier_failures=early.failures)
    early.failures = []
    report.add(early)
    summary.outbox = _describe(report)
    if not report.outage:  # with the server away, nothing can be sent now
        summary.unsent = _still_due(app)
    log.info("run.once_done", ok=summary.ok)
    return summary


def _still_due(app: App) -> int:
    """Mails due now that no live worker is sending, after this run's delivery.

    A run that leaves such mail did not finish its work (a worker of its own
    died, the store failed under it): exit 1 says so. Mail waiting for a
    retry time, claimed by a live daemon, or held back by [responder]
    hourly_limit (store/outbox_limit.py) does not count.
    """
    from store.models import utcnow
    from store.outbox_limit import held_by_limit
    from store.outbox_recovery import due_now, take_back_orphans

    limit = app.delivery.setup.hourly_limit
    now = utcnow()
    with app.transaction() as session:
        take_back_orphans(session)
        due = due_now(session, now)
        held = 0 if limit is None or not due else held_by_limit(session, now, limit)
    return max(due - held, 0)


class _DeliveryAlongside:
    """A delivery process started once a backlog is worth its start-up."""

    MIN_BACKLOG = 200

    def __init__(self, app: App) -> None:
        self.app = app
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
        self._results = self._context.Queue()
        self._process: Any = None

    def progress(self, handled: int, total: int) -> None:
        if self._process is None and total >= self.MIN_BACKLOG and handled < total:
            self._process = self._context.Process(
                target=_deliver_until_stopped,
                args=(
                    self.app.settings,
                    self.app.config_path,
                    self._stop,
                    self._results,
                ),
                name="klachten-delivery",
                daemon=True,
            )
            self._process.start()
            log.info("outbox.delivery_alongside", waiting=total - handled)

    def stop(self) -> DeliveryReport:
        report = DeliveryReport()
        if self._process is None:
            return report
        self._stop.set()
        try:
            sent, retried, failed, skipped, failures = self._results.get(timeout=120)
        except queue.Empty:  # it died; the final delivery takes its rows back
            log.warning("outbox.delivery_alongside_lost")
        else:
            report.add(DeliveryReport(sent, retried, failed, skipped))
            report.failures = list(failures)
        self._process.join(timeout=30)
        if self._process.is_alive():  # its claims are taken back once it is gone
            self._process.kill()
            self._process.join(timeout=10)
        return report


def _deliver_until_stopped(
    settings: Settings, config_path: Path | None, stop: Any, results: Any
) -> None:
    """The delivery process: deliver until told to stop or the server is gone."""
    from service.log_setup import configure_logging

    configure_logging(level=settings.service.log_level, stream=sys.stderr)
    app = App(settings, config_path)
    total = DeliveryReport()
    try:
        while not stop.wait(0.2):
            report = app.delivery.deliver_pending(notify=False)
            total.add(report)
            if report.outage:
                break
    except Exception as exc:  # the store is down: the parent's final run says so
        log.warning("outbox.delivery_alongside_stopped", error=type(exc).__name__)
    finally:
        results.put(
            (total.sent, total.retried, total.failed, total.skipped, total.failures)
        )
        app.close()


def _describe(result: Any) -> str:
    """A few words on a job's report (DeliveryReport, ReminderReport, ...)."""
    if result is None:
        return "done"
    describe = getattr(result, "describe", None)
    if callable(describe):
        return str(describe())
    if hasattr(result, "sent"):
        parts = [f"{result.sent} sent"]
        for name in ("retried", "failed", "skipped", "held"):
            if getattr(result, name, 0):
                parts.append(f"{getattr(result, name)} {name}")
        if getattr(result, "outage", None):
            parts.append(f"server unavailable: {result.outage}")
        return ", ".join(parts)
    if hasattr(result, "mails"):
        return f"{len(result.mails)} queued"
    return str(result)
