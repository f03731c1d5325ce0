"""`case edit|reclassify|merge|write|attachment`, `cases search`, `user ...`
through the command line: output, events with the actor, and refusals (exit 2,
one line, nothing changed)."""

from __future__ import annotations

import getpass
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.test_lifecycle import refused, register, show

Cli = Callable[..., Any]


@pytest.fixture
def config(db_url: str, make_config: Callable[..., Path]) -> Path:
    office = {"name": "LM Oost-Vlaanderen", "postcodes": ["9000-9999"],
              "address": ["Brabantdam 109", "9000 Gent"]}  # fmt: skip
    return make_config(db_url, cases={"regional_offices": [office]})


@pytest.fixture
def run(cli: Cli, config: Path) -> Cli:
    return lambda *args: cli("--config", config, "--actor", "els", *args)


def test_edit_every_option_and_the_json_keys(run: Cli) -> None:
    number = register(run, "--email", "an@example.be")
    assert show(run, number)["cause"] is None
    result = run(
        "case", "edit", number,
        "--category", "Terugbetaling", "--language", "fr",
        "--regional-office", "lm oost-vlaanderen", "--subject", "Kine",
        "--cause", "communicatie", "--service", "onthaal", "--measure", "Nieuwe brief",
        "--member-name", "An Peeters-Maes", "--member-email", "AN.PM@example.be",
        "--member-phone", "09 265 98 00", "--member-street", "Kerkstraat 14",
        "--member-postcode", "9300", "--member-city", "Aalst",
        "--member-number", "123-456", "--member-insz", "85073003328",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.startswith(f"{number}: category, language, regional_office")
    case = show(run, number)
    assert (case["category"], case["language"], case["regional_office"]) == (
        "terugbetaling",
        "fr",
        "LM Oost-Vlaanderen",
    )
    assert (case["cause"], case["service"], case["measure"]) == (
        "communicatie",
        "onthaal",
        "Nieuwe brief",
    )
    assert case["member"] == {
        "name": "An Peeters-Maes",
        "email": "an.pm@example.be",
        "phone": "+3292659800",
        "street": "Kerkstraat 14",
        "postcode": "9300",
        "city": "Aalst",
        "member_number": "123-456",
        "insz": "85.07.30-033.28",
        "insz_valid": True,
    }
    edited = [e for e in case["events"] if e["kind"] == "edited"]
    assert len(edited) == 15 and {e["actor"] for e in edited} == {"els"}
    listed = run("cases", "list", "--format", "json").json()
    assert listed[0]["cause"] == "communicatie" and "measure" in listed[0]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--cause", "zomaar"), "unknown cause 'zomaar'"),
        (("--service", "kantine"), "unknown service"),
        (("--regional-office", "Planeet Mars"), "unknown regional office"),
        (("--category", "Klacht"), "unknown category"),
        (("--member-email", "geen adres"), "invalid e-mail address"),
        (("--member-postcode", "123"), "invalid Belgian postcode"),
        (("--member-insz", "85073003361"), "invalid national register number"),
        (("--member-phone", "12"), "invalid phone number"),
        ((), "nothing to change"),
    ],
)
def test_edit_bad_input(run: Cli, args: tuple[str, ...], fragment: str) -> None:
    number = register(run)
    before = show(run, number)
    refused(run("case", "edit", number, "--cause", "communicatie", *args)
            if args else run("case", "edit", number), fragment)  # fmt: skip
    assert show(run, number) == before


def test_a_closed_case_takes_only_cause_service_and_measure(run: Cli) -> None:
    number = register(run)
    assert run("case", "close", number).code == 0
    before = show(run, number)
    for other in (("--subject", "Kine"), ("--member-name", "An"), ("--language", "fr")):
        refused(run("case", "edit", number, "--cause", "communicatie", *other),
                f"case {number} is closed: its details cannot change")  # fmt: skip
    assert show(run, number) == before
    result = run(
        "case", "edit", number, "--cause", "communicatie", "--service", "onthaal",
        "--measure", "Brief herschreven",
    )  # fmt: skip
    assert result.code == 0, result.err
    case = show(run, number)
    assert (case["status"], case["cause"], case["service"], case["measure"]) == (
        "closed",
        "communicatie",
        "onthaal",
        "Brief herschreven",
    )
    edited = [e for e in case["events"] if e["kind"] == "edited"]
    assert [(e["actor"], e["details"]["field"]) for e in edited] == [
        ("els", "cause"),
        ("els", "service"),
        ("els", "measure"),
    ]
    assert edited[-1]["details"]["new"] == "Brief herschreven"


def test_edit_refuses_a_reclassified_case_and_an_unknown_number(run: Cli) -> None:
    number = register(run)
    assert run("case", "reclassify", number, "--as", "question").code == 0
    refused(run("case", "edit", number, "--cause", "communicatie"), "reclassified")
    assert show(run, number)["cause"] is None
    refused(run("case", "edit", "KL-2026-99999", "--cause", "andere"), "no case")
    refused(run("case", "edit", number, "--language", "xx"), "invalid choice")


