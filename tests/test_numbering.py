"""Case numbers read back by their format, and counters raised past the
numbers a lost store handed out (reconcile after a restore)."""

from __future__ import annotations

from store.db import transaction
from store.numbering import highest_numbers, parse_number, raise_counters, take_seqs

FORMAT = "KL-{year}-{seq:05d}"


def test_a_number_is_read_by_its_format() -> None:
    assert parse_number(FORMAT, "KL-2026-00042") == (2026, 42)
    assert parse_number(FORMAT, " kl-2026-123456 ") == (2026, 123456)
    assert parse_number("{seq:04d}/{year}", "0007/2027") == (2027, 7)
    for other in ("XKL-2026-00042", "KL-2026-00042x", "KL-26-1", "", "KL-2026-"):
        assert parse_number(FORMAT, other) is None


def test_the_highest_number_per_year() -> None:
    texts = ["KL-2026-00003", "KL-2026-00011", "KL-2025-00090", "KL-2026-00009"]
    assert highest_numbers(FORMAT, [*texts, "=?utf-8?q?x?=", "KL-2026"]) == {
        2026: 11,
        2025: 90,
    }


def test_counters_only_move_forward(sessions) -> None:
    with transaction(sessions) as session:
        assert list(take_seqs(session, 2026, 3)) == [1, 2, 3]
    with transaction(sessions) as session:
        moved = raise_counters(session, {2026: 7, 2025: 4, 2027: 2})
    assert moved == {2025: 4, 2026: 4, 2027: 2}
    with transaction(sessions) as session:
        assert list(take_seqs(session, 2026, 1)) == [8]
        assert list(take_seqs(session, 2025, 1)) == [5]
        # Behind the counter: nothing moves, nothing is given twice.
        assert raise_counters(session, {2026: 5, 2027: 2}) == {}
        assert list(take_seqs(session, 2027, 1)) == [3]
