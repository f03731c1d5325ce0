"""The case lifecycle through the CLI: every command, its events, its refusals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from store.models import Attachment, Event, OutboxMail

Cli = Callable[..., Any]


@pytest.fixture
def config(db_url: str, make_config: Callable[..., Path]) -> Path:
    return make_config(db_url)


@pytest.fixture
def run(cli: Cli, config: Path) -> Cli:
    """`klachten --config CFG --actor els ARGS...`."""
    return lambda *args: cli("--config", config, "--actor", "els", *args)


def register(run: Cli, *extra: str, received: str = "2026-10-01") -> str:
    result = run(
        "case", "register", "--channel", "post", "--received-at", received,
        "--name", "An Peeters", "--description", "Te laat terugbetaald.", *extra,
    )  # fmt: skip
    assert result.code == 0, result.err
    # The number is the first line; delivery may log after it.
    return result.out.splitlines()[0]


def register_oral(run: Cli) -> str:
    result = run(
        "case", "register", "--channel", "oral", "--received-at", "2026-10-01",
        "--name", "Jan", "--description", "Aan het loket.",
    )  # fmt: skip
    assert result.code == 0, result.err
    return result.out.splitlines()[0]


def show(run: Cli, number: str) -> dict[str, Any]:
    result = run("case", "show", number, "--format", "json")
    assert result.code == 0, result.err
    return result.json()


def kinds(case: dict[str, Any]) -> list[str]:
    return [event["kind"] for event in case["events"]]


def refused(result: Any, fragment: str) -> None:
    """Exit 2 and exactly one line on stderr that says why (log lines aside)."""
    assert result.code == 2, (result.out, result.err)
    lines = [ln for ln in result.err.splitlines() if ln.startswith("klachten:")]
    assert len(lines) == 1, result.err
    assert fragment in lines[0]


@pytest.fixture
def answer_file(tmp_path: Path) -> Path:
    path = tmp_path / "antwoord.txt"
    path.write_text("Beste,\n\nU krijgt gelijk: we betalen terug.\n", encoding="utf-8")
    return path


def test_assign_moves_to_in_progress_with_actor_and_details(run: Cli) -> None:
    number = register(run)
    result = run("case", "assign", number, "--to", "Els.Claes@LibMutov.be")
    assert result.code == 0, result.err
    case = show(run, number)
    assert case["status"] == "in_progress"
    assert case["assigned_to"] == "els.claes@libmutov.be"
    event = case["events"][-1]
    assert (event["kind"], event["actor"]) == ("assigned", "els")
    assert event["details"] == {"to": "els.claes@libmutov.be", "previous": None}


def test_assign_refuses_a_bad_address(run: Cli) -> None:
    number = register(run)
    refused(run("case", "assign", number, "--to", "els@"), "invalid e-mail address")
    assert kinds(show(run, number)) == ["registered"]


def test_note_is_kept_in_the_audit_trail(run: Cli) -> None:
    number = register(run)
    assert run("case", "note", number, "Lid telefonisch gesproken").code == 0
    event = show(run, number)["events"][-1]
    assert event["kind"] == "note" and event["actor"] == "els"
    assert event["details"] == {"text": "Lid telefonisch gesproken"}
    refused(run("case", "note", number, "   "), "the note is empty")


def test_answer_by_post_stops_the_clock(run: Cli, answer_file: Path) -> None:
    number = register(run, "--address", "Kerkstraat 12, 9000 Gent")
    letter = answer_file.parent / "antwoord.pdf"
    result = run("case", "answer", number, "--outcome", "partly-founded",
                 "--message-file", answer_file, "--by-post",
                 "--output", letter)  # fmt: skip
    assert result.code == 0, result.err
    assert letter.stat().st_size > 0
    case = show(run, number)
    assert case["status"] == "answered"
    assert case["outcome"] == "partly-founded"
    assert case["answered_at"] is not None
    assert kinds(case)[-2:] == ["answered", "answer_posted"]
    details = case["events"][-2]["details"]
    assert details["delivery"] == "post"
    assert "we betalen terug" in details["text"]
    overdue = run("cases", "list", "--overdue", "--format", "json").json()
    assert number not in [c["number"] for c in overdue]


def test_answer_send_queues_the_mail_to_the_member(
    run: Cli, answer_file: Path, config: Path, app_for: Callable[[Path], Any]
) -> None:
    number = register(run, "--email", "an@example.be")
    result = run("case", "answer", number, "--outcome", "founded",
                 "--message-file", answer_file, "--send")  # fmt: skip
    assert result.code == 0, result.err
    with app_for(config).transaction() as session:
        mail = session.scalars(
            select(OutboxMail).where(OutboxMail.kind == "answer")
        ).one()
        assert (mail.audience, mail.template, mail.language) == (
            "member",
            "answer",
            "nl",
        )
        assert mail.recipients == ["an@example.be"]
        assert "we betalen terug" in mail.context["answer_text"]


def test_answer_send_without_email_writes_nothing(run: Cli, answer_file: Path) -> None:
    number = register(run)
    refused(
        run("case", "answer", number, "--outcome", "founded",
            "--message-file", answer_file, "--send"),
        "has no e-mail address",
    )  # fmt: skip
    case = show(run, number)
    assert case["status"] == "registered" and case["outcome"] is None
    assert kinds(case) == ["registered"]


def test_answer_refuses_closed_and_answered_cases(run: Cli, answer_file: Path) -> None:
    args = ("--outcome", "unfounded", "--message-file", str(answer_file))
    first, second = register(run), register(run)
    assert run("case", "answer", first, *args).code == 0
    refused(run("case", "answer", first, *args), "is answered: reopen it first")
    assert run("case", "close", second).code == 0
    refused(run("case", "answer", second, *args), "is closed: reopen it first")
    assert kinds(show(run, second)) == ["registered", "closed"]


def test_answer_refuses_a_missing_message_file(run: Cli, tmp_path: Path) -> None:
    number = register(run)
    refused(
        run("case", "answer", number, "--outcome", "founded",
            "--message-file", tmp_path / "nope.txt"),
        "cannot read",
    )  # fmt: skip
    empty = tmp_path / "leeg.txt"
    empty.write_text("  \n", encoding="utf-8")
    refused(
        run("case", "answer", number, "--outcome", "founded", "--message-file", empty),
        "is empty",
    )


def test_close_and_reopen_with_reason(run: Cli, answer_file: Path) -> None:
    number = register(run)
    assert run("case", "answer", number, "--outcome", "founded",
               "--message-file", answer_file).code == 0  # fmt: skip
    assert run("case", "close", number).code == 0
    case = show(run, number)
    assert case["status"] == "closed" and case["closed_at"] is not None
    refused(run("case", "close", number), "already closed")
    assert run("case", "reopen", number, "--reason", "Lid schreef terug").code == 0
    case = show(run, number)
    assert case["status"] == "in_progress" and case["closed_at"] is None
    # The first answer stays on record; the clock it stopped stays stopped.
    assert case["answered_at"] is not None and case["outcome"] == "founded"
    event = case["events"][-1]
    assert event["kind"] == "reopened" and event["actor"] == "els"
    assert event["details"]["reason"] == "Lid schreef terug"
    assert event["details"]["previous"] == "closed"
    refused(run("case", "reopen", number, "--reason", "x"), "only answered or closed")
    # Answered again after the reopen: allowed.
    assert run("case", "answer", number, "--outcome", "unfounded",
               "--message-file", answer_file).code == 0  # fmt: skip
    assert show(run, number)["outcome"] == "unfounded"


def test_refer_to_the_ombudsdienst(run: Cli) -> None:
    number = register(run)
    assert (
        run("case", "refer", number, "--ombudsdienst", "--date", "2026-11-02").code == 0
    )
    case = show(run, number)
    assert "ombudsdienst" in case["flags"]
    assert case["referred_at"].startswith("2026-11-02T12:00:00")
    event = case["events"][-1]
    assert event["kind"] == "referred" and event["details"]["to"] == "ombudsdienst"
    refused(run("case", "refer", number, "--ombudsdienst"), "already referred")


def test_refer_refuses_invalid_and_future_dates(run: Cli) -> None:
    number = register(run)
    bad = run("case", "refer", number, "--ombudsdienst", "--date", "2026-02-30")
    # argparse: exit 2, a usage line and the one error line.
    assert bad.code == 2 and "invalid date '2026-02-30'" in bad.err
    future = (date.today() + timedelta(days=3)).isoformat()
    refused(
        run("case", "refer", number, "--ombudsdienst", "--date", future),
        "lies in the future",
    )
    assert kinds(show(run, number)) == ["registered"]


def test_confirm_an_oral_complaint_keeps_the_attachment(
    run: Cli, tmp_path: Path, config: Path, app_for: Callable[[Path], Any]
) -> None:
    number = register_oral(run)
    assert show(run, number)["status"] == "awaiting_confirmation"
    letter = tmp_path / "bevestiging.pdf"
    letter.write_bytes(b"%PDF-1.4 bevestiging")
    result = run("case", "confirm", number, "--received-at", "2026-10-08",
                 "--attach", letter)  # fmt: skip
    assert result.code == 0, result.err
    case = show(run, number)
    assert case["status"] == "registered"
    assert [(a["filename"], a["flags"]) for a in case["attachments"]] == [
        ("bevestiging.pdf", ["confirmation"])
    ]
    event = case["events"][-1]
    assert event["kind"] == "confirmed" and event["actor"] == "els"
    assert event["details"]["attachments"] == ["bevestiging.pdf"]
    assert event["details"]["received_at"].startswith("2026-10-08")
    with app_for(config).transaction() as session:
        data = session.scalars(select(Attachment.data)).one()
    assert data == b"%PDF-1.4 bevestiging"
    refused(run("case", "confirm", number), "not waiting for a confirmation")


def test_confirm_with_an_unreadable_attachment_writes_nothing(
    run: Cli, tmp_path: Path
) -> None:
    number = register_oral(run)
    refused(
        run("case", "confirm", number, "--attach", tmp_path / "weg.pdf"),
        "cannot read attachment",
    )
    assert show(run, number)["status"] == "awaiting_confirmation"


def test_assigning_a_case_awaiting_confirmation_keeps_waiting(run: Cli) -> None:
    number = register_oral(run)
    assert run("case", "assign", number, "--to", "els@libmutov.be").code == 0
    assert show(run, number)["status"] == "awaiting_confirmation"
    assert run("case", "confirm", number).code == 0
    assert show(run, number)["status"] == "in_progress"


@pytest.mark.parametrize(
    "command",
    [
        ("assign", "--to", "els@libmutov.be"),
        ("note", "tekst"),
        ("close",),
        ("reopen", "--reason", "x"),
        ("refer", "--ombudsdienst"),
        ("confirm",),
    ],
)
def test_unknown_number_is_one_line_and_exit_2(
    run: Cli, command: tuple[str, ...], config: Path, app_for: Callable[[Path], Any]
) -> None:
    refused(
        run("case", command[0], "KL-2026-99999", *command[1:]),
        "no case with number KL-2026-99999",
    )
    with app_for(config).transaction() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_actor_defaults_to_the_os_user(cli: Cli, config: Path) -> None:
    import getpass

    result = cli("--config", config, "case", "register", "--channel", "post",
                 "--received-at", "2026-10-01", "--description", "x")  # fmt: skip
    number = result.out.splitlines()[0]
    assert cli("--config", config, "case", "note", number, "hallo").code == 0
    case = cli("--config", config, "case", "show", number, "--format", "json").json()
    assert case["events"][-1]["actor"] == getpass.getuser()
