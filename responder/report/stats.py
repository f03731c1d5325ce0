"""Small statistics for the report: medians, percentiles, shares, day counts.

Percentiles use the nearest-rank method (the smallest value with at least p%
of the values at or below it), so a 90th percentile is always a number of
days that some case really took. Medians are the usual middle value, or the
mean of the two middle values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

# Buckets of the time-to-answer histogram: (key, lowest day, highest day).
ANSWER_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-10", 0, 10),
    ("11-20", 11, 20),
    ("21-30", 21, 30),
    ("31-45", 31, 45),
    (">45", 46, None),
)


def median(values: Sequence[int]) -> float | None:
    """The median of sorted `values`; None when there are none."""
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return float(values[middle])
    return (values[middle - 1] + values[middle]) / 2


def percentile(values: Sequence[int], p: int) -> int | None:
    """The nearest-rank `p`th percentile of sorted `values`; None when empty."""
    if not values:
        return None
    rank = max(1, math.ceil(p / 100 * len(values)))
    return values[rank - 1]


def share(part: int, whole: int) -> float | None:
    """`part / whole` rounded to four decimals; None when `whole` is 0."""
    return None if whole == 0 else round(part / whole, 4)


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def days_between(start: datetime, end: datetime, zone: ZoneInfo) -> int:
    """Calendar days from `start` to `end` as read on a local calendar (>= 0)."""
    return max(0, (local_day(end, zone) - local_day(start, zone)).days)


def bucket_of(days: int) -> str:
    """The histogram bucket key of a number of days to answer."""
    for key, low, high in ANSWER_BUCKETS:
        if days >= low and (high is None or days <= high):
            return key
    return ANSWER_BUCKETS[0][0]  # negative days cannot happen (clamped above)


def reason_kind(text: str | None) -> str:
    """A short, address-free name for a skip reason or an SMTP error.

    Only the first word before any colon is kept ("suppressed: noreply@x" ->
    "suppressed", "550 5.1.1 <a@b>" -> "550"), so no e-mail address or other
    personal detail from an error text can reach the report.
    """
    head = (text or "").split(":", 1)[0].strip().lower()
    word = head.split()[0] if head.split() else ""
    if "@" in word:
        return "address"
    cleaned = "".join(c for c in word if c.isalnum() or c in "_-.")[:40]
    return cleaned or "unknown"
