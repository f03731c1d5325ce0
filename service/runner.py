"""The runner: one pass of everything the service does (`run --once`).

`run_once(app)` takes in everything waiting in the mail source, then delivers
the outbox and sends due reminders. The daemon (`run`) builds on the same
pieces: `make_source`, `make_intake`, `intake_pass`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import structlog

from ingest.batch import IntakeStats, Source, process_waiting
from ingest.imap_source import IMAP_ERRORS, ImapSource
from ingest.intake import Intake, IntakeOptions
from ingest.maildir_source import MaildirSource
from ingest.record import describe_error
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

    @property
    def ok(self) -> bool:
        """False (exit 1) when the mailbox or the store failed: a message that
        could not be stored stays unmarked on the server for the next run."""
        return self.intake_error is None and not self.intake.failed

    def line(self) -> str:
        parts = [f"intake: {self.intake.describe()}"]
        if self.intake_error:
            parts[0] = f"intake: FAILED ({self.intake_error})"
        if self.outbox is not None:
            parts.append(f"outbox: {self.outbox}")
        if self.reminders is not None:
            parts.append(f"reminders: {self.reminders}")
        return "; ".join(parts)


def make_intake(app: App) -> Intake:
    """The pipeline wired to the app's store and settings."""
    return Intake(app.sessions, app.rules, IntakeOptions.from_settings(app.settings))


def make_source(app: App) -> ImapSource | MaildirSource:
    """The configured mail source ([source] kind), not yet connected."""
    if app.settings.source.kind == "maildir":
        return MaildirSource(app.settings.source.path)
    return ImapSource(app.settings.imap)


def intake_pass(app: App, source: Source, intake: Intake) -> IntakeStats:
    """One pass over an opened or openable source; the failure is recorded.

    A connection or server error is recorded in mailbox_state (status shows
    it) and raised again for the caller's reconnect logic.
    """
    try:
        return process_waiting(source, intake)
    except IMAP_ERRORS as exc:
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

    Acknowledgements are delivered by a second thread while intake goes on
    (the outbox is built for concurrent workers), then once more at the end,
    after the reminders were queued. The caller has checked the schema
    (`app.require_schema()`).
    """
    from service.delivery import deliver_pending
    from service.reminders_job import run_due

    summary = RunSummary()
    source = make_source(app)
    delivering = _DeliveryAlongside(app)
    delivering.start()
    try:
        summary.intake = intake_pass(app, source, make_intake(app))
    except IMAP_ERRORS as exc:
        summary.intake_error = describe_error(exc)
    finally:
        delivering.stop()
        if isinstance(source, ImapSource):
            source.close()
    # Reminders only queue mail; delivering after them sends them in this run.
    summary.reminders = _describe(run_due(app))
    report = deliver_pending(app)
    report.add(delivering.report)
    summary.outbox = _describe(report)
    log.info("run.once_done", ok=summary.ok)
    return summary


class _DeliveryAlongside:
    """Deliver what intake queues while it goes on; stops at an outage."""

    def __init__(self, app: App) -> None:
        from service.delivery import DeliveryReport

        self.app = app
        self.report = DeliveryReport()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="delivery")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        from service.delivery import deliver_pending

        while not self._stop.wait(0.2):
            try:
                report = deliver_pending(self.app)
            except Exception:  # the store is down: the final run says so
                log.warning("outbox.concurrent_delivery_stopped")
                return
            self.report.add(report)
            if report.outage:
                return


def _describe(result: Any) -> str:
    """A few words on a job's report (DeliveryReport, ReminderReport, ...)."""
    if result is None:
        return "done"
    describe = getattr(result, "describe", None)
    if callable(describe):
        return str(describe())
    if hasattr(result, "sent"):
        parts = [f"{result.sent} sent"]
        for name in ("retried", "failed", "skipped"):
            if getattr(result, name, 0):
                parts.append(f"{getattr(result, name)} {name}")
        if getattr(result, "outage", None):
            parts.append(f"server unavailable: {result.outage}")
        return ", ".join(parts)
    if hasattr(result, "mails"):
        return f"{len(result.mails)} queued"
    return str(result)
