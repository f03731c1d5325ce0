"""The weekly digest to the coordinators: every open case, with counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from responder.reminder_plan import case_line, days_left
from responder.reminder_policy import Policy
from responder.reminder_times import local_today
from store.case_view import CaseView
from store.vocabulary import Flag, Status


def digest_context(
    cases: Sequence[CaseView], policy: Policy, now: datetime
) -> dict[str, Any]:
    """The weekly digest: all open cases by answer deadline, with counts."""
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
    }
    return {"cases": lines, "counts": counts, "as_of": today.isoformat()}


def _awaiting_letter(case: CaseView) -> bool:
    return (
        Flag.AWAITING_LETTER in case.flags
        and case.letter_sent_at is None
        and case.acknowledged_at is None
    )
