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
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from responder.reminder_groups import sections, summary
from responder.reminder_policy import Policy, link_base, unique_addresses
from responder.reminder_times import local_today
from store.accounts import name_from_address
from store.case_view import CaseView
from store.deadlines import days_between
from store.reminder_records import SentKey
from store.vocabulary import DONE_STATUSES, Flag

__all__ = ["Entry", "Plan", "PlannedMail", "Policy", "link_base", "plan_reminders"]
_KIND_ORDER = {
    "overdue": 0,
    "answer_due": 1,
    "ack_due": 2,
    "bounced": 3,
    "replied": 4,
}


@dataclass(frozen=True)
class Entry:
    """One case due at one threshold in a recipient's mail."""

    kind: str
    threshold: str
    case_id: int
    line: dict[str, Any]


@dataclass(frozen=True)
class PlannedMail:
    """One recipient's reminder: every case due for them in this run."""

    recipient: str
    language: str
    entries: tuple[Entry, ...]

    @property
    def case_ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(e.case_id for e in self.entries))

    @property
    def cases(self) -> tuple[dict[str, Any], ...]:
        return tuple(e.line for e in self.entries)

    @property
    def keys(self) -> tuple[SentKey, ...]:
        """What recording this mail marks as sent, once each."""
        return tuple(
            (e.case_id, e.kind, e.threshold, self.recipient) for e in self.entries
        )

    def context(self, recipient_name: str | None = None) -> dict[str, Any]:
        """The template context of coordinator/reminder."""
        lines = list(self.cases)
        return {
            "recipient": self.recipient,
            "recipient_name": recipient_name or name_from_address(self.recipient),
            "sections": sections(lines),
            "summary": summary(lines),
            "cases": lines,
        }


@dataclass(frozen=True)
class Plan:
    mails: tuple[PlannedMail, ...] = ()
    skipped: frozenset[SentKey] = field(default_factory=frozenset)


@dataclass(frozen=True)
class _Due:
    recipient: str
    entry: Entry


def days_left(
    deadline: datetime, today: date, timezone: str, day_kind: str = "calendar"
) -> int:
    """Days from `today` to the deadline's local date, counted in the kind of
    day the deadlines are (negative: late)."""
    end = deadline.astimezone(ZoneInfo(timezone)).date()
    return days_between(today, end, day_kind)


def plan_reminders(
    cases: Iterable[CaseView], sent: set[SentKey], policy: Policy, now: datetime
) -> Plan:
    """The mails due at `now`: one per recipient."""
    planner = _Planner(policy, sent, local_today(now, policy.timezone))
    for case in cases:
        planner.bounce_track(case)
        planner.replied_track(case)
        # Answered and closed cases are never reminded; neither is a reopened
        # one, whose answer stopped the clock.
        if case.status in DONE_STATUSES or case.answered_at is not None:
            continue
        planner.answer_track(case)
        if case.acknowledged_at is None and case.letter_sent_at is None:
            planner.ack_track(case)
    # A member's reply rides along in a mail that goes anyway: its notice
    # went out when the reply came (store/member_mail), so on its own it
    # does not make a second mail.
    going = {due.recipient for due in planner.dues}
    dues = planner.dues + [due for due in planner.riders if due.recipient in going]
    return Plan(mails=_group(dues, policy), skipped=frozenset(planner.skipped))


