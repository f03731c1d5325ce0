"""Exponential backoff with jitter for reconnecting to a mail server.

Pure arithmetic whose randomness is a parameter, so tests need no waiting.
The jitter keeps several instances that lost the same server from all
knocking again at the same second.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_delay(
    attempt: int,
    *,
    base: float = 1.0,
    cap: float = 300.0,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number `attempt` (0 for the first retry).

    "Equal jitter": half of the exponential step is fixed, the other half is
    random, so the wait grows steadily yet never exceeds `cap`.
    """
    if attempt < 0:
        raise ValueError("attempt must not be negative")
    step = min(cap, base * 2.0 ** min(attempt, 60))
    return step / 2 + rand() * step / 2


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
