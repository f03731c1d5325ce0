"""Deadlines: end of the n-th day after receipt, in the configured time zone.

Computed on local calendar dates and only then turned into an instant, so a
daylight-saving change between receipt and deadline moves nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

END_OF_DAY = time(23, 59, 59)


def local_date(instant: datetime, timezone: str) -> date:
    """The calendar date of `instant` where the fund is."""
    return instant.astimezone(ZoneInfo(timezone)).date()


def end_of_day(day: date, timezone: str) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=ZoneInfo(timezone))


def add_days(start: date, days: int, day_kind: str = "calendar") -> date:
    """`start` plus `days` calendar days, or business days (Belgian holidays)."""
    if day_kind == "calendar":
        return start + timedelta(days=days)
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if is_business_day(current):
            left -= 1
    return current


def days_between(start: date, end: date, day_kind: str = "calendar") -> int:
    """Days from `start` to `end` as `add_days` counts them (negative when
    `end` lies before `start`): add_days(start, n, kind) == end gives n."""
    if day_kind == "calendar":
        return (end - start).days
    low, high = sorted((start, end))
    count = sum(
        1
        for offset in range(1, (high - low).days + 1)
        if is_business_day(low + timedelta(days=offset))
    )
    return count if end >= start else -count


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _belgian_holidays(day.year)


@cache
def _belgian_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("BE", years=year))


def due(
    received_at: datetime, days: int, timezone: str, day_kind: str = "calendar"
) -> datetime:
    """End of the day `days` after the local receipt date."""
    start = local_date(received_at, timezone)
    return end_of_day(add_days(start, days, day_kind), timezone)
