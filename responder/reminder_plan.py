"""Which reminders are due, for whom, grouped into mails: pure planning.

Given the open cases, the reminders already recorded and `now`, decide:

- answer_due: at each configured number of days before the answer deadline
  and on the day itself (threshold 0);
- overdue: once a day after the answer deadline, to the escalation addresses
  as well (threshold "overdue:<local date>");
- ack_due: before the acknowledgement deadline, for cases that have had none.

A case is due at the most urgent threshold it has reached that was not yet
recorded; the larger thresholds it passed unrecorded (downtime, a back-dated
registration) are returned as `skipped` so that they are recorded and never
sent later. So after downtime a case gets one reminder, not one per missed
day. Days are counted between local calendar dates, so a daylight-saving
change never moves a reminder by a day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from store.case_view import CaseView
from store.reminder_records import SentKey
from store.vocabulary import DONE_STATUSES, Flag, Status

if TYPE_CHECKING:
    from config import Settings

ACK_THRESHOLDS = (3, 0)
# Reminders are office work: nothing goes out after this local time.
WORKDAY_END = time(18, 0)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_KIND_ORDER = {"overdue": 0, "answer_due": 1, "ack_due": 2}


@dataclass(frozen=True)
class Policy:
    """The reminder settings planning needs, in a form tests can build."""

    timezone: str = "Europe/Brussels"
    coordinators: tuple[str, ...] = ()
    escalation: tuple[str, ...] = ()
    answer_thresholds: tuple[int, ...] = (14, 7, 2, 0)
    ack_thresholds: tuple[int, ...] = ACK_THRESHOLDS

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        reminders = settings.reminders
        return cls(
            timezone=settings.cases.timezone,
            coordinators=_unique(reminders.coordinators),
            escalation=_unique(reminders.escalation),
            answer_thresholds=_thresholds(reminders.days_before_answer_deadline),
        )


@dataclass(frozen=True)
class PlannedMail:
    """One grouped reminder: every case due for this recipient at this threshold."""

    recipient: str
    kind: str
    threshold: str
    threshold_days: int | None
    cases: tuple[dict[str, Any], ...]
    case_ids: tuple[int, ...]

    def context(self) -> dict[str, Any]:
        """The template context of coordinator/reminder."""
        return {
            "kind": self.kind,
            "threshold_days": self.threshold_days,
            "cases": list(self.cases),
        }


@dataclass(frozen=True)
class Plan:
    mails: tuple[PlannedMail, ...] = ()
    skipped: frozenset[SentKey] = field(default_factory=frozenset)


@dataclass(frozen=True)
class _Due:
    recipient: str
    kind: str
    threshold: str
    threshold_days: int | None
    case: CaseView
    line: dict[str, Any]


def days_left(deadline: datetime, today: date, timezone: str) -> int:
    """Local calendar days from `today` to the deadline's date (negative: late)."""
    return (deadline.astimezone(ZoneInfo(timezone)).date() - today).days


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def plan_reminders(
    cases: Iterable[CaseView], sent: set[SentKey], policy: Policy, now: datetime
) -> Plan:
    """The mails due at `now`, grouped per (recipient, kind, threshold)."""
    planner = _Planner(policy, sent, local_today(now, policy.timezone))
    for case in cases:
        # Answered and closed cases are never reminded; neither is a reopened
        # one, whose answer stopped the clock.
        if case.status in DONE_STATUSES or case.answered_at is not None:
            continue
        planner.answer_track(case)
        if case.acknowledged_at is None and case.letter_sent_at is None:
            planner.ack_track(case)
    return Plan(mails=_group(planner.dues), skipped=frozenset(planner.skipped))


