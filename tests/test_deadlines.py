"""Deadlines: end of the local day, unmoved by daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from store.deadlines import add_days, due, local_date

BRUSSELS = ZoneInfo("Europe/Brussels")


def test_answer_due_is_end_of_day_45_days_later() -> None:
    received = datetime(2026, 1, 10, 9, 30, tzinfo=BRUSSELS)
    deadline = due(received, 45, "Europe/Brussels")
    assert deadline == datetime(2026, 2, 24, 23, 59, 59, tzinfo=BRUSSELS)


def test_spring_forward_keeps_local_end_of_day() -> None:
    # 2026-03-29 02:00 clocks go forward: the deadline is still 23:59:59 local.
    received = datetime(2026, 3, 19, 10, 0, tzinfo=BRUSSELS)
    deadline = due(received, 10, "Europe/Brussels")
    assert deadline.astimezone(BRUSSELS).date() == date(2026, 3, 29)
    assert deadline.astimezone(UTC) == datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC)


def test_fall_back_keeps_local_end_of_day() -> None:
    received = datetime(2026, 10, 15, 10, 0, tzinfo=BRUSSELS)
    deadline = due(received, 10, "Europe/Brussels")
    assert deadline.astimezone(UTC) == datetime(2026, 10, 25, 22, 59, 59, tzinfo=UTC)


def test_local_date_near_midnight_utc() -> None:
    # 23:30 UTC on 31 December is already 1 January in Brussels.
    instant = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert local_date(instant, "Europe/Brussels") == date(2027, 1, 1)


def test_business_days_skip_weekends_and_belgian_holidays() -> None:
    # Friday 24 December 2027 + 2 business days: skip Christmas (Saturday),
    # Sunday, -> Monday 27 and Tuesday 28.
    assert add_days(date(2027, 12, 24), 2, "business") == date(2027, 12, 28)
    # 10 April 2026 (Friday) + 1: Easter Monday 6 April is before; 13 April Monday.
    assert add_days(date(2026, 4, 10), 1, "business") == date(2026, 4, 13)
    # 30 April 2026 (Thursday) + 1: 1 May is Labour Day -> Monday 4 May.
    assert add_days(date(2026, 4, 30), 1, "business") == date(2026, 5, 4)
