"""Staff mail through the real Dovecot and `run --once`: never a complaint,
never acknowledged; it joins the case it refers to as class "staff"
(issue 16)."""

from __future__ import annotations

import time
from email.message import EmailMessage

from tests.intake_mail import complaint, imap_sections

MEMBER = "jan.peeters@example.be"
COORDINATOR = "Els Coördinator <els.coordinator@libmutov.be>"
PASS = "mx.libmutov.be; dmarc=pass header.from=libmutov.be"
FAIL = "mx.libmutov.be; dmarc=fail header.from=libmutov.be"


def _config(make_config, db_url, imap, smtp_server, **sections):
    return make_config(
        db_url,
        imap=imap_sections(imap),
        smtp={"host": smtp_server.host, "port": smtp_server.port},
        **sections,
    )


def _staff_mail(subject: str, *, auth: str | None = PASS, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = COORDINATOR
    message["To"] = "klachten@libmutov.be"
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash((subject, auth)))}@libmutov.be>"
    if auth:
        message["Authentication-Results"] = auth
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Ik neem dit op met de dienst terugbetalingen.\n")
    return message.as_bytes()


def _messages(cli, config, klass: str) -> list[dict]:
    result = cli("--config", config, "messages", "list", "--class", klass,
                 "--format", "json")  # fmt: skip
    assert result.code == 0, result.err
    return result.json()


def _settle(smtp_server, expected: int) -> None:
    """The outbox had time to send anything more than `expected` mails."""
    smtp_server.wait_for(expected)
    time.sleep(1.0)
    assert len(smtp_server.received) == expected


