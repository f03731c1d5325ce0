"""Writing to the member from a template: the rendered texts in each language,
and `case write` end to end through the outbox to a real SMTP server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from responder.render import build_environment, render_mail
from tests.test_lifecycle import refused, register, show
from tests.test_templates import member_context

Cli = Callable[..., Any]

SUBJECTS = {
    ("request_info", "nl"): "Vraag om informatie over uw klacht",
    ("request_info", "fr"): "Demande d'informations sur votre plainte",
    ("request_info", "de"): "Bitte um Informationen zu Ihrer Beschwerde",
    ("request_info", "en"): "Request for information about your complaint",
    ("request_confirmation", "nl"): "Graag uw schriftelijke bevestiging van uw klacht",
    ("request_confirmation", "fr"): "Merci de confirmer votre plainte par écrit",
    ("request_confirmation", "de"): "Bitte bestätigen Sie Ihre Beschwerde schriftlich",
    ("request_confirmation", "en"): "Please confirm your complaint in writing",
    ("delay", "nl"): "De behandeling van uw klacht duurt langer",
    ("delay", "fr"): "Le traitement de votre plainte prend plus de temps",
    ("delay", "de"): "Die Bearbeitung Ihrer Beschwerde dauert länger",
    ("delay", "en"): "Handling your complaint takes longer",
}


@pytest.mark.parametrize(("kind", "lang"), sorted(SUBJECTS))
def test_member_templates_in_each_language(kind: str, lang: str) -> None:
    context = {**member_context(), "message_text": "{{ 7*7 }} Uw lidnummer?"}
    mail = render_mail(build_environment(), "member", kind, lang, context)
    assert mail.subject == f"{SUBJECTS[kind, lang]} [KL-2026-00042]"
    assert "KL-2026-00042" in mail.text
    assert "{{ 7*7 }} Uw lidnummer?" in mail.text  # shown literally, never run
    assert "Anna Peeters" in mail.text
    if kind == "delay":  # the promised date the delay moves
        assert "2027" in mail.text


def test_confirmation_and_delay_read_well_without_a_text() -> None:
    for kind in ("request_confirmation", "delay"):
        context = {**member_context(), "message_text": ""}
        mail = render_mail(build_environment(), "member", kind, "nl", context)
        assert "\n\n\n" not in mail.text


@pytest.fixture
def run(cli: Cli, db_url: str, make_config: Callable[..., Path], smtp_server) -> Cli:
    config = make_config(
        db_url,
        smtp={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
    )
    return lambda *args: cli("--config", config, "--actor", "els", *args)


def test_case_write_reaches_the_member_in_their_language(
    run: Cli, smtp_server, tmp_path: Path
) -> None:
    number = register(run, "--email", "marie@example.be", "--language", "fr")
    smtp_server.wait_for(1)  # the acknowledgement
    question = tmp_path / "question.txt"
    question.write_text("Quel est votre numéro de membre ?\n", encoding="utf-8")
    result = run(
        "case", "write", number, "--template", "request-info",
        "--message-file", question,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == (
        f"{number}: request-info queued for marie@example.be"
    )
    received = smtp_server.wait_for(2)[1]
    assert received.rcpt_tos == ("marie@example.be",)
    mail = received.message
    assert mail["Subject"] == f"Demande d'informations sur votre plainte [{number}]"
    body = mail.get_body(("plain",)).get_content()
    assert "Quel est votre numéro de membre ?" in body
    # A coordinator's mail, not an automatic one (issue 17).
    assert mail["Auto-Submitted"] is None
    assert mail["X-Auto-Response-Suppress"] is None
    events = show(run, number)["events"]
    assert [e["kind"] for e in events][-2:] == ["member_written", "member_mail_sent"]
    assert (events[-2]["actor"], events[-2]["details"]["template"]) == (
        "els",
        "request-info",
    )


def test_case_write_bad_input(run: Cli, smtp_server, tmp_path: Path) -> None:
    postal = register(run)
    refused(run("case", "write", postal, "--template", "delay"), "no e-mail address")
    number = register(run, "--email", "jan@example.be")
    refused(run("case", "write", number, "--template", "request-info"), "needs")
    refused(run("case", "write", number, "--template", "hello"), "invalid choice")
    refused(
        run("case", "write", number, "--template", "delay",
            "--message-file", tmp_path / "absent.txt"),
        "cannot read",
    )  # fmt: skip
    assert run("case", "close", number).code == 0
    refused(run("case", "write", number, "--template", "delay"), "closed")
    smtp_server.wait_for(1)
    assert [e["kind"] for e in show(run, number)["events"]].count("member_written") == 0
    assert len(smtp_server.received) == 1  # the acknowledgement only
