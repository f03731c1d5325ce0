"""When reminders and the weekly digest may go out: pure clock arithmetic.

Reminders are office work: from `[reminders] send_time` until the end of the
working day, local time, on weekdays unless weekends are allowed. The weekly
digest goes once per ISO week.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

# Reminders are office work: nothing goes out after this local time.
WORKDAY_END = time(18, 0)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def within_send_window(
    now: datetime, timezone: str, send_time: str, weekends: bool
) -> bool:
    """True from `send_time` until the end of the working day, local time,
    on weekdays (and weekends when allowed)."""
    local = now.astimezone(ZoneInfo(timezone))
    if local.weekday() >= 5 and not weekends:
        return False
    start = parse_clock(send_time)
    end = WORKDAY_END if start < WORKDAY_END else time.max
    return start <= local.time() < end


def iso_week(now: datetime, timezone: str) -> str:
    year, week, _ = local_today(now, timezone).isocalendar()
    return f"{year}-W{week:02d}"


def digest_due(
    now: datetime,
    timezone: str,
    digest_day: str,
    digest_time: str,
    weekends: bool,
    last_week: str | None,
) -> bool:
    """True once per ISO week, from the configured day and time on; a digest
    missed during downtime goes out at the next working moment that week."""
    if last_week == iso_week(now, timezone):
        return False
    weekday = now.astimezone(ZoneInfo(timezone)).weekday()
    day = _weekday(digest_day)
    if weekday < day:
        return False
    # The configured day is honoured even on a weekend; catching up is not.
    return within_send_window(now, timezone, digest_time, weekends or weekday == day)


def parse_clock(text: str) -> time:
    """ "08:00" -> time(8, 0); a bad value is a configuration error."""
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"not a time of day (HH:MM): {text!r}") from None


def _weekday(name: str) -> int:
    try:
        return WEEKDAYS.index(name.strip().lower()[:3])
    except ValueError:
        raise ValueError(f"not a day of the week: {name!r}") from None
