"""Reminder planning, pure: thresholds, catch-up, grouping, DST, working hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from config import Settings
from config.schema import RemindersSettings
from responder.reminder_plan import Policy, days_left, plan_reminders
from responder.reminder_times import digest_due, within_send_window
from responder.weekly_digest import digest_context
from store.case_view import CaseView
from store.deadlines import end_of_day
from store.member import Member

TZ = "Europe/Brussels"
BRUSSELS = ZoneInfo(TZ)
COORD = "coord@libmutov.be"
POLICY = Policy(timezone=TZ, coordinators=(COORD,))


def case(
    case_id: int,
    answer_day: date,
    ack_day: date | None = None,
    **changes: object,
) -> CaseView:
    base = CaseView(
        id=case_id,
        number=f"KL-2026-{case_id:05d}",
        status="registered",
        channel="email",
        language="nl",
        received_at=datetime(2000, 1, 1, tzinfo=UTC),
        member=Member(name=f"Lid {case_id}"),
        subject=f"Klacht {case_id}",
        category=None,
        regional_office=None,
        assigned_to=None,
        outcome=None,
        ack_due=end_of_day(ack_day or date(2000, 1, 1), TZ),
        answer_due=end_of_day(answer_day, TZ),
        acknowledged_at=datetime(2000, 1, 1, tzinfo=UTC) if ack_day is None else None,
        answered_at=None,
        closed_at=None,
        referred_at=None,
        letter_sent_at=None,
        flags=(),
    )
    return replace(base, **changes)


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRUSSELS)


def run_days(cases: list[CaseView], start: date, days: int, policy: Policy = POLICY):
    """Plan day by day, recording what was sent and skipped, like the job."""
    sent: set = set()
    log: dict[date, list[tuple[str, str, tuple[str, ...]]]] = {}
    for offset in range(days):
        day = start + timedelta(days=offset)
        plan = plan_reminders(cases, set(sent), policy, at(day))
        for mail in plan.mails:
            sent |= set(mail.keys)
        sent |= plan.skipped
        log[day] = [
            (e.kind, e.threshold, (e.line["number"],))
            for m in plan.mails
            for e in m.entries
        ]
    return log


def test_thresholds_14_7_2_day_itself_then_daily_overdue() -> None:
    deadline = date(2026, 6, 30)
    log = run_days([case(1, deadline)], deadline - timedelta(days=20), 23)
    sent = {day: [(k, t) for k, t, _ in mails] for day, mails in log.items() if mails}
    assert sent == {
        date(2026, 6, 16): [("answer_due", "14")],
        date(2026, 6, 23): [("answer_due", "7")],
        date(2026, 6, 28): [("answer_due", "2")],
        date(2026, 6, 30): [("answer_due", "0")],
        date(2026, 7, 1): [("overdue", "overdue:2026-07-01")],
        date(2026, 7, 2): [("overdue", "overdue:2026-07-02")],
    }


def test_catch_up_after_downtime_sends_only_the_most_urgent() -> None:
    deadline = date(2026, 6, 30)
    cases = [case(1, deadline)]
    first = plan_reminders(cases, set(), POLICY, at(deadline - timedelta(days=20)))
    assert first.mails == ()
    # Down for 19 days: one day left now, thresholds 14, 7 and 2 were passed.
    plan = plan_reminders(cases, set(), POLICY, at(deadline - timedelta(days=1)))
    assert [(e.kind, e.threshold) for m in plan.mails for e in m.entries] == [
        ("answer_due", "2")
    ]
    assert plan.skipped == {
        (1, "answer_due", "14", COORD),
        (1, "answer_due", "7", COORD),
    }
    recorded = plan.skipped | {(1, "answer_due", "2", COORD)}
    again = plan_reminders(cases, recorded, POLICY, at(deadline - timedelta(days=1)))
    assert again.mails == () and again.skipped == frozenset()


def test_overdue_after_downtime_is_one_mail_and_marks_thresholds_done() -> None:
    deadline = date(2026, 6, 30)
    plan = plan_reminders([case(1, deadline)], set(), POLICY, at(date(2026, 7, 5)))
    assert [e.threshold for e in plan.mails[0].entries] == ["overdue:2026-07-05"]
    assert plan.mails[0].cases[0]["days_left"] == -5
    assert {key[2] for key in plan.skipped} == {"14", "7", "2", "0"}


def test_cases_due_in_one_run_make_one_mail_per_coordinator() -> None:
    policy = replace(POLICY, coordinators=(COORD, "els@libmutov.be"))
    today = date(2026, 6, 1)
    cases = [case(i, today + timedelta(days=d)) for i, d in ((1, 7), (2, 6), (3, 5))]
    cases.append(case(4, today + timedelta(days=2)))
    plan = plan_reminders(cases, set(), policy, at(today))
    summary = [(m.recipient, [e.threshold for e in m.entries]) for m in plan.mails]
    assert summary == [
        (COORD, ["2", "7", "7", "7"]),
        ("els@libmutov.be", ["2", "7", "7", "7"]),
    ]
    mail = plan.mails[0]
    # Most urgent first, and everything the template needs is there.
    assert [c["number"] for c in mail.cases] == [
        "KL-2026-00004",
        "KL-2026-00003",
        "KL-2026-00002",
        "KL-2026-00001",
    ]
    context = mail.context()
    assert context["recipient_name"] == "Coord"
    assert [s["key"] for s in context["sections"]] == ["within_2", "within_7"]
    assert context["summary"] == {
        "total": 4,
        "parts": [{"key": "this_week", "count": 4}],
    }
    assert mail.cases[1] == {
        "number": "KL-2026-00003",
        "kind": "answer_due",
        "member_name": "Lid 3",
        "subject": "Klacht 3",
        "deadline": "2026-06-06T23:59:59+02:00",
        "days_left": 5,
        "assignee": None,
        "status": "registered",
        "flags": [],
        "command": "klachten case show KL-2026-00003",
        "link": "klachten case show KL-2026-00003",
    }


def test_overdue_goes_to_escalation_as_well_but_thresholds_do_not() -> None:
    policy = replace(POLICY, escalation=("direction@libmutov.be", COORD))
    today = date(2026, 6, 10)
    cases = [case(1, today - timedelta(days=1)), case(2, today + timedelta(days=7))]
    plan = plan_reminders(cases, set(), policy, at(today))
    assert [(m.recipient, [e.kind for e in m.entries]) for m in plan.mails] == [
        (COORD, ["overdue", "answer_due"]),
        ("direction@libmutov.be", ["overdue"]),
    ]


def test_answered_closed_and_reopened_cases_are_not_reminded() -> None:
    today = date(2026, 6, 10)
    late = today - timedelta(days=3)
    done = [
        case(1, late, ack_day=late, status="answered", answered_at=at(late)),
        case(2, late, ack_day=late, status="closed"),
        # Reopened after the answer: the answer stopped the clock.
        case(3, late, ack_day=late, status="in_progress", answered_at=at(late)),
    ]
    assert plan_reminders(done, set(), POLICY, at(today)) == plan_reminders(
        [], set(), POLICY, at(today)
    )
    still_open = replace(done[2], answered_at=None)
    assert plan_reminders([still_open], set(), POLICY, at(today)).mails != ()


def test_ack_reminders_before_the_ack_deadline_and_once_when_late() -> None:
    ack = date(2026, 6, 10)
    cases = [case(1, date(2026, 7, 25), ack_day=ack)]
    log = run_days(cases, ack - timedelta(days=5), 10)
    sent = {day: [(k, t) for k, t, _ in mails] for day, mails in log.items() if mails}
    assert sent == {date(2026, 6, 7): [("ack_due", "3")], ack: [("ack_due", "0")]}
    # A postal case registered after its ack deadline: one ack reminder.
    late = plan_reminders(cases, set(), POLICY, at(date(2026, 6, 20)))
    assert [
        (e.kind, e.threshold, e.line["days_left"])
        for m in late.mails
        for e in m.entries
    ] == [("ack_due", "0", -10)]
    posted = replace(cases[0], letter_sent_at=at(ack))
    assert plan_reminders([posted], set(), POLICY, at(ack)).mails == ()


@pytest.mark.parametrize(
    ("deadline", "now", "expected"),
    [
        # Spring forward (29 March 2026 02:00 -> 03:00): the deadline day is
        # 23 hours long; counting hours would be off by one on either side.
        (date(2026, 3, 29), datetime(2026, 3, 28, 23, 30, tzinfo=BRUSSELS), 1),
        (date(2026, 3, 29), datetime(2026, 3, 29, 0, 30, tzinfo=BRUSSELS), 0),
        (date(2026, 3, 29), datetime(2026, 3, 29, 23, 59, tzinfo=BRUSSELS), 0),
        (date(2026, 3, 29), datetime(2026, 3, 30, 0, 0, 30, tzinfo=BRUSSELS), -1),
        (date(2026, 3, 29), datetime(2026, 3, 15, 8, 0, tzinfo=BRUSSELS), 14),
        # Fall back (25 October 2026 03:00 -> 02:00): a 25-hour day.
        (date(2026, 10, 25), datetime(2026, 10, 24, 23, 30, tzinfo=BRUSSELS), 1),
        (date(2026, 10, 25), datetime(2026, 10, 25, 0, 30, tzinfo=BRUSSELS), 0),
        (date(2026, 10, 25), datetime(2026, 10, 25, 23, 30, tzinfo=BRUSSELS), 0),
        (date(2026, 10, 25), datetime(2026, 10, 26, 0, 30, tzinfo=BRUSSELS), -1),
        (date(2026, 10, 25), datetime(2026, 10, 11, 8, 0, tzinfo=BRUSSELS), 14),
    ],
)
def test_days_left_counts_local_dates_across_dst(
    deadline: date, now: datetime, expected: int
) -> None:
    # The planner receives UTC instants from the clock.
    today = now.astimezone(UTC).astimezone(BRUSSELS).date()
    assert days_left(end_of_day(deadline, TZ), today, TZ) == expected
    plan = plan_reminders([case(1, deadline)], set(), POLICY, now.astimezone(UTC))
    lefts = {c["days_left"] for m in plan.mails for c in m.cases}
    assert lefts <= {expected}


def test_dst_deadline_reminded_on_its_own_day() -> None:
    for deadline in (date(2026, 3, 29), date(2026, 10, 25)):
        log = run_days([case(1, deadline)], deadline - timedelta(days=15), 17)
        days = {day: [t for _, t, _ in mails] for day, mails in log.items() if mails}
        assert days[deadline - timedelta(days=14)] == ["14"]
        assert days[deadline] == ["0"]
        assert days[deadline + timedelta(days=1)] == [
            f"overdue:{(deadline + timedelta(days=1)).isoformat()}"
        ]


@pytest.mark.parametrize(
    ("now", "weekends", "expected"),
    [
        (datetime(2026, 6, 1, 7, 59, tzinfo=BRUSSELS), False, False),  # Monday
        (datetime(2026, 6, 1, 8, 0, tzinfo=BRUSSELS), False, True),
        (datetime(2026, 6, 1, 17, 59, tzinfo=BRUSSELS), False, True),
        (datetime(2026, 6, 1, 18, 0, tzinfo=BRUSSELS), False, False),
        (datetime(2026, 6, 2, 0, 0, tzinfo=BRUSSELS), False, False),  # midnight
        (datetime(2026, 6, 6, 9, 0, tzinfo=BRUSSELS), False, False),  # Saturday
        (datetime(2026, 6, 6, 9, 0, tzinfo=BRUSSELS), True, True),
        (datetime(2026, 6, 7, 9, 0, tzinfo=BRUSSELS), False, False),  # Sunday
        # 06:30 UTC is 08:30 in Brussels in summer, 07:30 in winter.
        (datetime(2026, 6, 1, 6, 30, tzinfo=UTC), False, True),
        (datetime(2026, 12, 1, 6, 30, tzinfo=UTC), False, False),
    ],
)
def test_send_window(now: datetime, weekends: bool, expected: bool) -> None:
    assert within_send_window(now, TZ, "08:00", weekends) is expected


@pytest.mark.parametrize(
    ("now", "last_week", "weekends", "expected"),
    [
        (datetime(2026, 6, 1, 8, 0, tzinfo=BRUSSELS), None, False, True),
        (datetime(2026, 6, 1, 7, 59, tzinfo=BRUSSELS), None, False, False),
        (datetime(2026, 6, 1, 8, 0, tzinfo=BRUSSELS), "2026-W23", False, False),
        (datetime(2026, 6, 1, 8, 0, tzinfo=BRUSSELS), "2026-W22", False, True),
        # Missed on Monday (downtime): caught up on Tuesday in working hours.
        (datetime(2026, 6, 2, 10, 0, tzinfo=BRUSSELS), None, False, True),
        (datetime(2026, 6, 2, 20, 0, tzinfo=BRUSSELS), None, False, False),
        (datetime(2026, 6, 6, 10, 0, tzinfo=BRUSSELS), None, False, False),
        (datetime(2026, 6, 6, 10, 0, tzinfo=BRUSSELS), None, True, True),
    ],
)
def test_digest_once_per_iso_week(
    now: datetime, last_week: str | None, weekends: bool, expected: bool
) -> None:
    assert digest_due(now, TZ, "mon", "08:00", weekends, last_week) is expected


def test_digest_context_counts() -> None:
    today = date(2026, 6, 10)
    cases = [
        case(1, today - timedelta(days=2), status="in_progress", assigned_to="els"),
        case(2, today + timedelta(days=7), status="awaiting_confirmation"),
        case(3, today + timedelta(days=30), flags=("awaiting_letter",), ack_day=today),
        case(4, today, flags=("awaiting_letter",), letter_sent_at=at(today)),
    ]
    context = digest_context(list(reversed(cases)), POLICY, at(today))
    assert [c["number"] for c in context["cases"]] == [
        "KL-2026-00001",
        "KL-2026-00004",
        "KL-2026-00002",
        "KL-2026-00003",
    ]
    assert context["counts"] == {
        "open": 4,
        "overdue": 1,
        "due_within_7": 2,
        "awaiting_confirmation": 1,
        "awaiting_letter": 1,
        "member_replied": 0,
    }
    assert context["replied"] == []
    assert context["as_of"] == "2026-06-10"


def test_policy_from_settings_always_has_the_day_itself() -> None:
    settings = Settings(
        reminders=RemindersSettings(
            coordinators=[" a@x.be", "a@x.be", "b@x.be"],
            days_before_answer_deadline=[2, 14, 7, 7],
        )
    )
    policy = Policy.from_settings(settings)
    assert policy.answer_thresholds == (14, 7, 2, 0)
    assert policy.coordinators == ("a@x.be", "b@x.be")
