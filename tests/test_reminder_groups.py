"""The one reminder mail per recipient, pure: urgency sections, the subject's
counts, who gets which case, the language, links and business days."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from config.offices import RegionalOffice
from config.schema import CasesSettings, Settings, StaffSettings, WebSettings
from responder.reminder_groups import (
    sections,
    summary,
    urgency,
)
from responder.reminder_plan import Policy, days_left, link_base, plan_reminders
from store.accounts import name_from_address
from store.deadlines import add_days, days_between, end_of_day
from tests.test_reminders_plan import COORD, POLICY, TZ, at, case


@pytest.mark.parametrize(
    ("left", "section"),
    [(-30, "overdue"), (-1, "overdue"), (0, "today"), (1, "within_2"),
     (2, "within_2"), (3, "within_7"), (7, "within_7"), (8, "within_14"),
     (14, "within_14"), (15, "later")],
)  # fmt: skip
def test_urgency(left: int, section: str) -> None:
    assert urgency(left) == section


def line(number: int, left: int, kind: str = "answer_due") -> dict:
    return {
        "number": f"KL-2026-{number:05d}",
        "kind": kind,
        "days_left": left,
        "deadline": (date(2026, 6, 1) + timedelta(days=left)).isoformat(),
    }


def test_sections_in_order_earliest_first_empty_ones_left_out() -> None:
    lines = [line(1, 5), line(2, -1, "overdue"), line(3, 3), line(4, -9, "overdue"),
             line(5, 2, "ack_due"), line(6, 0)]  # fmt: skip
    got = [(s["key"], [c["number"][-1] for c in s["cases"]]) for s in sections(lines)]
    assert got == [
        ("overdue", ["4", "2"]),
        ("today", ["6"]),
        ("within_7", ["3", "1"]),
        ("no_ack", ["5"]),
    ]


def test_summary_counts_what_the_subject_says() -> None:
    lines = [line(1, -2, "overdue"), line(2, 1), line(3, 7), line(4, 10),
             line(4, 3, "ack_due")]  # fmt: skip
    assert summary(lines) == {
        "total": 4,
        "parts": [
            {"key": "overdue", "count": 1},
            {"key": "this_week", "count": 2},
            {"key": "within_14", "count": 1},
            {"key": "no_ack", "count": 1},
        ],
    }
    assert summary([]) == {"total": 0, "parts": []}


def test_names_from_addresses() -> None:
    assert name_from_address("els.claes@libmutov.be") == "Els Claes"
    assert name_from_address("jean-marc_dubois2@lm.be") == "Jean Marc Dubois2"
    assert name_from_address("42@lm.be") == "42@lm.be"


def test_business_days_are_counted_as_deadlines_are() -> None:
    friday = date(2026, 12, 18)
    for n in range(0, 30):
        end = add_days(friday, n, "business")
        assert days_between(friday, end, "business") == n
    # Christmas and the weekend: from Thursday 24th to Monday 28th is 1 day.
    assert days_between(date(2026, 12, 24), date(2026, 12, 28), "business") == 1
    assert days_between(date(2026, 12, 28), date(2026, 12, 24), "business") == -1
    assert days_between(date(2026, 12, 24), date(2026, 12, 28)) == 4
    deadline = end_of_day(date(2026, 12, 28), TZ)
    assert days_left(deadline, date(2026, 12, 24), TZ, "business") == 1


def test_recipients_assignee_then_office_coordinators_then_coordinators() -> None:
    policy = replace(
        POLICY,
        office_coordinators={"lm brussel": ("claire@libmutov.be",)},
        languages={"claire@libmutov.be": "fr"},
    )
    today = date(2026, 6, 1)
    due = today + timedelta(days=7)
    cases = [
        case(1, due, assigned_to="els@libmutov.be", regional_office="LM Brussel"),
        case(2, due, regional_office="LM Brussel"),
        case(3, due, regional_office="LM Oost-Vlaanderen"),
        case(4, due),
        case(5, due, assigned_to="els"),  # not an address: not mailable
    ]
    plan = plan_reminders(cases, set(), policy, at(today))
    got = [(m.recipient, m.language, [c["number"][-1] for c in m.cases])
           for m in plan.mails]  # fmt: skip
    assert got == [
        ("claire@libmutov.be", "fr", ["2"]),
        (COORD, "nl", ["3", "4", "5"]),
        ("els@libmutov.be", "nl", ["1"]),
    ]


def test_policy_from_settings_offices_languages_and_links() -> None:
    gent = RegionalOffice(name="LM Gent", postcodes=[9000], address=["x"],
                          coordinators=["an@lm.be"])  # fmt: skip
    settings = Settings(
        cases=CasesSettings(regional_offices=[gent], day_kind="business"),
        staff=StaffSettings(languages={"Claire@LM.be": "fr"}),
        web=WebSettings(base_url="https://klachten.lm.be/"),
    )
    policy = Policy.from_settings(settings)
    assert policy.office_coordinators == {"lm gent": ("an@lm.be",)}
    assert policy.language("claire@lm.be") == "fr"
    assert policy.language("els@lm.be") == "nl"
    assert policy.base_url == "https://klachten.lm.be"
    assert policy.day_kind == "business"
    assert link_base("http://127.0.0.1:8080") is None
    assert link_base("http://localhost:8080") is None
    today = date(2026, 6, 1)
    plan = plan_reminders([case(1, today)], set(), policy, at(today))
    assert (
        plan.mails[0].cases[0]["link"] == "https://klachten.lm.be/cases/KL-2026-00001"
    )


def test_a_returned_answer_is_listed_once_though_the_case_is_answered() -> None:
    today = date(2026, 6, 1)
    answered = case(
        1,
        today + timedelta(days=20),
        status="answered",
        answered_at=at(today),
        flags=("answer_bounced",),
    )
    plan = plan_reminders([answered], set(), POLICY, at(today))
    ((entry,),) = [m.entries for m in plan.mails]
    assert (entry.kind, entry.threshold) == ("bounced", "bounced:answer_bounced")
    assert entry.line["bounced"] == "answer_bounced"
    assert sections([entry.line])[0]["key"] == "bounced"
    again = plan_reminders([answered], set(plan.mails[0].keys), POLICY, at(today))
    assert again.mails == ()


def test_a_members_reply_after_the_answer_rides_along_daily_until_someone_acts():
    today = date(2026, 6, 1)
    els = "els@libmutov.be"
    replied = case(
        1,
        today + timedelta(days=20),
        status="closed",
        answered_at=at(today),
        assigned_to=els,
        flags=("member_replied",),
    )
    # Alone it makes no mail: the notice went out when the reply came.
    assert plan_reminders([replied], set(), POLICY, at(today)).mails == ()
    due = case(2, today + timedelta(days=2), assigned_to=els)
    plan = plan_reminders([replied, due], set(), POLICY, at(today))
    [mail] = plan.mails
    assert mail.recipient == els
    [entry] = [e for e in mail.entries if e.case_id == 1]
    assert (entry.kind, entry.threshold) == ("replied", "replied:2026-06-01")
    assert sections([entry.line])[0]["key"] == "replied"
    assert summary([entry.line])["parts"] == [{"key": "replied", "count": 1}]
    sent = set(mail.keys)
    assert plan_reminders([replied, due], sent, POLICY, at(today, 15)).mails == ()
    next_day = at(today + timedelta(days=1))
    overdue = case(3, today, assigned_to=els)
    [tomorrow] = plan_reminders([replied, overdue], sent, POLICY, next_day).mails
    assert {e.kind for e in tomorrow.entries} == {"overdue", "replied"}
    acted = replace(replied, flags=())
    [later] = plan_reminders([acted, overdue], sent, POLICY, next_day).mails
    assert {e.kind for e in later.entries} == {"overdue"}