def test_reclassify_and_the_open_list(run: Cli) -> None:
    spam, kept = register(run), register(run)
    result = run("case", "reclassify", spam, "--as", "spam")
    assert (result.code, result.out.strip()) == (0, f"{spam}: not a complaint (spam)")
    listed = run("cases", "list", "--open", "--format", "json").json()
    assert [c["number"] for c in listed] == [kept]
    case = show(run, spam)
    assert (case["status"], case["reclassified_as"]) == ("reclassified", "spam")
    assert case["events"][-1]["kind"] == "reclassified"
    listed = run("cases", "list", "--status", "reclassified", "--format", "json")
    assert [c["number"] for c in listed.json()] == [spam]


def test_reclassify_bad_input(run: Cli) -> None:
    number, other = register(run), register(run)
    refused(run("case", "reclassify", number, "--as", "duplicate"), "needs --of")
    refused(run("case", "reclassify", number, "--as", "spam", "--of", other), "only")
    refused(run("case", "reclassify", number, "--as", "rubbish"), "invalid choice")
    refused(
        run("case", "reclassify", number, "--as", "duplicate", "--of", "KL-1-1"),
        "no case",
    )
    assert show(run, number)["status"] == "registered"
    ok = run("case", "reclassify", number, "--as", "duplicate", "--of", other)
    assert ok.out.strip() == f"{number}: not a complaint (duplicate of {other})"
    refused(run("case", "reclassify", number, "--as", "spam"), "already")


def test_merge(run: Cli, tmp_path: Path) -> None:
    scan = tmp_path / "brief.pdf"
    scan.write_bytes(b"%PDF-1.4 scan")
    target, source = register(run), register(run, "--attach", str(scan))
    result = run("case", "merge", source, "--into", target)
    assert (result.code, result.out.strip()) == (0, f"{source}: merged into {target}")
    merged = show(run, target)
    assert merged["attachment_count"] == 1
    assert merged["events"][-1]["kind"] == "merged"
    assert show(run, source)["duplicate_of"] == target
    refused(run("case", "merge", source, "--into", target), "already reclassified")
    refused(run("case", "merge", target, "--into", target), "itself")
    refused(run("case", "merge", target, "--into", "KL-2026-99999"), "no case")


def test_attachment_bytes_to_a_private_file(run: Cli, tmp_path: Path) -> None:
    data = b"%PDF-1.4\n" + os.urandom(2000)
    scan = tmp_path / "formulier.pdf"
    scan.write_bytes(data)
    number, other = register(run, "--attach", str(scan)), register(run)
    attachment_id = show(run, number)["attachments"][0]["id"]
    output = tmp_path / "out.pdf"
    output.write_bytes(b"old")
    output.chmod(0o644)
    result = run("case", "attachment", number, attachment_id, "--output", output)
    assert result.code == 0, result.err
    assert output.read_bytes() == data
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    elsewhere = tmp_path / "other.pdf"
    refused(
        run("case", "attachment", other, attachment_id, "--output", elsewhere),
        f"case {other} has no attachment {attachment_id}",
    )
    assert not elsewhere.exists()
    refused(run("case", "attachment", number, "x", "--output", elsewhere), "number")
    refused(
        run("case", "attachment", number, attachment_id, "--output", tmp_path / "no/f"),
        "cannot write",
    )


def test_search_table_and_json(run: Cli) -> None:
    number = register(run, "--insz", "85073003328", "--phone", "0470 12 34 56")
    register(run)
    for text in ("85.07.30-033.28", "+32 470 12 34 56", "PEETERS", number):
        result = run("cases", "search", text, "--format", "json")
        assert result.code == 0, result.err
        found = [c["number"] for c in result.json()]
        assert number in found, text
    result = run("cases", "search", "85.07.30-033.28", "--format", "json")
    listed = run("cases", "list", "--format", "json").json()
    assert result.json() == [c for c in listed if c["number"] == number]
    table = run("cases", "search", "85073003328")
    assert number in table.out and "An Peeters" in table.out
    assert run("cases", "search", "niemand-heet-zo").out.strip() == "(none)"
    refused(run("cases", "search", " "), "empty")


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "pw"
    path.write_text("a long enough secret\n", encoding="utf-8")
    return path


