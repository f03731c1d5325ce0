"""The per-message pipeline: parse, classify, read forms, register. One unit.

Mailman's rule: a message is handled completely or not at all. Everything
that goes wrong while understanding a message (parsing, classifying, forms,
building the record) sets the raw message aside in quarantine with the error,
and the message counts as handled, so the loop goes on. A failure of the
database write itself is different: nothing is marked on the server, the
attempt is counted, and the message is tried again on the next pass; after
`max_attempts` it is stored in quarantine as well.

Reading forms runs under limits in worker processes, its start committed
first (ingest/form_reading.py): a message whose reading took the whole
service down `max_attempts` times is quarantined unread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from ingest.classify import classify
from ingest.form_reading import FormWork, StoppedService
from ingest.forms.pool import FormPool, FormsInterrupted, shared_pool
from ingest.forwarded import as_members_complaint
from ingest.inbound_builder import (
    build_record,
    describe_error,
    quarantine_record,
    rejected_record,
    short_hash,
)
from ingest.incoming import Incoming
from ingest.options import IntakeOptions
from ingest.parse import ParsedMessage, UnparseableMessage, parse_message
from ingest.staff_acts import forwarded_record, with_staff_act
from store import intake_state
from store.errors import StoreUnavailable
from store.vocabulary import MessageClass

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from store.inbound import Registered
    from store.registration_input import CaseRules, InboundRecord

log = structlog.get_logger()


@dataclass(frozen=True)
class Outcome:
    """What became of one message.

    status: "case", "follow_up", "stored", "duplicate", "quarantined" (all
    stored: mark the message on the server) or "failed" (not stored: leave it).
    """

    status: str
    klass: str | None = None
    case_number: str | None = None

    @property
    def stored(self) -> bool:
        return self.status != "failed"


class Intake:
    """The pipeline for one store.

    `handle()` takes one message; `handle_many()` takes a fetched batch,
    understands each message in turn and registers them together in one
    transaction (a message at a time again when that transaction fails).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        rules: CaseRules,
        options: IntakeOptions,
        pool: FormPool | None = None,
    ) -> None:
        self.sessions = sessions
        self.rules = rules
        self.options = options
        self.forms = FormWork(sessions, pool or shared_pool())
        # Called at least every quarter second while forms are read (the
        # daemon pings its watchdog there); True asks to stop.
        self.heartbeat: Callable[[], bool] = lambda: False
        self.lookup = _WaitingFirst(
            intake_state.StoreCaseLookup(sessions), self._register_waiting
        )
        # sha256 of messages with counted failed writes, read once: only those
        # need their count removed when stored. A count another process adds
        # meanwhile may outlive its message; it is never read again then.
        self._failed: set[str] | None = None
        self._waiting: list[tuple[Incoming, InboundRecord]] = []
        self._done: list[tuple[Incoming, Outcome]] = []

    def handle(self, item: Incoming) -> Outcome:
        """Register `item` in one transaction and say what happened.

        Never raises for a bad message; returns status "failed" when the
        database could not take it (the caller must not mark it).
        """
        return self.handle_many([item])[0][1]

    def handle_many(
        self,
        items: Sequence[Incoming],
        should_stop: Callable[[], bool] = lambda: False,
    ) -> list[tuple[Incoming, Outcome]]:
        """Each item with its outcome, in order; `should_stop` is asked between
        messages, and the ones understood so far are still registered."""
        for item in items:
            if should_stop():
                break
            with _bound(item):
                try:
                    record = self.understand(item)
                except StoreUnavailable as exc:  # the case lookup needs it
                    self._register_waiting()
                    self._done.append((item, self._write_failed(item, exc)))
                    continue
                except FormsInterrupted:  # a stop: the message stays unmarked
                    log.info("intake.forms_interrupted")
                    break
            self._waiting.append((item, record))
        self._register_waiting()
        self.forms.flush()
        done, self._done = self._done, []
        return done

    def _register_waiting(self) -> None:
        """Register the understood messages together; one by one on failure."""
        waiting, self._waiting = self._waiting, []
        if len(waiting) > 1:
            try:
                registered = self._write_batch([record for _, record in waiting])
            except Exception as exc:  # each message gets its own verdict below
                log.warning(
                    "intake.batch_failed", size=len(waiting), error=type(exc).__name__
                )
                if isinstance(exc, StoreUnavailable) and exc.transient:
                    self._done.extend(
                        (i, self._write_failed(i, exc)) for i, _ in waiting
                    )
                    return
            else:
                for (item, record), result in zip(waiting, registered, strict=True):
                    with _bound(item, record.sha256):
                        self._done.append((item, self._registered(record, result)))
                return
        for item, record in waiting:
            with _bound(item, record.sha256):
                self._done.append((item, self._store(item, record)))

    def _write_batch(self, records: list[InboundRecord]) -> list[Registered]:
        if self._failed is None:
            self._failed = intake_state.failed_messages(self.sessions)
        shas = {record.sha256 for record in records}
        ended = self.forms.ending_with(shas)
        registered = intake_state.write_inbound_batch(
            self.sessions,
            self.rules,
            records,
            clear=shas & self._failed,
            clear_work=ended,
        )
        self._failed -= shas
        self.forms.cleared(ended)
        return registered

    def understand(self, item: Incoming) -> InboundRecord:
        """Parse, classify and read forms; quarantine anything that raises."""
        if not item.complete:
            return self._too_large(item)
        try:
            msg = parse_message(item.raw)
        except UnparseableMessage as exc:
            return rejected_record(item, f"not an e-mail message: {exc.reason}")
        except Exception as exc:
            return self._poison(item, "parse", exc)
        try:
            return self._classified(item, msg)
        except (StoreUnavailable, FormsInterrupted):
            raise
        except Exception as exc:
            return self._poison(item, "classify", exc)

    def _classified(self, item: Incoming, msg: ParsedMessage) -> InboundRecord:
        if msg.message_id:
            structlog.contextvars.bind_contextvars(mid=short_hash(msg.message_id))
        options = self.options
        sent = bool(options.sent_mailbox) and item.mailbox == options.sent_mailbox
        verdict = classify(msg, options.classifier, self.lookup, sent_folder=sent)
        staff_sender = msg.from_address
        forward = (
            None if sent else as_members_complaint(msg, verdict, options.classifier)
        )
        if forward is not None:
            msg, verdict = forward
        try:
            forms = self.forms.read(
                msg,
                verdict,
                self.options.record,
                self.options.max_attempts,
                self.heartbeat,
            )
        except StoppedService as exc:
            log.error("intake.forms_stopped_service", attempts=exc.starts)
            reason = (
                f"reading its forms stopped the service {exc.starts} times;"
                " not read again"
            )
            return quarantine_record(item, reason)
        record = build_record(item, msg, verdict, forms, options.record)
        if forward is not None:
            return forwarded_record(record, staff_sender)
        number = verdict.case_number
        return with_staff_act(
            record,
            msg,
            verdict,
            member_email=self.lookup.member_email(number) if number else None,
            own_addresses=options.classifier.own_addresses,
            mail_commands=options.mail_commands,
        )

    def _too_large(self, item: Incoming) -> InboundRecord:
        reason = (
            f"too large: {item.full_size} bytes (limit {self.options.max_message_size})"
        )
        try:
            msg: ParsedMessage | None = parse_message(item.raw)
        except Exception:  # only the header is here; it may well be broken
            msg = None
        log.warning("intake.message_too_large", size=item.full_size)
        return rejected_record(item, reason, msg)

    def _poison(self, item: Incoming, stage: str, exc: Exception) -> InboundRecord:
        # Only the type goes to the log: an exception's text may quote the mail.
        log.error("intake.message_poison", stage=stage, error=type(exc).__name__)
        return quarantine_record(item, f"{stage} failed: {describe_error(exc)}")

    def _store(self, item: Incoming, record: InboundRecord) -> Outcome:
        try:
            registered = self._write_batch([record])[0]
        except StoreUnavailable as exc:
            return self._write_failed(item, exc)
        except Exception as exc:  # a bug in registration: count it like a failure
            return self._write_failed(item, exc)
        return self._registered(record, registered)

    def _registered(self, record: InboundRecord, registered: Registered) -> Outcome:
        if record.message_id:
            structlog.contextvars.bind_contextvars(mid=short_hash(record.message_id))
        outcome = Outcome(registered.outcome, record.klass, registered.case_number)
        event = {
            "duplicate": "intake.message_duplicate",
            "case": "intake.case_opened",
            "follow_up": "intake.follow_up_registered",
        }.get(registered.outcome, "intake.message_registered")
        log.info(event, klass=record.klass, case=registered.case_number)
        if (
            record.klass == MessageClass.QUARANTINED
            and registered.outcome != "duplicate"
        ):
            outcome = Outcome("quarantined", record.klass)
        return outcome

    def _write_failed(self, item: Incoming, exc: Exception) -> Outcome:
        """Count the failed write; after max_attempts, quarantine the raw bytes."""
        sha256 = hashlib.sha256(item.raw).hexdigest()
        # StoreUnavailable already names the driver's error and its first line.
        error = str(exc) if isinstance(exc, StoreUnavailable) else describe_error(exc)
        # The driver's first line ("database or disk is full") tells the operator
        # what to do; any other exception's text may quote the mail: type only.
        reason = error if isinstance(exc, StoreUnavailable) else type(exc).__name__
        log.error("intake.store_failed", error=type(exc).__name__, reason=reason)
        if isinstance(exc, StoreUnavailable) and exc.transient:
            # The database is the trouble, not this message: it stays unmarked
            # and is taken again, however long the outage lasts.
            return Outcome("failed")
        try:
            attempts = intake_state.count_failure(self.sessions, sha256, error)
        except StoreUnavailable:
            return Outcome("failed")
        if self._failed is not None:
            self._failed.add(sha256)
        if attempts < self.options.max_attempts:
            return Outcome("failed")
        record = quarantine_record(
            item, f"database write failed {attempts} times: {error}"
        )
        try:
            intake_state.write_inbound(self.sessions, self.rules, record)
        except Exception:
            return Outcome("failed")
        log.error("intake.message_quarantined", attempts=attempts)
        return Outcome("quarantined", MessageClass.QUARANTINED)


