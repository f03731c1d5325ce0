"""Case numbers read back by their format, and counters raised past the
numbers a lost store handed out (reconcile after a restore)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from store.db import transaction
from store.models import Case
from store.numbering import highest_numbers, parse_number, raise_counters, take_seqs
from store.registration import open_cases
from store.registration_input import CaseRules, NewCase

FORMAT = "KL-{year}-{seq:05d}"
RULES = CaseRules()


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


def _new(number: str | None, day: int = 2, **changes: Any) -> NewCase:
    received = datetime(2026, 3, day, 10, tzinfo=UTC)
    return NewCase(
        channel="email", received_at=received, language="nl", number=number, **changes
    )


def test_a_restored_complaint_keeps_its_free_earlier_number(sessions) -> None:
    """reconcile hands the number our acknowledgement gave; registration keeps
    it when no case holds it, raises the counter past it, and numbers the rest
    as ever; a taken or malformed number gives way to a new one."""
    acked = datetime(2026, 3, 2, 11, tzinfo=UTC)
    with transaction(sessions) as session:
        assert list(take_seqs(session, 2026, 2)) == [1, 2]
        opened = open_cases(
            session,
            RULES,
            [
                _new(None),
                _new("KL-2026-00007", acknowledged_at=acked),
                _new("KL-2026-00007"),  # the first asker has it
                _new("KL-2026-00001"),  # no case holds it, so it is free
                _new("KL-2026-7x"),
            ],
        )
    numbers = [number for _, number in opened]
    assert numbers == [
        "KL-2026-00008",
        "KL-2026-00007",
        "KL-2026-00009",
        "KL-2026-00001",
        "KL-2026-00010",
    ]
    with transaction(sessions) as session:
        kept = session.scalars(select(Case).where(Case.number == "KL-2026-00007")).one()
        assert kept.seq == 7 and kept.year == 2026
        assert kept.acknowledged_at is not None
        assert kept.acknowledged_at.replace(tzinfo=UTC) == acked
        taken = open_cases(session, RULES, [_new("KL-2026-00008")])
        assert [number for _, number in taken] == ["KL-2026-00011"]
        assert list(take_seqs(session, 2026, 1)) == [12]
