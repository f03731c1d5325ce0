"""The weekly digest to the coordinators: every open case, with counts, and
the answered or closed cases whose member wrote again (`member_replied`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from responder.reminder_plan import case_line, days_left
from responder.reminder_policy import Policy
from responder.reminder_times import local_today
from store.case_view import CaseView
from store.vocabulary import Flag, Status


def digest_context(
    cases: Sequence[CaseView],
    policy: Policy,
    now: datetime,
    replied: Sequence[tuple[CaseView, datetime | None]] = (),
) -> dict[str, Any]:
    """The weekly digest: all open cases by answer deadline, with counts, and
    the cases of `replied` (a case and the time of its member's latest reply)
    by that time, oldest first."""
    today = local_today(now, policy.timezone)
    lines = [
        case_line(
            c,
            c.answer_due,
            days_left(c.answer_due, today, policy.timezone, policy.day_kind),
            policy,
        )
        for c in sorted(cases, key=lambda c: (c.answer_due, c.number))
    ]
    counts = {
        "open": len(lines),
        "overdue": sum(1 for line in lines if line["days_left"] < 0),
        "due_within_7": sum(1 for line in lines if 0 <= line["days_left"] <= 7),
        "awaiting_confirmation": sum(
            1 for c in cases if c.status == Status.AWAITING_CONFIRMATION
        ),
        "awaiting_letter": sum(1 for c in cases if _awaiting_letter(c)),
        "member_replied": len(replied),
    }
    return {
        "cases": lines,
        "replied": _replied_lines(replied, policy),
        "counts": counts,
        "as_of": today.isoformat(),
    }


def _replied_lines(
    replied: Sequence[tuple[CaseView, datetime | None]], policy: Policy
) -> list[dict[str, Any]]:
    """One line per case whose member wrote again (JSON-safe: dates as text)."""
    zone = ZoneInfo(policy.timezone)
    ordered = sorted(
        replied, key=lambda r: (r[1] is None, r[1] or datetime.min, r[0].number)
    )
    lines = []
    for case, at in ordered:
        command = f"klachten case show {case.number}"
        link = f"{policy.base_url}/cases/{case.number}" if policy.base_url else command
        lines.append(
            {
                "number": case.number,
                "member_name": case.member.name,
                "subject": case.subject,
                "replied_at": at.astimezone(zone).isoformat() if at else None,
                "assignee": case.assigned_to,
                "status": case.status,
                "link": link,
            }
        )
    return lines


def _awaiting_letter(case: CaseView) -> bool:
    return (
        Flag.AWAITING_LETTER in case.flags
        and case.letter_sent_at is None
        and case.acknowledged_at is None
    )
