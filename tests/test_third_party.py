"""Nobody can use the fund to mail strangers (issue 14, items 3 and 10).

Real Dovecot, real SMTP (aiosmtpd), `run --once`, both databases. An
acknowledgement to an address that is not a DMARC verified From (a Reply-To,
an address typed in a form, a web-form notification) repeats nothing the
sender wrote; the per-address limit counts the mailbox; a global hourly limit
holds mail in the outbox; failures reach the coordinators in one notice.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from store.models import OutboxMail, utcnow
from tests.intake_mail import imap_sections

PILLS = "BUY PILLS NOW at http://pills.example "
EVIL_NAME = "Cheap Pills Shop"
TARGET = "target@victim.example"
# The domain of smtp.from_address is the trusted authserv-id by default.
DMARC_PASS = "Authentication-Results: libmutov.be; dmarc=pass header.from=example.be"


def mail(
    sender: str,
    *,
    subject: str = PILLS,
    body: str = "Ik heb een klacht.",
    headers: tuple[str, ...] = (),
    n: int = 0,
) -> bytes:
    head = [
        f"From: {sender}",
        "To: klachten@libmutov.be",
        f"Subject: {subject}",
        f"Date: {format_datetime(utcnow())}",
        f"Message-ID: <third-party-{n}-{len(subject)}@example.be>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        *headers,
    ]
    return ("\r\n".join([*head, "", body, ""])).encode()


def webform(email: str, name: str = EVIL_NAME) -> str:
    return (
        "Er werd een nieuw bericht verstuurd via het contactformulier.\n\n"
        f"Naam: {name}\nE-mailadres: {email}\nPostcode: 9000\nGemeente: Gent\n"
        f"Onderwerp: {PILLS}\nBericht: {PILLS * 20}\n"
    )


@pytest.fixture
def pipeline(imap, smtp_server, db_url, make_config, cli, app_for) -> Any:
    """Append raw mails, run `run --once`, read what the SMTP server got."""

    class Pipeline:
        def config(self, **responder: Any):
            self.path = make_config(
                db_url,
                imap=imap_sections(imap),
                smtp={"host": smtp_server.host, "port": smtp_server.port},
                responder=responder,
            )
            return self.path

        def run(self, *raws: bytes) -> Any:
            if raws:
                imap.append_many(list(raws))
            result = cli("--config", self.path, "run", "--once")
            assert result.code in (0, 1), result.err
            return result

        def app(self) -> Any:
            return app_for(self.path)

    return Pipeline()


def _text(received: Any) -> str:
    message = received.message
    body = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",))
    return "\n".join(
        [str(message["Subject"]), body, html.get_content() if html else ""]
    )


def test_third_party_acknowledgements_repeat_nothing_the_sender_chose(
    pipeline, smtp_server
) -> None:
    pipeline.config()
    huge = PILLS * 5500  # about 200 KB of subject
    pipeline.run(
        # A Reply-To names somebody else.
        mail(
            f'"{EVIL_NAME}" <attacker@evil.example>',
            subject=huge,
            headers=(f'Reply-To: "{EVIL_NAME}" <{TARGET}>',),
            n=1,
        ),
        # A form in the body names another address than the sender's.
        mail("jan.peeters@example.be", body=webform("target2@victim.example"), n=2),
        # A forged web-form notification, even with DMARC passing for its From.
        mail(
            "Website <no-reply@example.be>",
            subject="Nieuw bericht via het contactformulier",
            body=webform("target3@victim.example"),
            headers=(DMARC_PASS,),
            n=3,
        ),
    )
    received = smtp_server.wait_for(3)
    by_rcpt = {r.rcpt_tos: r for r in received}
    assert set(by_rcpt) == {
        (TARGET,),
        ("target2@victim.example",),
        ("target3@victim.example",),
    }
    for ack in received:
        text = _text(ack)
        assert ack.message["X-Klachten-Case"] in text  # the case number is there
        assert "Beste," in text  # a greeting without a name
        for word in ("PILLS", "pills.example", "Cheap", "Shop", "Onderwerp van"):
            assert word not in text, (ack.rcpt_tos, word)
        assert len(ack.data) < 12_000  # not the 200 KB the sender wrote
        # Not even the Message-ID the sender chose, in the threading headers.
        assert ack.message["In-Reply-To"] is None
        assert b"third-party-" not in ack.data


def test_verified_sender_is_quoted_within_150_characters(pipeline, smtp_server) -> None:
    pipeline.config()
    subject = "Terugbetaling =?utf-8?q?kine=1B[31m?= " + "lang " * 80
    pipeline.run(
        mail("Anna Peeters <anna@example.be>", subject=subject, headers=(DMARC_PASS,))
    )
    (ack,) = smtp_server.wait_for(1)
    assert ack.rcpt_tos == ("anna@example.be",)
    assert ack.message["In-Reply-To"].startswith("<third-party-0-")
    text = ack.message.get_body(("plain",)).get_content()
    assert text.startswith("Beste Anna Peeters,")
    (line,) = [ln for ln in text.splitlines() if ln.startswith("Onderwerp van")]
    quoted = line.removeprefix("Onderwerp van uw klacht: ")
    assert quoted.startswith("Terugbetaling kine") and quoted.endswith("…")
    assert 140 < len(quoted) <= 150 and "\x1b" not in text


def test_per_address_limit_counts_the_mailbox(pipeline, smtp_server) -> None:
    pipeline.config(per_address_limit=5)
    variants = (
        '"target"@victim.example',
        "target+1@victim.example",
        "TARGET@Victim.Example",
        "target+2@victim.example",
        '"Target"@VICTIM.example',
        "target@victim.example",
        "target+3@victim.example",
    )
    raws = [
        mail(f"someone{i}@evil.example", headers=(f"Reply-To: {v}",), n=10 + i)
        for i, v in enumerate(variants)
    ]
    pipeline.run(*raws)
    received = smtp_server.wait_for(5)
    with pipeline.app().transaction() as session:
        acks = session.query(OutboxMail).filter_by(kind="acknowledgement").all()
        statuses = Counter(row.status for row in acks)
        reasons = {row.skip_reason for row in acks if row.status == "skipped"}
    assert statuses == {"sent": 5, "skipped": 2}
    assert reasons == {"per-address limit reached (5 acknowledgements in 24 hours)"}
    assert len(smtp_server.received) == len(received) == 5


def test_hourly_limit_holds_mail_in_the_outbox(pipeline, smtp_server, cli) -> None:
    path = pipeline.config(hourly_limit=3)
    raws = [mail(f"lid{i}@example.be", n=20 + i) for i in range(5)]
    result = pipeline.run(*raws)
    assert "2 held" in result.out
    assert len(smtp_server.wait_for(3)) == 3
    status = cli("--config", path, "status", "--format", "json").json()
    assert status["outbox"]["held"] == 2 and status["outbox"]["pending"] == 2
    text = cli("--config", path, "status").out
    assert "2 held by the hourly limit" in text
    # A second run within the hour sends nothing more and drops nothing.
    pipeline.run()
    app = pipeline.app()
    with app.transaction() as session:
        rows = session.query(OutboxMail).filter_by(kind="acknowledgement").all()
        waiting = [r for r in rows if r.status == "pending"]
    assert len(smtp_server.received) == 3
    assert len(waiting) == 2 and {r.attempts for r in waiting} == {0}
    # An hour later the window has moved on: they leave.
    report = app.delivery.deliver_pending(now=utcnow() + timedelta(minutes=61))
    assert report.sent == 2 and report.held == 0
    assert len(smtp_server.wait_for(5)) == 5


def test_failures_reach_the_coordinators_in_one_notice(pipeline, smtp_server) -> None:
    pipeline.config()
    raws = []
    for i in range(3):
        address = f"nobody{i}@victim.example"
        smtp_server.reject_recipient(address, 550, f"5.1.1 <{address}> {PILLS}")
        raws.append(mail("a@evil.example", headers=(f"Reply-To: {address}",), n=30 + i))
    result = pipeline.run(*raws)
    assert "3 failed" in result.out
    (notice,) = smtp_server.wait_for(1)
    assert notice.rcpt_tos == ("klachtencoordinator@libmutov.be",)
    text = _text(notice)
    assert notice.message["Subject"] == "[Klachten] 3 e-mails aan leden niet afgeleverd"
    assert text.count("ontvangstmelding  (550 5.1.1)") == 3
    for word in ("PILLS", "victim.example", "evil.example", "nobody"):
        assert word not in text
    pipeline.run()  # a later run with no new failure sends no notice
    assert len(smtp_server.received) == 1


@pytest.mark.slow
def test_one_notice_even_with_the_delivery_process_alongside(
    pipeline, smtp_server
) -> None:
    # A backlog above _DeliveryAlongside.MIN_BACKLOG: a second process
    # delivers during intake; its failures join the run's one notice.
    pipeline.config()
    raws = []
    for i in range(230):
        sender = f"lid{i}@example.be"
        if i % 40 == 0:
            smtp_server.reject_recipient(sender, 550, f"5.1.1 {PILLS}")
        raws.append(mail(sender, n=100 + i))
    result = pipeline.run(*raws)
    assert "6 failed" in result.out, result.out
    assert "outbox.delivery_alongside" in result.err  # the process did start
    received = smtp_server.wait_for(225, timeout=60)
    notices = [r for r in received if r.rcpt_tos[0].startswith("klachtencoord")]
    assert len(notices) == 1
    assert notices[0].message["Subject"].startswith("[Klachten] 6 e-mails")
