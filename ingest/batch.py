"""Draining a mail source: everything waiting, message by message, then marked.

The order is Mailman's: store first, then tell the server. A fetched batch
of messages is registered in one transaction (one per message when that
fails); only the ones that were stored are marked, in one command per batch.
A crash between the commit and the marking leaves the message unmarked, so
the next pass fetches it again and the store's dedupe reports it as a
duplicate, which is then simply marked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from ingest.incoming import Incoming
from ingest.intake import Intake, Outcome
from ingest.source import Source
from store import intake_state
from store.vocabulary import MessageClass

log = structlog.get_logger()


@dataclass
class IntakeStats:
    """What one pass over a source did."""

    waiting: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    classes: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: Outcome) -> None:
        self.outcomes[outcome.status] += 1
        if outcome.stored and outcome.status != "duplicate" and outcome.klass:
            self.classes[outcome.klass] += 1

    @property
    def handled(self) -> int:
        return sum(self.outcomes.values())

    @property
    def failed(self) -> int:
        return self.outcomes["failed"]

    def merge(self, other: IntakeStats) -> None:
        self.waiting += other.waiting
        self.outcomes.update(other.outcomes)
        self.classes.update(other.classes)

    def describe(self) -> str:
        """E.g. "5 messages (3 cases, 1 follow-up, 1 auto_reply)"."""
        parts = []
        named = {MessageClass.COMPLAINT: "case", MessageClass.FOLLOW_UP: "follow-up"}
        for klass, count in sorted(self.classes.items(), key=lambda kv: -kv[1]):
            word = named.get(klass, klass)
            plural = "s" if count != 1 and klass in named else ""
            parts.append(f"{count} {word}{plural}")
        for status in ("duplicate", "failed"):
            if self.outcomes[status]:
                parts.append(f"{self.outcomes[status]} {status}")
        total = self.handled
        noun = "message" if total == 1 else "messages"
        return f"{total} {noun}" + (f" ({', '.join(parts)})" if parts else "")


def process_waiting(
    source: Source,
    intake: Intake,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> IntakeStats:
    """Register everything waiting in an opened `source`; mark what was stored.

    `should_stop` is asked between messages: a stop finishes the message in
    hand, marks what was stored and returns. Records the check in the store
    (last success time, messages waiting) so `status` and the stall alarm can
    see that intake is alive.
    """
    uidvalidity = source.open()
    position = intake_state.position(intake.sessions, source.state_key, uidvalidity)
    if position.reset:
        log.warning("intake.uidvalidity_changed", source=source.state_key)
    keys = source.waiting(position.last_uid)
    stats = IntakeStats(waiting=len(keys))
    tracker = _UidTracker(position.last_uid)
    for batch in source.batches(keys):
        stored = []
        for item, outcome in intake.handle_many(batch, should_stop):
            stats.add(outcome)
            tracker.saw(item, outcome)
            if outcome.stored:
                stored.append(item)
        if stored:
            source.mark(stored)
        if uidvalidity is not None and tracker.done_up_to > position.last_uid:
            intake_state.advance(intake.sessions, source.state_key, tracker.done_up_to)
        if on_progress is not None:
            on_progress(stats.handled, len(keys))
        if should_stop():
            break
    intake_state.record_check(intake.sessions, source.state_key, waiting=stats.failed)
    log.info("intake.pass_done", waiting=len(keys), failed=stats.failed)
    return stats


class _UidTracker:
    """The highest UID below which every message is done (stored and marked).

    A UID that failed to store stays below the mark, so the "UID > last"
    search shortcut never skips it.
    """

    def __init__(self, last_uid: int) -> None:
        self.done_up_to = last_uid
        self._blocked = False

    def saw(self, item: Incoming, outcome: Outcome) -> None:
        if item.uid is None or self._blocked:
            return
        if outcome.stored:
            self.done_up_to = max(self.done_up_to, item.uid)
        else:
            self._blocked = True
