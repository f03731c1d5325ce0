"""Prometheus metrics, served on an optional loopback listener.

The intake and the responder know nothing of Prometheus: the daemon counts
what their returned summaries say, and a scheduled job refreshes the gauges
from the store (so they are right even for work another daemon did). With
`[metrics] listen` empty nothing listens and every call here is still cheap.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import start_http_server as _start_http_server

from config.listen import Listen, parse_listen

__all__ = ["Listen", "Metrics", "parse_listen"]

PREFIX = "klachten"
# Parsing a message with OCR'd attachments can take many seconds.
PROCESSING_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    """The service's instruments, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._server: Any = None
        r = self.registry
        self.messages = Counter(
            f"{PREFIX}_messages", "Inbound messages by class", ["class"], registry=r
        )
        self.cases = Counter(f"{PREFIX}_cases_registered", "Cases opened", registry=r)
        # Delivery reports count all mails; acknowledgements by status are
        # read from the store, where the kind of each mail is known.
        self.mails_sent = Counter(
            f"{PREFIX}_outbox_sent", "Mails sent by this process", registry=r
        )
        self.mails_failed = Counter(
            f"{PREFIX}_outbox_given_up", "Mails given up on by this process", registry=r
        )
        self.acknowledgements = Gauge(
            f"{PREFIX}_acknowledgements",
            "Acknowledgements in the store by status (sent, failed)",
            ["status"],
            registry=r,
        )
        self.reminders = Counter(
            f"{PREFIX}_reminders_sent", "Reminders and digests queued", registry=r
        )
        self.reconnects = Counter(
            f"{PREFIX}_imap_reconnects", "Connections to the mailbox made", registry=r
        )
        self.processing = Histogram(
            f"{PREFIX}_message_processing_seconds",
            "Time to process one inbound message",
            buckets=PROCESSING_BUCKETS,
            registry=r,
        )
        self.open_cases = Gauge(f"{PREFIX}_open_cases", "Open cases", registry=r)
        self.overdue_cases = Gauge(
            f"{PREFIX}_overdue_cases", "Open cases past their answer date", registry=r
        )
        self.outbox_backlog = Gauge(
            f"{PREFIX}_outbox_backlog", "Mails waiting to be sent", registry=r
        )
        self.outbox_failed = Gauge(
            f"{PREFIX}_outbox_failed", "Mails given up on", registry=r
        )
        self.last_poll = Gauge(
            f"{PREFIX}_last_successful_poll_timestamp_seconds",
            "Unix time of the last successful mailbox check",
            registry=r,
        )

    def serve(self, listen: Listen | None) -> None:
        """Start the HTTP listener (a daemon thread); nothing when `listen` is None."""
        if listen is None or self._server is not None:
            return
        self._server, _thread = _start_http_server(
            listen.port, addr=listen.host, registry=self.registry
        )

    def close(self) -> None:
        """Stop the listener."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def count_message(self, klass: str, seconds: float | None = None) -> None:
        """One message processed (and how long it took, when known)."""
        self.messages.labels(klass).inc()
        if seconds is not None:
            self.processing.observe(seconds)

    def count_delivery(self, sent: int, failed: int) -> None:
        """What one delivery run reported."""
        self.mails_sent.inc(sent)
        self.mails_failed.inc(failed)

    def refresh(self, health: Any) -> None:
        """Set the gauges from a `store.service_state.Health`."""
        self.open_cases.set(health.open_cases)
        self.overdue_cases.set(health.overdue_cases)
        self.outbox_backlog.set(health.outbox_pending)
        self.outbox_failed.set(health.outbox_failed)
        self.acknowledgements.labels("sent").set(health.acks_sent)
        self.acknowledgements.labels("failed").set(health.acks_failed)
        if health.last_success_at is not None:
            self.last_poll.set(health.last_success_at.timestamp())
