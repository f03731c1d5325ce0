"""The reminder job on SQLite and PostgreSQL, with a controlled clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from responder.reminder_job import due_at_send_time, run_digest, run_due, tick
from store import lifecycle
from store.member import Member
from store.models import OutboxMail, ReminderSent
from store.registration import case_by_number, register_case
from store.registration_input import NewCase
from store.staff_actions import member_replied

BRUSSELS = ZoneInfo("Europe/Brussels")
COORDINATORS = ["coord@libmutov.be", "els@libmutov.be"]
RECEIVED = date(2026, 4, 14)
DEADLINE = date(2026, 5, 29)  # RECEIVED + 45 days


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BRUSSELS)


def register(
    app: Any,
    n: int,
    received: date = RECEIVED,
    *,
    acknowledged: bool = True,
    flags: tuple[str, ...] = (),
) -> str:
    """A postal complaint received at noon on `received`."""
    new = NewCase(
        channel="post",
        received_at=at(received, 12),
        language="nl",
        member=Member(name=f"Lid {n}"),
        subject=f"Klacht {n}",
        flags=flags,
    )
    with app.transaction() as session:
        case = register_case(session, app.rules, new, actor="test")
        if acknowledged:  # keeps these tests about the answer deadline
            case.acknowledged_at = at(received, 13)
        return case.number


def reminder_rows(app: Any) -> list[tuple[str, str, list[str]]]:
    """(recipient, kinds, case numbers) of every reminder row."""
    with app.transaction() as session:
        rows = session.scalars(
            select(OutboxMail)
            .where(OutboxMail.kind == "reminder")
            .order_by(OutboxMail.id)
        ).all()
        return [
            (
                row.recipients[0],
                ",".join(dict.fromkeys(c["kind"] for c in row.context["cases"])),
                [c["number"] for c in row.context["cases"]],
            )
            for row in rows
        ]


def count(app: Any, model: Any) -> int:
    with app.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def config(db_url: str, make_config: Callable[..., Path]) -> Path:
    return make_config(db_url, reminders={"coordinators": COORDINATORS})


@pytest.fixture
def app(config: Path, app_for: Callable[[Path], Any]) -> Any:
    return app_for(config)


def test_cases_due_together_make_one_mail_per_coordinator(app: Any) -> None:
    numbers = [register(app, n) for n in range(1, 4)]
    register(app, 4, RECEIVED + timedelta(days=10))  # 17 days left: not yet
    report = run_due(app, at(DEADLINE - timedelta(days=7)))
    assert len(report.mails) == 2 and report.cases == 3
    assert reminder_rows(app) == [
        (COORDINATORS[0], "answer_due", numbers),
        (COORDINATORS[1], "answer_due", numbers),
    ]
    with app.transaction() as session:
        sent = session.execute(
            select(ReminderSent.threshold, ReminderSent.outbox_id.is_not(None))
        ).all()
    # Sent at 7 days; 14 was passed unsent (the first run) and is marked done.
    assert sorted(sent) == [("14", False)] * 6 + [("7", True)] * 6


def test_nothing_twice_after_a_second_run_or_a_restart(
    app: Any, config: Path, app_for: Callable[[Path], Any]
) -> None:
    register(app, 1)
    now = at(DEADLINE - timedelta(days=2))
    assert len(run_due(app, now).mails) == 2
    assert run_due(app, now).mails == ()
    assert run_due(app, now + timedelta(hours=5)).mails == ()
    restarted = app_for(config)
    assert run_due(restarted, now).mails == ()
    assert count(app, OutboxMail) == 2


def test_each_threshold_once_then_daily_overdue(app: Any) -> None:
    number = register(app, 1)
    seen = []
    day = DEADLINE - timedelta(days=16)
    while day <= DEADLINE + timedelta(days=2):
        for mail in run_due(app, at(day)).mails:
            if mail.recipient == COORDINATORS[0]:
                seen.extend((day, e.threshold) for e in mail.entries)
        day += timedelta(days=1)
    assert seen == [
        (date(2026, 5, 15), "14"),
        (date(2026, 5, 22), "7"),
        (date(2026, 5, 27), "2"),
        (date(2026, 5, 29), "0"),
        (date(2026, 5, 30), "overdue:2026-05-30"),
        (date(2026, 5, 31), "overdue:2026-05-31"),
    ]
    assert {n for *_, numbers in reminder_rows(app) for n in numbers} == {number}


def test_catch_up_after_downtime_once_at_the_most_urgent_threshold(app: Any) -> None:
    register(app, 1)
    assert run_due(app, at(DEADLINE - timedelta(days=20))).mails == ()
    # The service was down; it comes back with one day left.
    report = run_due(app, at(DEADLINE - timedelta(days=1)))
    assert [(m.recipient, e.threshold) for m in report.mails for e in m.entries] == [
        (COORDINATORS[0], "2"),
        (COORDINATORS[1], "2"),
    ]
    assert report.skipped == 4  # 14 and 7, for each coordinator
    with app.transaction() as session:
        skipped = session.execute(
            select(ReminderSent.threshold).where(ReminderSent.outbox_id.is_(None))
        ).scalars()
        assert sorted(skipped) == ["14", "14", "7", "7"]
    assert run_due(app, at(DEADLINE - timedelta(days=1), 15)).mails == ()
    later = run_due(app, at(DEADLINE))
    assert {e.threshold for m in later.mails for e in m.entries} == {"0"}


@pytest.mark.parametrize(
    ("received", "deadline"),
    [(date(2026, 2, 12), date(2026, 3, 29)), (date(2026, 9, 10), date(2026, 10, 25))],
)
def test_dst_deadlines_counted_in_local_dates(
    app: Any, received: date, deadline: date
) -> None:
    register(app, 1, received)
    eve = run_due(app, at(deadline - timedelta(days=1), 23, 30).astimezone(UTC))
    assert [(m.entries[0].threshold, m.cases[0]["days_left"]) for m in eve.mails][
        :1
    ] == [("2", 1)]
    day = run_due(app, at(deadline, 0, 30).astimezone(UTC))
    assert [(m.entries[0].threshold, m.cases[0]["days_left"]) for m in day.mails][
        :1
    ] == [("0", 0)]
    assert run_due(app, at(deadline, 23, 30).astimezone(UTC)).mails == ()
    after = run_due(app, at(deadline + timedelta(days=1), 0, 30).astimezone(UTC))
    assert [(m.entries[0].kind, m.cases[0]["days_left"]) for m in after.mails][:1] == [
        ("overdue", -1)
    ]
    assert after.mails[0].cases[0]["deadline"].startswith(deadline.isoformat())


def test_overdue_reminders_reach_the_escalation_addresses(
    db_url: str, make_config: Callable[..., Path], app_for: Callable[[Path], Any]
) -> None:
    path = make_config(
        db_url,
        reminders={"coordinators": COORDINATORS[:1], "escalation": ["dir@lm.be"]},
    )
    app = app_for(path)
    register(app, 1)
    register(app, 2, RECEIVED + timedelta(days=10))
    run_due(app, at(DEADLINE + timedelta(days=3)))
    # One mail per recipient: the coordinator's lists both cases, the
    # director's only the overdue one.
    assert [(r, k) for r, k, _ in reminder_rows(app)] == [
        (COORDINATORS[0], "overdue,answer_due"),
        ("dir@lm.be", "overdue"),
    ]


def test_ack_reminder_for_a_postal_case_without_acknowledgement(app: Any) -> None:
    number = register(app, 1, acknowledged=False)
    ack_day = RECEIVED + timedelta(days=10)
    run_due(app, at(ack_day - timedelta(days=3)))
    run_due(app, at(ack_day))
    run_due(app, at(ack_day + timedelta(days=1)))
    rows = [(r, k, n) for r, k, n in reminder_rows(app) if r == COORDINATORS[0]]
    assert rows == [(COORDINATORS[0], "ack_due", [number])] * 2
    with app.transaction() as session:
        sent = session.scalars(
            select(ReminderSent.threshold)
            .where(ReminderSent.recipient == COORDINATORS[0])
            .where(ReminderSent.outbox_id.is_not(None))
            .order_by(ReminderSent.id)
        ).all()
    assert sent == ["3", "0"]


def test_answered_and_closed_cases_are_never_reminded(
    app: Any, config: Path, cli: Callable[..., Any], tmp_path: Path
) -> None:
    numbers = []
    for n in range(3):
        result = cli(
            "--config", config, "case", "register", "--channel", "post",
            "--received-at", RECEIVED.isoformat(), "--name", f"Lid {n}",
            "--address", "Kerkstraat 1, 9000 Gent",
            "--description", "Mijn terugbetaling is te laat.",
        )  # fmt: skip
        assert result.code == 0, result.err
        numbers.append(result.out.strip())
    answer = tmp_path / "antwoord.txt"
    answer.write_text("Beste, u krijgt gelijk.\n", encoding="utf-8")
    assert cli("--config", config, "case", "answer", numbers[0], "--outcome",
               "founded", "--message-file", answer, "--by-post",
               "--output", tmp_path / "brief.pdf").code == 0  # fmt: skip
    assert cli("--config", config, "case", "close", numbers[1]).code == 0
    run_due(app, at(DEADLINE + timedelta(days=2)))
    listed = {n for *_, cases in reminder_rows(app) for n in cases}
    assert listed == {numbers[2]}


def test_preview_shows_recipients_and_sends_nothing(
    app: Any, config: Path, cli: Callable[..., Any]
) -> None:
    number = register(app, 1)
    as_of = (DEADLINE - timedelta(days=7)).isoformat()
    result = cli("--config", config, "reminders", "preview", "--as-of", as_of,
                 "--format", "json")  # fmt: skip
    assert result.code == 0, result.err
    body = result.json()
    assert [
        (m["recipient"], c["kind"], c["threshold"])
        for m in body["mails"]
        for c in m["cases"]
    ] == [
        (COORDINATORS[0], "answer_due", "7"),
        (COORDINATORS[1], "answer_due", "7"),
    ]
    assert body["mails"][0]["cases"][0]["number"] == number
    text = cli("--config", config, "reminders", "preview", "--as-of", as_of)
    assert f"to {COORDINATORS[1]} (nl): 1 case" in text.out
    assert f"{number}  answer_due 7  due" in text.out
    assert number in text.out
    assert count(app, OutboxMail) == 0 and count(app, ReminderSent) == 0
    # And what it previewed is what the job then sends.
    assert len(run_due(app, at(DEADLINE - timedelta(days=7))).mails) == 2


def test_reminders_run_queues_now_whatever_the_hour(
    app: Any, config: Path, cli: Callable[..., Any]
) -> None:
    register(app, 1)  # long overdue by the real clock
    result = cli("--config", config, "reminders", "run")
    assert result.code == 0, result.err
    assert "reminders: 2 mail(s) queued for 1 case(s)" in result.out
    assert [k for _, k, _ in reminder_rows(app)] == ["overdue", "overdue"]
    again = cli("--config", config, "reminders", "run")
    assert "reminders: 0 mail(s) queued" in again.out
    assert count(app, OutboxMail) == 2


def test_weekly_digest_once_per_iso_week(app: Any) -> None:
    register(app, 1)
    register(app, 2, RECEIVED + timedelta(days=20), acknowledged=False,
             flags=("awaiting_letter",))  # fmt: skip
    monday = date(2026, 5, 25)
    assert run_digest(app, at(monday, 7, 59)) == 0
    assert run_digest(app, at(monday, 8, 5)) == 2
    assert run_digest(app, at(monday, 9)) == 0
    assert run_digest(app, at(monday + timedelta(days=1), 9)) == 0
    with app.transaction() as session:
        row = session.scalars(
            select(OutboxMail).where(OutboxMail.kind == "digest")
        ).first()
        context = row.context
    assert context["counts"] == {
        "open": 2,
        "overdue": 0,
        "due_within_7": 1,
        "awaiting_confirmation": 0,
        "awaiting_letter": 1,
        "member_replied": 0,
    }
    assert context["replied"] == []
    assert [c["days_left"] for c in context["cases"]] == [4, 24]
    assert context["recipient_name"] == "Coord"
    assert context["as_of"] == monday.isoformat()
    assert run_digest(app, at(monday + timedelta(days=7), 8)) == 2


def test_weekly_digest_lists_the_cases_whose_member_wrote_again(app: Any) -> None:
    """Issue 16: a member's reply to an answered case shows in the digest
    (which otherwise lists open cases only), until a person acts on it."""
    open_number = register(app, 1)
    replied = register(app, 2)
    quiet = register(app, 3)  # answered, no reply: not listed
    with app.transaction() as session:
        for number in (replied, quiet):
            reply = lifecycle.Answer(outcome="founded", text="Antwoord.")
            lifecycle.answer(session, app.rules, number, reply, "els@lm.be")
        case = lifecycle.assign(session, replied, "an@libmutov.be", "els@lm.be")
        member_replied(session, app.rules, case, "mid:<reply@example.be>")
    monday = date(2026, 5, 25)
    assert run_digest(app, at(monday, 8, 5)) == 2
    with app.transaction() as session:
        row = session.scalars(
            select(OutboxMail).where(OutboxMail.kind == "digest")
        ).first()
        context = row.context
    assert [c["number"] for c in context["cases"]] == [open_number]
    assert context["counts"]["member_replied"] == 1
    (line,) = context["replied"]
    assert line["number"] == replied
    assert line["assignee"] == "an@libmutov.be"
    assert line["status"] == "answered"
    assert datetime.fromisoformat(line["replied_at"]).tzinfo is not None

    with app.transaction() as session:
        lifecycle.note(session, replied, "Gebeld.", "an@libmutov.be")
    assert run_digest(app, at(monday + timedelta(days=7), 8)) == 2
    with app.transaction() as session:
        row = session.scalars(
            select(OutboxMail)
            .where(OutboxMail.kind == "digest")
            .order_by(OutboxMail.id.desc())
        ).first()
        assert row.context["replied"] == []


def test_tick_respects_working_hours(app: Any) -> None:
    register(app, 1)
    saturday = date(2026, 5, 23)  # 6 days left
    assert not due_at_send_time(app.settings, at(saturday, 9))
    assert tick(app, at(saturday, 9)).mails == ()
    monday = date(2026, 5, 25)
    assert not due_at_send_time(app.settings, at(monday, 7))
    assert tick(app, at(monday, 7)).mails == ()
    assert due_at_send_time(app.settings, at(monday, 8))
    mails = tick(app, at(monday, 8)).mails
    assert [e.threshold for m in mails for e in m.entries] == ["7", "7"]


def test_confirmed_oral_case_is_reminded_like_any_other(app: Any) -> None:
    number = register(app, 1)
    with app.transaction() as session:
        case_by_number(session, number).status = "awaiting_confirmation"
    report = run_due(app, at(DEADLINE))
    assert report.mails[0].cases[0]["status"] == "awaiting_confirmation"
