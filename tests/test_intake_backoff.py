"""Reconnect backoff: grows exponentially, stays under the cap, jitters."""

from __future__ import annotations

import pytest

from config.backoff import Backoff, backoff_delay
from ingest.backoff import retry_with_backoff


def test_delay_doubles_between_half_and_full_step() -> None:
    assert backoff_delay(0, base=1, cap=300, rand=lambda: 0.0) == 0.5
    assert backoff_delay(0, base=1, cap=300, rand=lambda: 1.0) == 1.0
    assert backoff_delay(3, base=1, cap=300, rand=lambda: 0.0) == 4.0
    assert backoff_delay(3, base=1, cap=300, rand=lambda: 1.0) == 8.0


@pytest.mark.parametrize("attempt", [9, 10, 20, 1000])
def test_delay_never_exceeds_the_cap(attempt: int) -> None:
    assert backoff_delay(attempt, base=1, cap=300, rand=lambda: 1.0) == 300
    assert backoff_delay(attempt, base=1, cap=300, rand=lambda: 0.0) == 150


def test_negative_attempt_is_refused() -> None:
    with pytest.raises(ValueError):
        backoff_delay(-1)


def test_backoff_grows_and_resets() -> None:
    backoff = Backoff(base=2, cap=10, rand=lambda: 1.0)
    assert [backoff.next_delay() for _ in range(5)] == [2, 4, 8, 10, 10]
    backoff.reset()
    assert backoff.next_delay() == 2


def test_retry_sleeps_the_delays_and_returns_the_result() -> None:
    slept: list[float] = []
    failures: list[str] = []
    calls = iter([OSError("refused"), OSError("reset"), "connected"])

    def action() -> str:
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    backoff = Backoff(base=1, cap=300, rand=lambda: 1.0)
    result = retry_with_backoff(
        action,
        retry_on=(OSError,),
        backoff=backoff,
        sleep=slept.append,
        on_failure=lambda exc, delay: failures.append(str(exc)),
    )
    assert result == "connected"
    assert slept == [1.0, 2.0]
    assert failures == ["refused", "reset"]
    assert backoff.attempt == 0  # a success starts the next outage afresh


def test_retry_lets_other_errors_through_and_stops_on_request() -> None:
    def broken() -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        retry_with_backoff(
            broken, retry_on=(OSError,), backoff=Backoff(), sleep=lambda s: None
        )
    stop = iter([False, True])

    def refused() -> None:
        raise OSError("refused")

    result = retry_with_backoff(
        refused,
        retry_on=(OSError,),
        backoff=Backoff(),
        sleep=lambda s: None,
        should_stop=lambda: next(stop),
    )
    assert result is None
