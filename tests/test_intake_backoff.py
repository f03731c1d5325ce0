"""Reconnect backoff: grows exponentially, stays under the cap, jitters."""

from __future__ import annotations

import pytest

from config.backoff import Backoff, backoff_delay


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