class _Planner:
    """Collects what is due and what was passed over, case by case."""

    def __init__(self, policy: Policy, sent: set[SentKey], today: date) -> None:
        self.policy = policy
        self.sent = sent
        self.today = today
        self.dues: list[_Due] = []
        self.skipped: set[SentKey] = set()

    def answer_track(self, case: CaseView) -> None:
        policy = self.policy
        left = days_left(case.answer_due, self.today, policy.timezone)
        line = case_line(case, case.answer_due, left, policy.timezone)
        if left >= 0:
            self.track(case, line, left, "answer_due", policy.answer_thresholds)
            return
        # Overdue: daily, so the key carries the date; thresholds never sent
        # before the deadline passed are recorded as skipped, not sent late.
        key = f"overdue:{self.today.isoformat()}"
        for recipient in _unique([*policy.coordinators, *policy.escalation]):
            if (case.id, "overdue", key, recipient) not in self.sent:
                self.dues.append(_Due(recipient, "overdue", key, None, case, line))
        for recipient in policy.coordinators:
            self.skipped |= {
                (case.id, "answer_due", str(t), recipient)
                for t in policy.answer_thresholds
            } - self.sent

    def ack_track(self, case: CaseView) -> None:
        policy = self.policy
        left = days_left(case.ack_due, self.today, policy.timezone)
        line = case_line(case, case.ack_due, left, policy.timezone)
        # Past the ack deadline the most urgent threshold is still due, once.
        floor = min(policy.ack_thresholds, default=0)
        self.track(case, line, max(left, floor), "ack_due", policy.ack_thresholds)

    def track(
        self,
        case: CaseView,
        line: dict[str, Any],
        left: int,
        kind: str,
        thresholds: Sequence[int],
    ) -> None:
        """Due at the smallest reached threshold; the larger ones are skipped."""
        reached = [t for t in thresholds if left <= t]
        if not reached:
            return
        most = min(reached)
        for recipient in self.policy.coordinators:
            if (case.id, kind, str(most), recipient) in self.sent:
                continue
            self.dues.append(_Due(recipient, kind, str(most), most, case, line))
            self.skipped |= {
                (case.id, kind, str(t), recipient) for t in reached if t != most
            } - self.sent


def _group(dues: list[_Due]) -> tuple[PlannedMail, ...]:
    groups: dict[tuple[str, str, str], list[_Due]] = defaultdict(list)
    for due in dues:
        groups[(due.recipient, due.kind, due.threshold)].append(due)
    mails = []
    for (recipient, kind, threshold), items in groups.items():
        items.sort(key=lambda d: (d.line["deadline"], d.case.number))
        mails.append(
            PlannedMail(
                recipient=recipient,
                kind=kind,
                threshold=threshold,
                threshold_days=items[0].threshold_days,
                cases=tuple(d.line for d in items),
                case_ids=tuple(d.case.id for d in items),
            )
        )
    mails.sort(key=lambda m: (_KIND_ORDER[m.kind], m.threshold_days or 0, m.recipient))
    return tuple(mails)


def case_line(
    case: CaseView, deadline: datetime, left: int, timezone: str
) -> dict[str, Any]:
    """One case as a reminder or digest lists it (JSON-safe: dates as text)."""
    return {
        "number": case.number,
        "member_name": case.member.name,
        "subject": case.subject,
        "deadline": deadline.astimezone(ZoneInfo(timezone)).isoformat(),
        "days_left": left,
        "assignee": case.assigned_to,
        "status": case.status,
        "command": f"klachten case show {case.number}",
    }


def digest_context(
    cases: Sequence[CaseView], policy: Policy, now: datetime
) -> dict[str, Any]:
    """The weekly digest: all open cases by answer deadline, with counts."""
    today = local_today(now, policy.timezone)
    lines = [
        case_line(
            c,
            c.answer_due,
            days_left(c.answer_due, today, policy.timezone),
            policy.timezone,
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


def _thresholds(days: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted({int(d) for d in days if int(d) >= 0} | {0}, reverse=True))


def _unique(addresses: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a.strip() for a in addresses if a.strip()))
