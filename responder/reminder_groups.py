"""How one reminder mail orders its cases: pure functions on case lines.

A recipient gets one mail per run. Its cases are grouped by the urgency of
the answer deadline (overdue; today; within 2, 7 and 14 days; later), then the
cases still waiting for their acknowledgement, the cases whose mail to the
member came back, and those whose member wrote again after the answer. The
subject counts them ("3 klachten: 1 te laat, 2 deze week"); the templates put
the words to the keys named here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Sections of the mail, in order. The answer-deadline ones by days left.
URGENCY = ("overdue", "today", "within_2", "within_7", "within_14", "later")
SECTIONS = (*URGENCY, "no_ack", "bounced", "replied")
# What the subject counts, in order ("this_week": 1 to 7 days left).
SUMMARY = (
    "overdue",
    "today",
    "this_week",
    "within_14",
    "later",
    "no_ack",
    "bounced",
    "replied",
)

Line = Mapping[str, Any]


def urgency(days_left: int) -> str:
    """The urgency section of an answer deadline `days_left` days away."""
    if days_left < 0:
        return "overdue"
    if days_left == 0:
        return "today"
    for limit in (2, 7, 14):
        if days_left <= limit:
            return f"within_{limit}"
    return "later"


def section_of(line: Line) -> str:
    """Where a case line goes: its kind decides, then its days left."""
    if line["kind"] == "ack_due":
        return "no_ack"
    if line["kind"] in ("bounced", "replied"):
        return str(line["kind"])
    return urgency(line["days_left"])


def sections(lines: Iterable[Line]) -> list[dict[str, Any]]:
    """The non-empty sections in order, each {"key", "cases"}; within one,
    the earliest deadline first."""
    grouped: dict[str, list[Line]] = {key: [] for key in SECTIONS}
    for line in lines:
        grouped[section_of(line)].append(line)
    return [
        {"key": key, "cases": sorted(items, key=_order)}
        for key, items in grouped.items()
        if items
    ]


def summary(lines: Sequence[Line]) -> dict[str, Any]:
    """{"total": distinct cases, "parts": [{"key", "count"}, ...]} for the
    subject; parts in SUMMARY order, zero counts left out."""
    counts = dict.fromkeys(SUMMARY, 0)
    for line in lines:
        counts[_summary_key(section_of(line))] += 1
    return {
        "total": len({line["number"] for line in lines}),
        "parts": [{"key": k, "count": n} for k, n in counts.items() if n],
    }


def _summary_key(section: str) -> str:
    return "this_week" if section in ("within_2", "within_7") else section


def _order(line: Line) -> tuple[str, str]:
    return (line["deadline"], line["number"])
