"""Template injection: member values with Jinja2 or HTML syntax stay literal.

A member's name and subject are rendered, never evaluated: ``{{ 7*7 }}``
stays ``{{ 7*7 }}`` (not 49), ``{% for %}`` does not loop or fail, and
``<script>`` is literal in the text part, escaped in the HTML part and folded
into one line in a subject. Checked on the renderer directly, on the mail
actually delivered after `klachten import` (real SMTP server), and on the
yearly report with its case list.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jinja2
import pytest

from responder.render import build_environment, render_mail

NAME = "{{ 7*7 }} {% for x in range(3) %}X{% endfor %} <script>alert(1)</script>"
SUBJECT = "{{ config }} {%- raw %}&amp; <b onmouseover=alert(2)>vet</b> ${7*7} #{7*7}"
RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def context(name: str = NAME, subject: str = SUBJECT) -> dict[str, Any]:
    case = {
        "number": "KL-2026-00042",
        "received_at": RECEIVED,
        "ack_due": RECEIVED + timedelta(days=10),
        "answer_due": RECEIVED + timedelta(days=45),
        "subject": subject,
        "channel": "email",
        "language": "nl",
        "member": {
            "name": name,
            "email": "anna@example.be",
            "street": "<i>Kerkstraat</i> 1",
            "postcode": "9000",
            "city": "{{ city }}",
        },
    }
    org = {
        "name": "LM",
        "from_name": "LM Klachtendienst",
        "from_address": "klachten@libmutov.be",
        "phone": None,
    }
    return {"case": case, "org": org}


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return build_environment()


def assert_literal_text(text: str) -> None:
    assert NAME in text
    assert SUBJECT in text
    assert "XXX" not in text  # the loop did not run


def assert_escaped_html(body: str) -> None:
    assert html.escape(NAME, quote=False) in body or html.escape(NAME) in body
    assert "<script>" not in body
    assert "<b onmouseover" not in body
    assert "XXX" not in body


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_acknowledgement_renders_member_values_literally(
    env: jinja2.Environment, language: str
) -> None:
    mail = render_mail(env, "member", "acknowledgement", language, context())
    assert_literal_text(mail.text)
    assert mail.html is not None
    assert_escaped_html(mail.html)
    assert "\n" not in mail.subject and "\r" not in mail.subject


def test_subject_with_line_breaks_stays_one_line(env: jinja2.Environment) -> None:
    evil = "Klacht\r\nBcc: victim@example.org\r\n\r\n<script>"
    mail = render_mail(env, "member", "acknowledgement", "nl", context(subject=evil))
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert "Bcc: victim@example.org" in mail.text  # in the body, as text


def test_rendering_would_show_an_evaluated_value(env: jinja2.Environment) -> None:
    """The checks can fail: a template that evaluates its input is caught."""
    evaluated = env.from_string(NAME).render()
    assert "49" in evaluated and "XXX" in evaluated
    with pytest.raises(AssertionError):
        assert_literal_text(evaluated + SUBJECT)


def complaint(name: str, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f'"{name}" <anna.peeters@example.be>'
    msg["To"] = "klachten@libmutov.be"
    msg["Subject"] = subject
    msg["Message-ID"] = "<inject@example.be>"
    msg["Date"] = "Mon, 2 Mar 2026 10:00:00 +0100"
    # A verified sender: only then does the acknowledgement quote name and
    # subject (to any other address it says nothing the sender wrote).
    msg["Authentication-Results"] = "libmutov.be; dmarc=pass header.from=example.be"
    msg.set_content("Mijn terugbetaling is te laat.")
    return msg.as_bytes()


def test_delivered_acknowledgement_keeps_member_values_literal(
    tmp_path: Path, sqlite_url: str, make_config, cli, app_for, smtp_server
) -> None:

    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "inject.eml").write_bytes(complaint(NAME, SUBJECT))
    config = make_config(
        sqlite_url,
        smtp={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
    )
    # The mail is older than ack_days: imported, it is acknowledged only when asked.
    result = cli("--config", config, "import", "--no-progress", "--acknowledge", inbox)
    assert result.code == 0, result.err
    app_for(config).delivery.deliver_pending()

    (received,) = smtp_server.wait_for(1)
    message = received.message
    assert "\n" not in str(message["Subject"])
    text = message.get_body(("plain",)).get_content()
    assert_literal_text(text)
    body = message.get_body(("html",))
    assert body is not None
    assert_escaped_html(body.get_content())


def test_yearly_report_keeps_member_values_literal(
    tmp_path: Path, sqlite_url: str, make_config, cli
) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "inject.eml").write_bytes(complaint(NAME, SUBJECT))
    config = make_config(sqlite_url)
    assert cli("--config", config, "import", "--no-progress", inbox).code == 0
    output = tmp_path / "report.html"
    result = cli(
        "--config", config, "report", "--year", "2026", "--with-cases",
        "--format", "html", "--output", output, "--no-progress",
    )  # fmt: skip
    assert result.code == 0, result.err
    page = output.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    assert "{{ 7*7 }}" in page  # the name in the case list, not evaluated
    assert "XXX" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
