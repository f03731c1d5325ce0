"""Exponential backoff with jitter: the one formula every retry loop uses.

Pure arithmetic whose randomness is a parameter, so tests need no waiting.
The intake's reconnect loop and the outbox's retries of a mail share it; they
differ only in their jitter range. Jitter keeps several instances (or many
mails queued in one outage) from all knocking again at the same second. It
lives in `config` because both `ingest` and `responder` may import it.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# "Equal jitter": half of the step is fixed, the other half random, so the
# wait grows steadily yet never exceeds the cap.
EQUAL_JITTER = (0.5, 1.0)


def backoff_delay(
    attempt: int,
    *,
    base: float = 1.0,
    cap: float = 300.0,
    jitter: tuple[float, float] = EQUAL_JITTER,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number `attempt` (0 for the first retry).

    The step doubles from `base` up to `cap`; the wait is the step times a
    random factor between `jitter[0]` and `jitter[1]`.
    """
    if attempt < 0:
        raise ValueError("attempt must not be negative")
    step = min(cap, base * 2.0 ** min(attempt, 60))
    low, high = jitter
    return step * low + rand() * step * (high - low)


class Backoff:
    """The running state of one reconnect loop: next delay, and reset on success."""

    def __init__(
        self,
        *,
        base: float = 1.0,
        cap: float = 300.0,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.base, self.cap, self._rand = base, cap, rand
        self.attempt = 0

    def next_delay(self) -> float:
        """The wait before the next try; each call waits longer, up to the cap."""
        delay = backoff_delay(
            self.attempt, base=self.base, cap=self.cap, rand=self._rand
        )
        self.attempt += 1
        return delay

    def reset(self) -> None:
        """Called after a success: the next failure starts from `base` again."""
        self.attempt = 0