class _Planner:
    """Collects what is due and what was passed over, case by case."""

    def __init__(self, policy: Policy, sent: set[SentKey], today: date) -> None:
        self.policy = policy
        self.sent = sent
        self.today = today
        self.dues: list[_Due] = []
        self.riders: list[_Due] = []
        self.skipped: set[SentKey] = set()

    def line(self, case: CaseView, deadline: datetime, kind: str) -> dict[str, Any]:
        policy = self.policy
        left = days_left(deadline, self.today, policy.timezone, policy.day_kind)
        return case_line(case, deadline, left, policy, kind=kind)

    def answer_track(self, case: CaseView) -> None:
        policy = self.policy
        recipients = policy.recipients(case)
        line = self.line(case, case.answer_due, "answer_due")
        if line["days_left"] >= 0:
            self.track(case, line, "answer_due", policy.answer_thresholds)
            return
        # Overdue: daily, so the key carries the date; thresholds never sent
        # before the deadline passed are recorded as skipped, not sent late.
        key = f"overdue:{self.today.isoformat()}"
        line = {**line, "kind": "overdue"}
        for recipient in unique_addresses([*recipients, *policy.escalation]):
            if (case.id, "overdue", key, recipient) not in self.sent:
                entry = Entry("overdue", key, case.id, line)
                self.dues.append(_Due(recipient, entry))
        for recipient in recipients:
            self.skipped |= {
                (case.id, "answer_due", str(t), recipient)
                for t in policy.answer_thresholds
            } - self.sent

    def bounce_track(self, case: CaseView) -> None:
        """A returned acknowledgement or answer: once per flag."""
        for flag in (Flag.ACK_BOUNCED, Flag.ANSWER_BOUNCED):
            if flag not in case.flags:
                continue
            line = self.line(case, case.answer_due, "bounced")
            line["bounced"] = flag.value
            key = f"bounced:{flag.value}"
            for recipient in self.policy.recipients(case):
                if (case.id, "bounced", key, recipient) not in self.sent:
                    entry = Entry("bounced", key, case.id, line)
                    self.dues.append(_Due(recipient, entry))

    def replied_track(self, case: CaseView) -> None:
        """The member wrote again after the answer: listed, in the mails that
        go anyway, every day until someone acts on the case (which clears
        the flag)."""
        if Flag.MEMBER_REPLIED not in case.flags:
            return
        line = self.line(case, case.answer_due, "replied")
        key = f"replied:{self.today.isoformat()}"
        for recipient in self.policy.recipients(case):
            if (case.id, "replied", key, recipient) not in self.sent:
                entry = Entry("replied", key, case.id, line)
                self.riders.append(_Due(recipient, entry))

    def ack_track(self, case: CaseView) -> None:
        policy = self.policy
        line = self.line(case, case.ack_due, "ack_due")
        # Past the ack deadline the most urgent threshold is still due, once.
        floor = min(policy.ack_thresholds, default=0)
        reach = max(line["days_left"], floor)
        self.track(case, line, "ack_due", policy.ack_thresholds, reach)

    def track(
        self,
        case: CaseView,
        line: dict[str, Any],
        kind: str,
        thresholds: Sequence[int],
        left: int | None = None,
    ) -> None:
        """Due at the smallest reached threshold; the larger ones are skipped."""
        left = line["days_left"] if left is None else left
        reached = [t for t in thresholds if left <= t]
        if not reached:
            return
        most = min(reached)
        for recipient in self.policy.recipients(case):
            if (case.id, kind, str(most), recipient) in self.sent:
                continue
            self.dues.append(_Due(recipient, Entry(kind, str(most), case.id, line)))
            self.skipped |= {
                (case.id, kind, str(t), recipient) for t in reached if t != most
            } - self.sent


def _group(dues: list[_Due], policy: Policy) -> tuple[PlannedMail, ...]:
    """One mail per recipient, most urgent case first."""
    groups: dict[str, list[Entry]] = defaultdict(list)
    for due in dues:
        groups[due.recipient].append(due.entry)
    mails = [
        PlannedMail(
            recipient=recipient,
            language=policy.language(recipient),
            entries=tuple(sorted(entries, key=_urgency_order)),
        )
        for recipient, entries in groups.items()
    ]
    return tuple(sorted(mails, key=lambda m: m.recipient))


def _urgency_order(entry: Entry) -> tuple[int, str, str]:
    line = entry.line
    return (_KIND_ORDER[entry.kind], line["deadline"], line["number"])


def case_line(
    case: CaseView,
    deadline: datetime,
    left: int,
    policy: Policy,
    *,
    kind: str = "answer_due",
) -> dict[str, Any]:
    """One case as a reminder or digest lists it (JSON-safe: dates as text)."""
    command = f"klachten case show {case.number}"
    link = f"{policy.base_url}/cases/{case.number}" if policy.base_url else command
    return {
        "number": case.number,
        "kind": kind,
        "member_name": case.member.name,
        "subject": case.subject,
        "deadline": deadline.astimezone(ZoneInfo(policy.timezone)).isoformat(),
        "days_left": left,
        "assignee": case.assigned_to,
        "status": case.status,
        "flags": list(case.flags),
        "command": command,
        "link": link,
    }
