"""A delivery report of our acknowledgement joins its case: flagged, listed in
the next reminder, and no longer counted as an acknowledgement that reached
the member. Real DSN and free-form (Exim) report shapes; the acknowledgement
really goes through the SMTP test server; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ingest.bounce_report import read_bounce
from responder.reminder_job import run_due
from store.models import OutboxMail

MEMBER = "an.peeters@example.be"


def dsn(failed: str, message_id: str | None, when: datetime) -> bytes:
    """A Postfix-style delivery status notification (RFC 3464)."""
    headers = f"Message-ID: <{message_id}>\n" if message_id else ""
    return f"""\
From: MAILER-DAEMON@mx.libmutov.be (Mail Delivery System)
To: klachten@libmutov.be
Subject: Undelivered Mail Returned to Sender
Date: {format_datetime(when)}
Message-Id: <20261207.dsn.{abs(hash(failed))}@mx.libmutov.be>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="B0UND"

--B0UND
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.libmutov.be.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{failed}>: host mx.example.be[192.0.2.25] said: 550 5.1.1
    <{failed}>: Recipient address rejected: User unknown

--B0UND
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.libmutov.be
Arrival-Date: {format_datetime(when)}

Final-Recipient: rfc822; {failed}
Original-Recipient: rfc822;{failed}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.be
Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected:
    User unknown

--B0UND
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: LM Klachtendienst <klachten@libmutov.be>
To: {failed}
Subject: Ontvangstmelding van uw klacht
{headers}
--B0UND--
""".replace("\n", "\r\n").encode()


def exim_bounce(failed: str, when: datetime) -> bytes:
    """A free-form report without delivery-status part, quoting no
    Message-ID of ours: only the failed address names the mail."""
    return f"""\
Date: {format_datetime(when)}
Message-Id: <E1P1ceB-000FL1-4q@mail.example.be>
X-Failed-Recipients: {failed}
Auto-Submitted: auto-replied
From: Mail Delivery System <Mailer-Daemon@mail.example.be>
To: klachten@libmutov.be
Subject: Mail delivery failed: returning message to sender

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {failed}
    SMTP error from remote mail server after RCPT TO:<{failed}>:
    host mx.example.be [192.0.2.20]: 550 5.1.1 User unknown

------ This is a copy of the message, including all the headers. ------

From: klachten@libmutov.be
Subject: Ontvangstmelding

Beste,
""".replace("\n", "\r\n").encode()


def test_the_bounce_reader_finds_the_address_and_our_message_id() -> None:
    now = datetime(2026, 12, 7, 9, tzinfo=UTC)
    facts = read_bounce(dsn(MEMBER, "abc123@libmutov.be", now))
    assert facts.failed == (MEMBER,)
    assert facts.message_ids == ("abc123@libmutov.be",)
    facts = read_bounce(exim_bounce("Jan@Example.be", now))
    assert facts.failed == ("jan@example.be",)
    assert facts.message_ids == ()
    assert read_bounce(b"Subject: hello\r\n\r\nno report here\r\n").failed == ()


def complaint(tmp_path: Path, name: str) -> Path:
    mail = EmailMessage()
    mail["From"] = f"An Peeters <{MEMBER}>"
    mail["To"] = "klachten@libmutov.be"
    mail["Subject"] = "Terugbetaling kinesitherapie"
    mail["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
    mail["Message-ID"] = f"<{name}@example.be>"
    mail.set_content("Mijn kinesitherapie werd nog altijd niet terugbetaald.")
    path = tmp_path / f"{name}.eml"
    path.write_bytes(mail.as_bytes())
    return path


@pytest.mark.parametrize("shape", ["dsn", "exim"])
def test_a_bounced_acknowledgement_flags_its_case_and_reaches_the_reminder(
    shape: str,
    db_url: str,
    make_config: Callable[..., Path],
    app_for: Callable[[Path], Any],
    cli: Callable[..., Any],
    smtp_server: Any,
    tmp_path: Path,
) -> None:
    config = make_config(
        db_url,
        smtp={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
    )
    run = lambda *args: cli("--config", config, *args)  # noqa: E731
    assert run("import", complaint(tmp_path, "c1"), "--no-progress").code == 0
    (case,) = run("cases", "list", "--format", "json").json()
    app = app_for(config)
    app.delivery.deliver_pending()
    (ack,) = smtp_server.wait_for(1)
    assert ack.rcpt_tos == (MEMBER,)
    with app.transaction() as session:
        ack_id = session.scalars(
            select(OutboxMail.message_id).where(OutboxMail.kind == "acknowledgement")
        ).one()
    assert f"<{ack_id}>" == ack.message["Message-ID"]
    before = run("report", "--year", str(datetime.now(UTC).year), "--format", "json")
    assert before.json()["acknowledgement"]["count"] == 1

    when = datetime.now(UTC) + timedelta(seconds=1)
    raw = dsn(MEMBER, ack_id, when) if shape == "dsn" else exim_bounce(MEMBER, when)
    bounce = tmp_path / "bounce.eml"
    bounce.write_bytes(raw)
    assert run("import", bounce, "--no-progress").code == 0

    shown = run("case", "show", case["number"], "--format", "json").json()
    assert "ack_bounced" in shown["flags"]
    assert [e for e in shown["events"] if e["kind"] == "bounced"]
    messages = run("messages", "list", "--format", "json").json()
    (stored,) = [m for m in messages if m["class"] == "bounce"]
    assert stored["case"] == case["number"]

    report = run("report", "--year", str(datetime.now(UTC).year), "--format", "json")
    figures = report.json()
    assert figures["acknowledgement"]["count"] == 0
    reasons = figures["acknowledgements_not_sent"]["by_reason"]
    assert reasons == {"ack_bounced": 1}

    # The next reminder run lists the case once, as not delivered.
    first = run_due(app, datetime.now(UTC))
    lines = [
        (m.recipient, c["kind"], c["number"]) for m in first.mails for c in m.cases
    ]
    assert ("klachtencoordinator@libmutov.be", "bounced", case["number"]) in lines
    app.delivery.deliver_pending()
    reminder = smtp_server.wait_for(2)[-1].message
    assert "1 niet afgeleverd" in reminder["Subject"]
    text = reminder.get_body(("plain",)).get_content()
    assert "Onze e-mail aan het lid kwam niet aan" in text
    assert "Teruggekomen: ontvangstmelding" in text
    again = run_due(app, datetime.now(UTC) + timedelta(hours=1))
    assert all(c["kind"] != "bounced" for m in again.mails for c in m.cases)


def test_a_bounce_of_someone_elses_mail_joins_nothing(
    sqlite_url: str,
    make_config: Callable[..., Path],
    cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    config = make_config(sqlite_url)
    bounce = tmp_path / "bounce.eml"
    bounce.write_bytes(dsn("x@example.org", "not-ours@example.org", datetime.now(UTC)))
    assert cli("--config", config, "import", bounce, "--no-progress").code == 0
    (stored,) = cli("--config", config, "messages", "list", "--format", "json").json()
    assert stored["class"] == "bounce"
    assert cli("--config", config, "cases", "list", "--format", "json").json() == []
