"""One clear warning per outage, not one per retry.

Each peer (imap, smtp, store) is either up or down. The first failure logs
"<peer>.unavailable" as a warning; retries while it stays down log at debug
level only; the first success after that logs "<peer>.recovered" with how
long it lasted. Jobs run in scheduler threads, hence the lock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import structlog

log = structlog.get_logger("klachten.outage")


@dataclass
class _Down:
    since: float
    failures: int
    error: str


class Outages:
    """Up/down state per peer, logging only the transitions."""

    def __init__(self) -> None:
        self._down: dict[str, _Down] = {}
        self._lock = threading.Lock()

    def failed(self, peer: str, error: BaseException | str, retry_in: float) -> bool:
        """Record a failure; True when it started a new outage (and was logged)."""
        text = _describe(error)
        with self._lock:
            down = self._down.get(peer)
            if down is not None:
                down.failures += 1
                down.error = text
                new = False
            else:
                self._down[peer] = _Down(time.monotonic(), 1, text)
                new = True
        if new:
            log.warning(f"{peer}.unavailable", error=text, retry_in=round(retry_in, 1))
        else:
            log.debug(f"{peer}.still_unavailable", error=text)
        return new

    def succeeded(self, peer: str) -> bool:
        """Record a success; True when it ended an outage (and was logged)."""
        with self._lock:
            down = self._down.pop(peer, None)
        if down is None:
            return False
        log.info(
            f"{peer}.recovered",
            seconds=round(time.monotonic() - down.since, 1),
            failures=down.failures,
        )
        return True

    def down(self) -> list[str]:
        """Peers down right now, sorted."""
        with self._lock:
            return sorted(self._down)


def _describe(error: BaseException | str) -> str:
    if isinstance(error, str):
        return error
    first = (str(error).splitlines() or [""])[0][:200]
    return f"{type(error).__name__}: {first}" if first else type(error).__name__
