"""What a delivery batch could not write to the store, kept for the next one.

One per delivery worker (responder/delivery_run.py owns it): a killed
process forgets it, and then the lease and the at-least-once rule of
store/outbox.py apply.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from store import outbox
from store.db import transaction
from store.delivery_results import Sent, Skipped, record_batch

if TYPE_CHECKING:
    from store.outbox import SessionFactory

log = structlog.get_logger("klachten.responder")


class Carry:
    """What a batch of this process could not write because the store failed:
    rows it sent or skipped, rows it claimed and did not touch. The next batch
    writes them first, so a database outage neither resends mail that went
    out nor keeps untouched rows waiting for their lease. (A killed process
    forgets this; then the lease and the at-least-once rule apply.)"""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: list[Sent | Skipped] = []
        self._release: list[int] = []

    def keep(
        self,
        done: Sequence[Sent | Skipped] = (),
        release: Sequence[int] = (),
    ) -> None:
        with self._lock:
            self._done.extend(done)
            self._release.extend(release)

    def settle(self, sessions: SessionFactory, now: datetime) -> None:
        with self._lock:
            done, release = self._done, self._release
            self._done, self._release = [], []
        if not done and not release:
            return
        try:
            with transaction(sessions) as session:
                if done:
                    record_batch(session, done, now=now)
                if release:
                    outbox.release(session, release)
        except Exception:
            self.keep(done, release)
            raise
        log.info("outbox.carried_over", recorded=len(done), released=len(release))