def test_coordinator_reply_to_a_reminder_joins_the_case_as_staff(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = _config(make_config, db_url, imap, smtp_server)
    imap.append(complaint(sender=MEMBER))
    assert cli("--config", config, "run", "--once").code == 0
    (case,) = cli("--config", config, "cases", "list", "--format", "json").json()
    number, status = case["number"], case["status"]
    _settle(smtp_server, 1)  # the member's acknowledgement

    subject = f"Re: [Klachten] Herinnering: antwoordtermijn {number}"
    imap.append(_staff_mail(subject))
    assert cli("--config", config, "run", "--once").code == 0

    assert len(cli("--config", config, "cases", "list", "--format", "json").json()) == 1
    _settle(smtp_server, 1)  # no acknowledgement to the coordinator
    (staff,) = _messages(cli, config, "staff")
    assert staff["case"] == number
    assert staff["sender"] == "els.coordinator@libmutov.be"
    assert staff["reason"] == (
        f"sender in staff domain libmutov.be; case number {number} in subject"
    )
    shown = cli("--config", config, "case", "show", number, "--format", "json").json()
    assert shown["status"] == status
    assert shown["message_count"] == 2
    kinds = [e["kind"] for e in shown["events"]]
    assert "staff_message_received" in kinds
    assert "staff_unverified" not in kinds and "needs_review" not in shown["flags"]


def test_unverified_staff_mail_by_threading_is_flagged_not_acted_on(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = _config(make_config, db_url, imap, smtp_server)
    imap.append(complaint(sender=MEMBER, message_id="klacht-1@example.be"))
    assert cli("--config", config, "run", "--once").code == 0
    (case,) = cli("--config", config, "cases", "list", "--format", "json").json()
    _settle(smtp_server, 1)

    mail = _staff_mail("RE: Klacht over mijn terugbetaling", auth=None,
                       In_Reply_To="<klacht-1@example.be>")  # fmt: skip
    imap.append(mail)
    assert cli("--config", config, "run", "--once").code == 0
    (staff,) = _messages(cli, config, "staff")
    assert staff["case"] == case["number"]
    assert "not verified" in staff["reason"]
    shown = cli("--config", config, "case", "show", case["number"], "--format", "json")
    kinds = [e["kind"] for e in shown.json()["events"]]
    assert "staff_unverified" in kinds
    # Issue 16: "acts on nothing and is flagged for a person".
    assert "needs_review" in shown.json()["flags"]
    assert shown.json()["status"] == case["status"]
    _settle(smtp_server, 1)


def test_staff_mail_without_a_case_is_stored_as_staff(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = _config(make_config, db_url, imap, smtp_server)
    imap.append(_staff_mail("Vergadering klachtendienst donderdag"))
    assert cli("--config", config, "run", "--once").code == 0
    assert cli("--config", config, "cases", "list", "--format", "json").json() == []
    (staff,) = _messages(cli, config, "staff")
    assert staff["case"] is None
    assert staff["reason"] == "sender in staff domain libmutov.be; refers to no case"
    assert _messages(cli, config, "complaint") == []
    time.sleep(1.0)
    assert smtp_server.received == []


def test_staff_address_of_another_domain_is_staff(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = _config(
        make_config, db_url, imap, smtp_server,
        staff={"addresses": ["an@partner.example"], "trust_unauthenticated": True},
    )  # fmt: skip
    message = EmailMessage()
    message["From"] = "An <an@partner.example>"
    message["Subject"] = "Vraag over een dossier"
    message["Message-ID"] = "<an-1@partner.example>"
    message.set_content("Kunnen jullie dit bekijken?\n")
    imap.append(message.as_bytes())
    assert cli("--config", config, "run", "--once").code == 0
    (staff,) = _messages(cli, config, "staff")
    assert staff["reason"] == "sender is a staff address; refers to no case"
    assert cli("--config", config, "cases", "list", "--format", "json").json() == []


def test_forged_staff_from_with_trusted_dmarc_fail_is_a_members_complaint(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = _config(make_config, db_url, imap, smtp_server)
    imap.append(_staff_mail("Klacht over mijn terugbetaling", auth=FAIL))
    assert cli("--config", config, "run", "--once").code == 0
    assert _messages(cli, config, "staff") == []
    (case,) = cli("--config", config, "cases", "list", "--format", "json").json()
    shown = cli("--config", config, "case", "show", case["number"], "--format", "json")
    kinds = [e["kind"] for e in shown.json()["events"]]
    assert "sender_unverified" in kinds


def test_no_reply_website_notification_from_the_staff_domain_is_a_complaint(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = _config(make_config, db_url, imap, smtp_server)
    message = EmailMessage()
    message["From"] = "Website LM <noreply@libmutov.be>"
    message["Subject"] = "Contactformulier"
    message["Message-ID"] = "<web-1@libmutov.be>"
    message["Authentication-Results"] = PASS
    message.set_content(
        "Nieuw bericht via het contactformulier van de website\n\n"
        "Naam: Sophie Dubois\nE-mail: sophie.dubois@example.be\n"
        "Postcode: 1000\n"
        "Omschrijving van de klacht: Mijn terugbetaling is twee maanden te laat.\n"
    )
    imap.append(message.as_bytes())
    assert cli("--config", config, "run", "--once").code == 0
    assert _messages(cli, config, "staff") == []
    (case,) = cli("--config", config, "cases", "list", "--format", "json").json()
    assert case["member"]["email"] == "sophie.dubois@example.be"
    (ack,) = smtp_server.wait_for(1)
    assert ack.rcpt_tos == ("sophie.dubois@example.be",)


def test_staff_mail_does_not_confirm_an_oral_complaint(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = _config(make_config, db_url, imap, smtp_server)
    registered = cli(
        "--config", config, "case", "register", "--channel", "oral",
        "--received-at", "2026-12-01", "--name", "Anna Peeters",
        "--email", "anna.peeters@example.be",
        "--description", "Klacht aan het loket: onvriendelijk onthaal.",
    )  # fmt: skip
    assert registered.code == 0, registered.err
    number = registered.out.strip().splitlines()[-1]
    imap.append(_staff_mail(f"Re: {number} bevestiging gevraagd"))
    assert cli("--config", config, "run", "--once").code == 0
    shown = cli("--config", config, "case", "show", number, "--format", "json").json()
    assert shown["status"] == "awaiting_confirmation"
    assert shown["message_count"] == 1
    kinds = [e["kind"] for e in shown["events"]]
    assert "confirmed" not in kinds and "staff_message_received" in kinds