@contextmanager
def _bound(item: Incoming, sha256: str | None = None) -> Iterator[None]:
    """Log context of one message: where it came from, never what it says.

    `sha256` of the raw bytes when known (the record has it), so the message
    is not hashed again for its registration's log line.
    """
    digest = sha256 or hashlib.sha256(item.raw).hexdigest()
    with structlog.contextvars.bound_contextvars(
        source=item.source,
        mailbox=item.mailbox,
        uid=item.uid,
        raw=digest[:12],
        mid=None,
    ):
        yield


class _WaitingFirst:
    """The case lookup, after the messages waiting in the batch are stored.

    A message may answer one that arrived a moment before it in the same
    batch: the lookup must see that one stored. Only messages that refer to
    others (a reply, a case number) ask, so a batch of new complaints is
    registered together.
    """

    def __init__(
        self, lookup: intake_state.StoreCaseLookup, register: Callable[[], None]
    ) -> None:
        self._lookup = lookup
        self._register = register

    def case_for_message_ids(self, message_ids: Sequence[str]) -> str | None:
        self._register()
        return self._lookup.case_for_message_ids(message_ids)

    def case_exists(self, number: str) -> bool:
        self._register()
        return self._lookup.case_exists(number)

    def member_email(self, number: str) -> str | None:
        return self._lookup.member_email(number)
