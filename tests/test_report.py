"""The yearly report's figures: a year of cases with known numbers, every
number of the JSON asserted, on SQLite and PostgreSQL.

The year is built through the registration code (register_inbound for mail
and forms, register_case for post, oral, e-loket and contact forms) with
back-dated received times; clocks, outcomes and outbox states are then set
on the rows, as the lifecycle commands would.

The year (Europe/Brussels), with days counted on the local calendar:

case  channel       received (local)  ack   answer  notes
A     email         2024-01-01 00:30  +2    +20     founded, INSZ X (2023 in UTC)
B     email         2024-03-10        +5    +50     unfounded, INSZ X, 1 follow-up
C     form          2024-03-15        +12   +30     partly, member M1, 2 follow-ups,
                                                    ack skipped "suppressed: ..."
D     post          2024-06-01        -     -       member M1, no e-mail, open
E     oral          2024-07-04        -     -       closed at once
F     e-loket       2024-09-02        -     +10     withdrawn, referred, ack failed 550
G     contact-form  2024-11-20        +1    +51     not-admissible, flag ombudsdienst,
                                                    answered in 2025, 1 follow-up 2025
H     post          2024-12-31 23:30  +2    -       letter sent, piet@ (= G)
I     email         2024-02-14        +0    +45     founded, invalid INSZ
2023: J post 2023-12-31 23:00 (open), K oral 2023-06-01 (+1, +8, founded).
2025: L post 2025-01-05 (counts nowhere).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from config.offices import RegionalOffice
from store.db import transaction
from store.inbound import register_inbound
from store.member import Member
from store.models import Case, OutboxMail
from store.registration import case_by_number, register_case
from store.registration_input import CaseRules, InboundRecord, NewCase

RULES = CaseRules(
    timezone="Europe/Brussels",
    regional_offices=tuple(
        RegionalOffice(name=name, postcodes=[code], address=[name])
        for name, code in (("Gent", 9000), ("Luik", 4000))
    ),
)
BRUSSELS_JAN1 = datetime(2023, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 local
INSZ = "85073003328"
NAMES = ("Jan Janssens", "Marie Dubois", "Piet Pieters")


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def _inbound(key: str, received: datetime, klass: str, **extra: Any) -> InboundRecord:
    raw = f"Message-ID: <{key}@test>\r\nSubject: {key}\r\n\r\nbody\r\n".encode()
    return InboundRecord(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        source="import",
        received_at=received,
        klass=klass,
        reason="test",
        message_id=f"{key}@test",
        **extra,
    )


def _mail_case(session, key, received, channel, member, **case) -> Case:
    new = NewCase(channel=channel, received_at=received, member=member, **case)
    record = _inbound(
        key, received, "complaint", new_case=new, acknowledge_to=member.email
    )
    return case_by_number(session, register_inbound(session, RULES, record).case_number)


def _set(case: Case, ack: int | None = None, answer: int | None = None, **values):
    if ack is not None:
        case.acknowledged_at = case.received_at + timedelta(days=ack)
    if answer is not None:
        case.answered_at = case.received_at + timedelta(days=answer)
    for name, value in values.items():
        setattr(case, name, value)


def _ack_row(session, case: Case, status: str, **values) -> None:
    row = session.scalars(select(OutboxMail).where(OutboxMail.case_id == case.id)).one()
    row.status = status
    for name, value in values.items():
        setattr(row, name, value)


def build_year(sessions, category_a: str = "terugbetaling") -> dict[str, str]:
    """Register the cases of the docstring; returns letter -> case number."""
    numbers: dict[str, str] = {}
    with transaction(sessions) as s:
        x = Member(name=NAMES[0], email="jan@x.be", insz=INSZ, insz_valid=True)
        a = _mail_case(
            s, "a", BRUSSELS_JAN1, "email", x, language="nl", category=category_a,
            subject="<script>alert(1)</script>{{ 7*7 }}",
        )  # fmt: skip
        _set(a, ack=2, answer=20, outcome="founded")
        _ack_row(s, a, "sent")
        b = _mail_case(s, "b", at(2024, 3, 10), "email", x, language="nl",
                       category="terugbetaling")  # fmt: skip
        _set(b, ack=5, answer=50, outcome="unfounded")
        _ack_row(s, b, "sent")
        m1 = Member(name=NAMES[1], email="marie@x.be", member_number="M1")
        c = _mail_case(s, "c", at(2024, 3, 15), "form", m1, language="fr",
                       category="dossierbehandeling")  # fmt: skip
        _set(c, ack=12, answer=30, outcome="partly-founded")
        _ack_row(s, c, "skipped", skip_reason="suppressed: noreply@x.be")
        d = register_case(
            s, RULES, NewCase(channel="post", received_at=at(2024, 6, 1),
                              language="nl", category="dossierbehandeling",
                              member=Member(name=NAMES[1], member_number="M1")),
        )  # fmt: skip
        e = register_case(
            s, RULES, NewCase(channel="oral", received_at=at(2024, 7, 4),
                              language="nl", category="onthaal en medewerkers",
                              status="closed"),
        )  # fmt: skip
        _set(e, closed_at=e.received_at + timedelta(hours=1))
        f = register_case(
            s, RULES, NewCase(channel="e-loket", received_at=at(2024, 9, 2),
                              language="nl", category="andere",
                              regional_office="Gent",
                              member=Member(email="an@x.be")),
            acknowledge_to="an@x.be",
        )  # fmt: skip
        _set(f, answer=10, outcome="withdrawn", referred_at=at(2024, 10, 1))
        _ack_row(s, f, "failed", last_error="550 5.1.1 <an@x.be>: user unknown")
        g = register_case(
            s, RULES, NewCase(channel="contact-form", received_at=at(2024, 11, 20),
                              language="fr", regional_office="Luik",
                              member=Member(name=NAMES[2], email="Piet@X.be"),
                              flags=("ombudsdienst",)),
            acknowledge_to="Piet@X.be",
        )  # fmt: skip
        _set(g, ack=1, answer=51, outcome="not-admissible")
        _ack_row(s, g, "sent")
        h = register_case(
            s, RULES, NewCase(channel="post", received_at=at(2024, 12, 31, 22),
                              language="nl", category="terugbetaling",
                              member=Member(email="piet@x.be")),
        )  # fmt: skip
        _set(h, ack=2, letter_sent_at=at(2025, 1, 2))
        i_member = Member(
            email="ann@x.be", insz="123", insz_valid=False, member_number="M9"
        )
        i = _mail_case(s, "i", at(2024, 2, 14), "email", i_member, language="nl",
                       category="andere")  # fmt: skip
        _set(i, ack=0, answer=45, outcome="founded")
        _ack_row(s, i, "sent")
        numbers.update(A=a.number, B=b.number, C=c.number, D=d.number, G=g.number)
    _previous_and_next_year(sessions)
    _messages(sessions, numbers)
    return numbers


def _previous_and_next_year(sessions) -> None:
    with transaction(sessions) as s:
        register_case(
            s, RULES, NewCase(channel="post", received_at=at(2023, 12, 31, 22),
                              language="nl"),
        )  # fmt: skip
        k = register_case(
            s, RULES, NewCase(channel="oral", received_at=at(2023, 6, 1),
                              language="nl", member=Member(email="k@x.be")),
            acknowledge_to="k@x.be",
        )  # fmt: skip
        _set(k, ack=1, answer=8, outcome="founded")
        _ack_row(s, k, "sent")
        register_case(
            s, RULES, NewCase(channel="post", received_at=at(2025, 1, 5),
                              language="nl"),
        )  # fmt: skip


def _messages(sessions, numbers: dict[str, str]) -> None:
    follow_ups = [("B", at(2024, 4, 1)), ("C", at(2024, 3, 20)),
                  ("C", at(2024, 3, 21)), ("G", at(2025, 1, 3))]  # fmt: skip
    others = (
        [("auto_reply", at(2024, 5, 1))] * 2
        + [("bounce", at(2024, 5, 2)), ("list", at(2024, 5, 3))]
        + [("spam", at(2024, 8, 1))] * 3
        + [("rejected", at(2024, 8, 2)), ("quarantined", at(2024, 8, 3))]
        + [("spam", at(2025, 1, 1)), ("auto_reply", at(2023, 12, 31, 22))]
    )
    with transaction(sessions) as s:
        for index, (letter, when) in enumerate(follow_ups):
            record = _inbound(
                f"f{index}", when, "follow_up", follow_up_number=numbers[letter]
            )
            register_inbound(s, RULES, record)
        for index, (klass, when) in enumerate(others):
            register_inbound(s, RULES, _inbound(f"o{index}", when, klass))


EXPECTED_2024: dict[str, Any] = {
    "received": {
        "total": 9,
        "by_channel": {"email": 3, "post": 2, "contact-form": 1, "e-loket": 1,
                       "form": 1, "oral": 1},
        "by_category": {"terugbetaling": 3, "andere": 2, "dossierbehandeling": 2,
                        "onthaal en medewerkers": 1, "unset": 1},
        "by_language": {"nl": 7, "fr": 2},
        "by_month": {"1": 1, "2": 1, "3": 2, "4": 0, "5": 0, "6": 1, "7": 1,
                     "8": 0, "9": 1, "10": 0, "11": 1, "12": 1},
        "by_regional_office": {"Gent": 1, "Luik": 1},
    },
    "outcomes": {"founded": 2, "partly-founded": 1, "unfounded": 1,
                 "withdrawn": 1, "not-admissible": 1, "none": 3},
    "open_at_year_end": 3,
    "acknowledgement": {"count": 6, "median_days": 2.0, "p90_days": 12,
                        "within_days": 10, "within": 5, "share_within": 0.8333},
    "answer": {"count": 6, "median_days": 37.5, "p90_days": 51, "within_days": 45,
               "within": 4, "share_within": 0.6667,
               "distribution": {"0-10": 1, "11-20": 1, "21-30": 1, "31-45": 1,
                                ">45": 2}},
    "overdue": {"count": 3, "answered_late": 2, "open_late": 1,
                "median_days_late": 6.0, "max_days_late": 168},
    "follow_ups": {"total": 4, "cases_with": 3, "mean_per_case": 0.44,
                   "max_per_case": 2},
    "repeat_members": 3,
    "ombudsdienst": 2,
    "acknowledgements_not_sent": {
        "total": 4,
        "by_reason": {"awaiting_letter": 1, "closed_without_acknowledgement": 1,
                      "failed:550": 1, "skipped:suppressed": 1},
        "acknowledged_without_mail": {"letter_sent": 1, "acknowledged_otherwise": 0},
    },
    "non_complaint_messages": {"auto_reply": 2, "bounce": 1, "list": 1, "spam": 3,
                               "rejected": 1, "quarantined": 1, "staff": 0},
    "messages_by_class": {"complaint": 4, "follow_up": 3, "spam": 3,
                          "auto_reply": 2, "bounce": 1, "list": 1,
                          "quarantined": 1, "rejected": 1},
}  # fmt: skip

EXPECTED_2023_MAIN = {
    "received": 2,
    "open_at_year_end": 1,
    "overdue": 0,
    "repeat_members": 0,
    "ombudsdienst": 0,
    "acknowledgements_not_sent": 1,
    "follow_ups": 0,
}


@pytest.fixture
def year_config(db_url, sessions, make_config):
    numbers = build_year(sessions)
    return make_config(db_url), numbers


def test_every_figure_of_the_year(year_config, cli) -> None:
    config, _ = year_config
    result = cli("--config", config, "report", "--year", "2024", "--format", "json")
    assert result.code == 0, result.err
    report = result.json()
    for key, expected in EXPECTED_2024.items():
        assert report[key] == expected, key
    # Dicts are ordered largest first: what a reader sees first matters.
    assert list(report["received"]["by_channel"])[:2] == ["email", "post"]
    assert report["by_status"] == {"registered": 8, "closed": 1}
    assert report["year"] == 2024
    assert report["cutoff"] == "2024-12-31T23:59:59+01:00"
    assert (report["ack_days"], report["answer_days"]) == (10, 45)
    assert report["contains_personal_data"] is False
    assert "cases" not in report


def test_previous_year_and_deltas(year_config, cli) -> None:
    config, _ = year_config
    report = cli("--config", config, "report", "--year", "2024", "--format", "json")
    before = report.json()["previous_year"]
    assert before["year"] == 2023
    assert before["received"]["total"] == 2
    assert before["received"]["by_month"]["6"] == 1
    assert before["received"]["by_month"]["12"] == 1
    assert before["open_at_year_end"] == 1
    assert before["answer"]["median_days"] == 8.0
    assert before["acknowledgements_not_sent"]["by_reason"] == {"awaiting_letter": 1}
    main = {
        "received": 9,
        "open_at_year_end": 3,
        "overdue": 3,
        "repeat_members": 3,
        "ombudsdienst": 2,
        "acknowledgements_not_sent": 4,
        "follow_ups": 4,
    }
    assert report.json()["deltas"] == {
        key: main[key] - EXPECTED_2023_MAIN[key] for key in main
    }


def test_a_year_without_a_previous_year(year_config, cli) -> None:
    config, _ = year_config
    report = cli("--config", config, "report", "--year", "2023", "--format", "json")
    body = report.json()
    assert body["received"]["total"] == 2
    assert body["previous_year"] is None and body["deltas"] is None
    empty = cli("--config", config, "report", "--year", "2030", "--format", "json")
    assert empty.json()["received"]["total"] == 0
    assert empty.json()["answer"]["median_days"] is None
    assert empty.json()["previous_year"] is None


def test_with_cases_adds_the_case_list(year_config, cli) -> None:
    config, numbers = year_config
    result = cli(
        "--config", config, "report", "--year", "2024", "--format", "json",
        "--with-cases",
    )  # fmt: skip
    body = result.json()
    assert body["contains_personal_data"] is True
    cases = {c["number"]: c for c in body["cases"]}
    assert len(cases) == 9
    a = cases[numbers["A"]]
    assert a == {
        "number": numbers["A"],
        "received": "2024-01-01",
        "channel": "email",
        "category": "terugbetaling",
        "status": "registered",
        "outcome": "founded",
        "member_name": NAMES[0],
        "days_to_answer": 20,
    }
    assert cases[numbers["D"]]["days_to_answer"] is None
    assert [c["number"] for c in body["cases"]] == sorted(cases)
