"""Retrying a mail server action with the shared backoff (`config.backoff`).

The helper's sleep and stop check are parameters, so tests need no waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from config.backoff import Backoff

T = TypeVar("T")


def retry_with_backoff(
    action: Callable[[], T],
    *,
    retry_on: tuple[type[BaseException], ...],
    backoff: Backoff,
    sleep: Callable[[float], None],
    should_stop: Callable[[], bool] = lambda: False,
    on_failure: Callable[[BaseException, float], None] | None = None,
) -> T | None:
    """Call `action` until it succeeds; None when `should_stop` says so first.

    Only the exceptions in `retry_on` are retried (network and server errors);
    anything else is a bug and propagates.
    """
    while not should_stop():
        try:
            result = action()
        except retry_on as exc:
            delay = backoff.next_delay()
            if on_failure is not None:
                on_failure(exc, delay)
            sleep(delay)
            continue
        backoff.reset()
        return result
    return None