def test_user_commands(run: Cli, password_file: Path) -> None:
    result = run(
        "user", "add", "Els@LibMutov.be", "--name", "Els Claes", "--role", "admin",
        "--password-file", password_file,
    )  # fmt: skip
    assert (result.code, result.out.strip()) == (
        0,
        "els@libmutov.be: account added (admin)",
    )
    sso = run("user", "add", "an@libmutov.be", "--name", "An", "--role", "viewer",
              "--sso-only")  # fmt: skip
    assert sso.code == 0, sso.err
    users = run("user", "list", "--format", "json").json()
    assert [(u["email"], u["role"], u["has_password"]) for u in users] == [
        ("an@libmutov.be", "viewer", False),
        ("els@libmutov.be", "admin", True),
    ]
    assert "a long enough secret" not in str(users)
    table = run("user", "list").out
    assert "sso only" in table and "els@libmutov.be" in table
    assert run("user", "disable", "an@libmutov.be").out.strip() == (
        "an@libmutov.be: disabled"
    )
    password_file.write_text("another long secret\n", encoding="utf-8")
    result = run("user", "passwd", "ELS@libmutov.be", "--password-file", password_file)
    assert result.out.strip() == "els@libmutov.be: password set"


def test_user_bad_input(run: Cli, password_file: Path, tmp_path: Path) -> None:
    add = ("user", "add", "els@libmutov.be", "--name", "Els")
    refused(run(*add, "--role", "chef", "--password-file", password_file), "invalid")
    refused(run(*add, "--role", "admin", "--password-file", tmp_path / "none"),
            "cannot read")  # fmt: skip
    short = tmp_path / "short"
    short.write_text("kort\n", encoding="utf-8")
    refused(run(*add, "--role", "admin", "--password-file", short), "at least 10")
    refused(
        run("user", "add", "geen-adres", "--name", "X", "--role", "viewer",
            "--password-file", password_file),
        "invalid e-mail",
    )  # fmt: skip
    assert run("user", "list", "--format", "json").json() == []
    assert run(*add, "--role", "admin", "--password-file", password_file).code == 0
    refused(run(*add, "--role", "viewer", "--password-file", password_file), "exists")
    refused(run("user", "disable", "x@libmutov.be"), "no account")
    refused(run("user", "passwd", "x@libmutov.be", "--password-file", password_file),
            "no account")  # fmt: skip


def test_user_password_is_asked_twice(
    run: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The terminal is the one thing replaced here: getpass reads /dev/tty.
    answers = iter(["a long enough secret", "a long enough secret"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    result = run("user", "add", "els@libmutov.be", "--name", "Els", "--role", "admin")
    assert result.code == 0, result.err
    answers = iter(["a long enough secret", "a different secret!"])
    refused(run("user", "passwd", "els@libmutov.be"), "differ")


def test_user_bad_input_is_refused_before_the_password_is_asked(
    run: Cli, password_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_prompt(prompt: str = "") -> str:
        raise AssertionError(f"asked {prompt!r}")

    monkeypatch.setattr("getpass.getpass", no_prompt)
    add = ("user", "add", "els@libmutov.be", "--name", "Els", "--role", "admin")
    refused(run("user", "add", "geen-adres", "--name", "X", "--role", "viewer"),
            "invalid e-mail")  # fmt: skip
    refused(run("user", "passwd", "x@libmutov.be"), "no account")
    assert run(*add, "--password-file", password_file).code == 0
    refused(run(*add), "exists already")


def test_no_terminal_to_ask_the_password_on_is_one_line(
    run: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # getpass without a terminal: it warns, then would read stdin.
    monkeypatch.setattr("getpass.getpass", getpass.fallback_getpass)
    add = ("user", "add", "els@libmutov.be", "--name", "Els", "--role", "admin")
    refused(run(*add), "use --password-file")
    assert run("user", "list", "--format", "json").json() == []


def test_no_lifecycle_step_applies_to_a_reclassified_case(
    run: Cli, tmp_path: Path
) -> None:
    number = register(run, "--email", "an@example.be")
    assert run("case", "reclassify", number, "--as", "question").code == 0
    before = show(run, number)
    text = tmp_path / "antwoord.txt"
    text.write_text("Antwoord.\n", encoding="utf-8")
    for args in (
        ("assign", number, "--to", "els@libmutov.be"),
        ("answer", number, "--outcome", "founded", "--message-file", text),
        ("close", number),
        ("refer", number, "--ombudsdienst"),
        ("edit", number, "--cause", "andere"),
        ("write", number, "--template", "delay"),
    ):
        refused(run("case", *args), "reclassified" if args[0] in ("edit", "write")
                else "not a complaint (question)")  # fmt: skip
    assert show(run, number) == before
    assert run("case", "note", number, "Vraag doorgestuurd.").code == 0


def test_case_show_text_names_the_analysis_and_the_reclassification(run: Cli) -> None:
    number, other = register(run), register(run)
    run("case", "edit", number, "--cause", "regelgeving", "--measure", "Folder")
    run("case", "reclassify", other, "--as", "duplicate", "--of", number)
    page = run("case", "show", number).out
    assert "cause:        regelgeving" in page and "measure:      Folder" in page
    assert f"not a complaint: duplicate of {number}" in run("case", "show", other).out
