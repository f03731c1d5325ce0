"""No personal data in the logs: the pipeline runs on complaints full of it.

The complaints carry national register numbers (formatted and not), street
addresses, phone numbers, names, e-mail addresses and health matters in the
headers, the body, an HTML part, a filled PDF form, a web-form mail and a
broken attachment name. Intake runs at DEBUG level, once from the real
Dovecot through `run_once` (acknowledgements delivered to a real SMTP server)
and once through `klachten import`. What is checked: the JSON log lines, the
raw standard-library log records (nothing may even be handed to logging in
clear, since names and illnesses cannot be masked by pattern), and whatever
reached the process's stdout and stderr file descriptors.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from service.log_setup import configure_logging
from tests.formfill import asset, dotted, fill_pdf, insz

INSZ = insz("850730033")  # unformatted: 85073003328-like, 11 digits
INSZ_DOTTED = dotted(INSZ)
INSZ_2 = insz("920214123")
SECRETS = (
    INSZ,
    INSZ_DOTTED,
    INSZ_2,
    dotted(INSZ_2),
    "Kerkstraat 12",
    "Kerkstraat",
    "rue de la Loi 16",
    "rue de la Loi",
    "+32 470 12 34 56",
    "470 12 34 56",
    "02/123.45.67",
    "0470123456",
    "Peeters",
    "Dubois",
    "Verhaegen",
    "jan.peeters@example.be",
    "marie.dubois@example.org",
    "an.verhaegen@example.com",
    "diabetes",
    "kanker",
    "chemotherapie",
)


def _mail(sender: str, subject: str, message_id: str, **more: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "klachten@libmutov.be"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    for name, value in more.items():
        msg[name.replace("_", "-")] = value
    return msg


def _complaint_plain() -> bytes:
    msg = _mail(
        "Jan Peeters <jan.peeters@example.be>",
        f"Klacht diabetes en kanker - {INSZ_DOTTED} Kerkstraat 12",
        "<pii-1.jan.peeters@example.be>",
        Reply_To="Marie Dubois <marie.dubois@example.org>",
    )
    msg.set_content(
        "Beste,\n\nIk ben Jan Peeters, rijksregisternummer "
        f"{INSZ_DOTTED} ({INSZ}), Kerkstraat 12, 9000 Gent.\n"
        "Mijn behandeling voor diabetes en kanker (chemotherapie) werd niet "
        "terugbetaald. Bel mij op +32 470 12 34 56 of 02/123.45.67, of mail "
        "marie.dubois@example.org.\n\nJan Peeters\n"
    )
    return msg.as_bytes()


def _complaint_html_and_form() -> bytes:
    msg = _mail(
        '"Dubois, Marie" <marie.dubois@example.org>',
        "Plainte: diabetes, rue de la Loi 16, 0470123456",
        "<pii-2@example.org>",
    )
    msg.set_content(f"Madame Dubois, rue de la Loi 16, 1000 Bruxelles, {INSZ_2}.")
    msg.add_alternative(
        f"<p>Marie Dubois<br>rue de la Loi 16<br>{dotted(INSZ_2)}<br>"
        "kanker, diabetes<br>+32 470 12 34 56</p>",
        subtype="html",
    )
    form = fill_pdf(
        asset("klachtenformulier-nl.pdf"),
        {
            "name": "An Verhaegen",
            "insz": INSZ_DOTTED,
            "street": "Kerkstraat 12 bus 3",
            "postcode": "9000",
            "city": "Gent",
            "phone": "0470 12 34 56",
            "email": "an.verhaegen@example.com",
            "description": "Chemotherapie voor kanker niet terugbetaald.",
        },
    )
    msg.add_attachment(
        form, maintype="application", subtype="pdf", filename="klacht Peeters.pdf"
    )
    return msg.as_bytes()


def _webform() -> bytes:
    msg = _mail(
        "no-reply@libmutov.be", "Contactformulier: nieuwe klacht", "<pii-3@libmutov.be>"
    )
    msg.set_content(
        "Naam: An Verhaegen\n"
        f"Rijksregisternummer: {INSZ}\n"
        "Adres: Kerkstraat 12\nPostcode: 9000\nGemeente: Gent\n"
        "Telefoon: 02/123.45.67\n"
        "E-mail: an.verhaegen@example.com\n"
        "Omschrijving: diabetes-materiaal niet terugbetaald\n"
    )
    return msg.as_bytes()


def _broken_attachment_name() -> bytes:
    # An undecodable encoded word makes mail-parser log the raw file name.
    return (
        b"From: Jan Peeters <jan.peeters@example.be>\r\n"
        b"To: klachten@libmutov.be\r\n"
        b"Subject: =?utf-8?b?a?= kanker Peeters\r\n"
        b"Message-ID: <pii-4@example.be>\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nZie bijlage, Kerkstraat 12.\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="=?utf-8?b?a?= kanker '
        b'Jan Peeters 85073003328.pdf"\r\n\r\n%PDF-1.4 broken\r\n--b--\r\n'
    )


def _bounce_and_follow_up() -> list[bytes]:
    bounce = _mail(
        "MAILER-DAEMON@mx.example.be",
        "Undelivered Mail Returned to Sender",
        "<pii-5@mx.example.be>",
    )
    bounce.set_content(
        "<jan.peeters@example.be>: mailbox full (Jan Peeters, Kerkstraat 12)"
    )
    reply = _mail(
        "Jan Peeters <jan.peeters@example.be>",
        "Re: kanker",
        "<pii-6.jan.peeters@example.be>",
        In_Reply_To="<pii-1.jan.peeters@example.be>",
    )
    reply.set_content(f"Nog dit: mijn gsm is 0470123456, INSZ {INSZ}.")
    return [bounce.as_bytes(), reply.as_bytes()]


def complaints() -> list[bytes]:
    """Every message of the test, in arrival order."""
    return [
        _complaint_plain(),
        _complaint_html_and_form(),
        _webform(),
        _broken_attachment_name(),
        *_bounce_and_follow_up(),
    ]


# aiosmtpd's logger: the test's own SMTP server, which logs whole mails at
# DEBUG. It stands in for the fund's mail relay and is not part of klachten.
TEST_SERVER_LOGGERS = ("mail.log",)


def ours(output: str) -> str:
    """The log lines of ``output`` that klachten (and its libraries) wrote."""
    kept = []
    for line in output.splitlines():
        try:
            logger = json.loads(line).get("logger", "")
        except ValueError:
            logger = ""  # not JSON: keep it, it is checked too
        if logger not in TEST_SERVER_LOGGERS:
            kept.append(line)
    return "\n".join(kept)


def leaks(text: str) -> list[str]:
    """The personal values found in ``text`` (case-insensitive)."""
    folded = text.lower()
    return [value for value in SECRETS if value.lower() in folded]


def raw_record_leaks(records: list[logging.LogRecord]) -> list[tuple[str, str]]:
    found = []
    for record in records:
        if record.name in TEST_SERVER_LOGGERS:
            continue
        for value in leaks(str(record.msg) + " " + str(record.args)):
            found.append((record.name, value))
    return found


@pytest.fixture
def captured_logs(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """JSON log lines at DEBUG in a buffer; caplog keeps the raw records."""
    stream = io.StringIO()
    configure_logging(level="DEBUG", json=True, stream=stream)
    caplog.set_level(logging.DEBUG)
    yield stream
    # Leave logging as another test would find it: our handler removed.
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "klachten"]:
        root.removeHandler(handler)


def test_no_personal_data_in_logs_of_imap_intake(
    imap,
    smtp_server,
    sqlite_url: str,
    make_config,
    app_for,
    captured_logs: io.StringIO,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from service.runner import run_once

    imap.append_many(complaints())
    config = make_config(
        sqlite_url,
        imap={
            "host": imap.host,
            "port": imap.port,
            "username": imap.username,
            "password": imap.password,
            "security": "none",
            "idle": False,
        },
        smtp={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
        service={"log_level": "DEBUG"},
    )
    app = app_for(config)
    summary = run_once(app)

    assert summary.ok, summary.line()
    assert summary.intake.handled == len(complaints())
    assert summary.intake.classes["complaint"] >= 3, summary.line()
    smtp_server.wait_for(1)  # an acknowledgement went out, so delivery logged
    output = ours(captured_logs.getvalue())
    assert "intake.case_opened" in output  # the pipeline did log
    assert "outbox.sent" in output
    assert leaks(output) == [], output
    assert raw_record_leaks(caplog.records) == []
    out, err = capfd.readouterr()
    assert leaks(out + err) == []


def test_no_personal_data_in_logs_of_import(
    tmp_path: Path,
    sqlite_url: str,
    make_config,
    cli,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    for number, raw in enumerate(complaints()):
        (folder / f"{number:02d}.eml").write_bytes(raw)
    config = make_config(sqlite_url, service={"log_level": "DEBUG"})
    caplog.set_level(logging.DEBUG)

    result = cli("--config", config, "import", "--no-progress", folder)

    assert result.code == 0, result.err
    assert "intake.case_opened" in result.err  # the log lines are on stderr
    assert leaks(result.err) == [], result.err
    assert leaks(result.out) == [], result.out
    assert raw_record_leaks(caplog.records) == []
    out, err = capfd.readouterr()
    assert leaks(out + err) == []
