"""`member export`, `member erase` and `purge` through the command line:
the zip and its index, 0600, audit events with the actor, and refusals
(exit 2, one line, nothing changed or written)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from store.db import transaction
from store.inbound import register_inbound
from store.lifecycle import close
from store.models import Event, Message
from store.registration_input import CaseRules, InboundRecord
from tests.casefactory import mail_case
from tests.test_lifecycle import kinds, refused, show

Cli = Callable[..., Any]
HOSTILE = '<script>alert(1)</script> & "quotes"'


@pytest.fixture
def run(cli: Cli, db_url: str, make_config: Callable[..., Path]) -> Cli:
    config = make_config(db_url)
    return lambda *args: cli("--config", config, "--actor", "els", *args)


@pytest.fixture
def anna(sessions) -> tuple[str, str]:
    first = mail_case(
        sessions, 1, email="Anna@Example.be", subject=HOSTILE, name=HOSTILE,
        insz="85.07.30-033.28", attachment=b"%PDF-1.4 formulier",
        fields=(("name", "Anna Peeters"),),
    )  # fmt: skip
    second = mail_case(sessions, 2, email="anna@example.be", body="Nog niets.")
    mail_case(sessions, 3, email="bert@example.be", name="Bert Claes")
    return first, second


def test_export_holds_everything_with_an_index(run: Cli, anna, tmp_path) -> None:
    first, second = anna
    target = tmp_path / "anna.zip"
    result = run("member", "export", "--email", "ANNA@example.be", "--output", target)
    assert result.code == 0, result.err
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        index = json.loads(archive.read("index.json"))
        page = archive.read("index.html").decode()
        assert [c["number"] for c in index["cases"]] == [first, second]
        case = index["cases"][0]
        assert case["member"]["insz"] == "85.07.30-033.28"
        assert [f["value"] for f in case["form_fields"]] == ["Anna Peeters"]
        eml = archive.read(case["messages"][0]["file"])
        assert eml.startswith(b"From: Anna@Example.be\r\n")
        assert archive.read(case["attachments"][0]["file"]) == b"%PDF-1.4 formulier"
        assert "bert" not in json.dumps(index).lower()
    assert len([n for n in names if n.endswith(".eml")]) == 2
    assert "<script>" not in page and "&lt;script&gt;alert(1)" in page
    assert kinds(show(run, first))[-1] == "exported"
    assert show(run, first)["events"][-1]["actor"] == "els"


def test_export_by_national_number(run: Cli, anna, tmp_path) -> None:
    target = tmp_path / "a.zip"
    result = run("member", "export", "--insz", "85073003328", "--output", target)
    assert result.code == 0, result.err
    with zipfile.ZipFile(target) as archive:
        index = json.loads(archive.read("index.json"))
    assert [c["number"] for c in index["cases"]] == [anna[0]]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--email", "nobody@example.be"), "no case or message"),
        (("--insz", "85.07.30"), "11 digits"),
        (("--email", "a@b.be", "--insz", "85073003328"), "not allowed with"),
    ],
)
def test_export_refusals_write_nothing(run, anna, tmp_path, args, fragment) -> None:
    target = tmp_path / "x.zip"
    refused(run("member", "export", *args, "--output", target), fragment)
    assert not target.exists()
    assert "exported" not in kinds(show(run, anna[0]))


def test_export_into_a_missing_directory(run: Cli, anna, tmp_path) -> None:
    target = tmp_path / "missing" / "x.zip"
    refused(
        run("member", "export", "--email", "anna@example.be", "--output", target),
        "directory does not exist",
    )
    assert "exported" not in kinds(show(run, anna[0]))


def test_erase_refuses_open_cases_then_erases_with_force(run: Cli, anna) -> None:
    first, second = anna
    before = show(run, first)
    refused(
        run("member", "erase", "--email", "anna@example.be", "--reason", "verzoek"),
        "open cases",
    )
    assert show(run, first) == before
    result = run(
        "member", "erase", "--email", "anna@example.be", "--reason", "verzoek 7",
        "--force",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.startswith(f"erased: {first}, {second}; 2 messages")
    case = show(run, first)
    assert case["member"]["email"] is None and case["subject"] is None
    assert case["messages"][0]["text"] is None and case["attachments"] == []
    assert "erased" in case["flags"]
    last = case["events"][-1]
    assert (last["kind"], last["actor"], last["details"]["reason"]) == (
        "erased",
        "els",
        "verzoek 7",
    )
    # Nothing about her is left to export, or to erase again.
    refused(
        run("member", "erase", "--email", "anna@example.be", "--reason", "x"),
        "no case or message",
    )


def test_purge_dry_run_then_purge(run: Cli, sessions) -> None:
    now = datetime.now(UTC)
    old = mail_case(sessions, 1, email="o@example.be", received=now - timedelta(3000))
    with transaction(sessions) as session:
        close(session, old, "els", now=now - timedelta(days=2500))
    spam = mail_case(sessions, 2, email="s@example.be", received=now - timedelta(3000))
    assert run("case", "reclassify", spam, "--as", "spam").code == 0
    with transaction(sessions) as session:
        # Reclassified long ago: the audit event dates it.
        session.execute(
            update(Event)
            .where(Event.kind == "reclassified")
            .values(at=now - timedelta(days=2900))
        )
    loose = _quarantined(sessions, now - timedelta(days=2800))
    dry = run("purge", "--dry-run")
    assert dry.code == 0, dry.err
    first, *listed = dry.out.splitlines()
    assert first.startswith("would purge 2 cases closed or reclassified before")
    assert first.endswith(" and 1 messages of no case received before it")
    day = (now - timedelta(days=2800)).date().isoformat()
    assert listed == [old, spam, f"message {loose}: quarantined, received {day}"]
    assert show(run, old)["member"]["email"] == "o@example.be"
    done = run("purge")
    assert done.code == 0, done.err
    assert done.out.splitlines()[1:] == listed
    assert show(run, old)["member"]["email"] is None
    assert show(run, spam)["member"]["email"] is None
    assert run("purge").out.startswith("purged 0 cases")


def _quarantined(sessions, received: datetime) -> int:
    """A mail of no case (quarantine), its message id."""
    raw = b"From: q@example.be\r\nSubject: ?\r\n\r\n\xff\r\n"
    record = InboundRecord(
        raw=raw, sha256=hashlib.sha256(raw).hexdigest(), source="import",
        received_at=received, klass="quarantined", reason="unreadable",
        sender="q@example.be",
    )  # fmt: skip
    with transaction(sessions) as session:
        register_inbound(session, CaseRules(), record)
        return session.scalars(select(func.max(Message.id))).one()


def test_erase_with_an_empty_reason_changes_nothing(run: Cli, anna) -> None:
    before = show(run, anna[0])
    refused(
        run("member", "erase", "--insz", "85073003328", "--reason", "  "),
        "--reason must not be empty",
    )
    assert show(run, anna[0]) == before


def test_a_bad_retention_period_is_refused(cli, db_url, make_config) -> None:
    config = make_config(db_url, privacy={"retention_years": 0})
    refused(cli("--config", config, "purge"), "[privacy] retention_years")


def test_reconcile_without_a_mail_server_is_one_line_exit_1(run: Cli) -> None:
    result = run("reconcile", "--dry-run")
    assert result.code == 1
    lines = [ln for ln in result.err.splitlines() if ln.startswith("klachten:")]
    assert len(lines) == 1 and "mail source unavailable" in lines[0], result.err


def _loose_auto_reply(sessions) -> None:
    import hashlib

    from store.inbound import register_inbound
    from store.registration_input import CaseRules, InboundRecord

    raw = b"From: anna@example.be\r\nSubject: Afwezig\r\n\r\nIk ben afwezig.\r\n"
    record = InboundRecord(
        raw=raw, sha256=hashlib.sha256(raw).hexdigest(), source="import",
        received_at=datetime.now(UTC), klass="auto_reply", reason="auto-submitted",
        message_id="afwezig-1@example.be", sender="anna@example.be",
        subject="Afwezig", body_text="Ik ben afwezig.",
    )  # fmt: skip
    with transaction(sessions) as session:
        register_inbound(session, CaseRules(), record)


def test_mail_of_no_case_is_exported_and_erased(
    run: Cli, anna, sessions, tmp_path
) -> None:
    _loose_auto_reply(sessions)
    target = tmp_path / "a.zip"
    result = run("member", "export", "--email", "anna@example.be", "--output", target)
    assert result.code == 0, result.err
    with zipfile.ZipFile(target) as archive:
        index = json.loads(archive.read("index.json"))
        (loose,) = index["messages"]
        assert archive.read(loose["file"]).endswith(b"Ik ben afwezig.\r\n")
    assert loose["class"] == "auto_reply" and loose["case"] is None
    result = run(
        "member", "erase", "--email", "anna@example.be", "--reason", "x", "--force"
    )
    assert result.code == 0, result.err
    assert "3 messages" in result.out
    listed = run("messages", "list", "--class", "auto_reply", "--format", "json")
    assert [(m["sender"], m["subject"]) for m in listed.json()] == [(None, None)]
