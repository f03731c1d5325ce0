"""A staff member forwards a member's complaint ("Fwd:"): it is that member's
complaint, with the staff address in the audit trail (issue 16)."""

from __future__ import annotations

from email.message import EmailMessage

from ingest.forwarded import forwarded_mail
from ingest.parse import parse_message
from tests.intake_mail import imap_sections

STAFF = "els.coordinator@libmutov.be"
PASS = "mx.libmutov.be; dmarc=pass header.from=libmutov.be"

GMAIL = """Graag registreren, dit kwam bij mij terecht.

---------- Forwarded message ---------
From: Jan Peeters <jan.peeters@example.be>
Date: Mon, 2 Mar 2026 at 09:30
Subject: Klacht over mijn terugbetaling
To: <els.coordinator@libmutov.be>

Ik heb nog altijd geen terugbetaling ontvangen voor mijn bril.
"""

OUTLOOK = """Ter info.

________________________________
Van: Sophie Dubois [mailto:sophie.dubois@example.be]
Verzonden: maandag 2 maart 2026 09:30
Aan: Els
Onderwerp: Plainte remboursement

Je n'ai toujours pas reçu mon remboursement.
"""


def _forward(body: str, subject: str = "Fwd: Klacht over mijn terugbetaling",
             auth: str | None = PASS) -> EmailMessage:  # fmt: skip
    message = EmailMessage()
    message["From"] = f"Els <{STAFF}>"
    message["To"] = "klachten@libmutov.be"
    message["Subject"] = subject
    message["Message-ID"] = f"<fwd-{abs(hash(body))}@libmutov.be>"
    if auth:
        message["Authentication-Results"] = auth
    message.set_content(body)
    return message


def test_inline_forwards_name_the_member() -> None:
    found = forwarded_mail(parse_message(_forward(GMAIL).as_bytes()))
    assert found is not None
    assert (found.address, found.name) == ("jan.peeters@example.be", "Jan Peeters")
    assert found.subject == "Klacht over mijn terugbetaling"
    assert found.text.startswith("Ik heb nog altijd geen terugbetaling")
    found = forwarded_mail(parse_message(_forward(OUTLOOK, "TR: x").as_bytes()))
    assert found is not None
    assert (found.address, found.name) == ("sophie.dubois@example.be", "Sophie Dubois")
    assert found.subject == "Plainte remboursement"


def test_attached_forward_names_the_member() -> None:
    inner = EmailMessage()
    inner["From"] = "Jan Peeters <jan.peeters@example.be>"
    inner["Subject"] = "Klacht"
    inner.set_content("Mijn bril werd niet terugbetaald.\n")
    outer = _forward("Zie bijlage.\n", subject="FW: Klacht")
    outer.add_attachment(inner)
    found = forwarded_mail(parse_message(outer.as_bytes()))
    assert found is not None and found.address == "jan.peeters@example.be"
    assert found.text == "Mijn bril werd niet terugbetaald."


def test_a_mail_without_a_forward_has_none() -> None:
    mail = _forward("Vergadering om tien uur.\n", "Vergadering")
    assert forwarded_mail(parse_message(mail.as_bytes())) is None


def test_forwarded_complaint_is_the_members_case(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = make_config(
        db_url,
        imap=imap_sections(imap),
        smtp={"host": smtp_server.host, "port": smtp_server.port},
    )
    imap.append(_forward(GMAIL).as_bytes())
    assert cli("--config", config, "run", "--once").code == 0
    (case,) = cli("--config", config, "cases", "list", "--format", "json").json()
    assert case["member"]["email"] == "jan.peeters@example.be"
    assert case["member"]["name"] == "Jan Peeters"
    shown = cli("--config", config, "case", "show", case["number"], "--format", "json")
    events = shown.json()["events"]
    (forwarded,) = [e for e in events if e["kind"] == "forwarded_by_staff"]
    assert forwarded["details"]["staff"] == STAFF
    (ack,) = smtp_server.wait_for(1)
    assert ack.rcpt_tos == ("jan.peeters@example.be",)


def test_unbelieved_forward_stays_staff_mail(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = make_config(db_url, imap=imap_sections(imap))
    imap.append(_forward(GMAIL, auth=None).as_bytes())
    assert cli("--config", config, "run", "--once").code == 0
    assert cli("--config", config, "cases", "list", "--format", "json").json() == []
