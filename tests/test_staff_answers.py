"""Answers sent from Outlook count, members' replies reach the assignee, and
mail commands act only for believed staff: the real Dovecot (inbox and sent
folder), the SMTP test server and `run --once` (issue 16)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from tests.intake_mail import complaint, imap_sections

MEMBER = "jan.peeters@example.be"
COORDINATOR = "els.coordinator@libmutov.be"
PASS = "mx.libmutov.be; dmarc=pass header.from=libmutov.be"
SENT = "Sent Items"
ANSWER_DATE = datetime(2026, 3, 20, 14, 5, tzinfo=UTC)


def _config(make_config, db_url, imap, smtp_server, imap_values=None, **sections):
    return make_config(
        db_url,
        imap=imap_sections(imap, **(imap_values or {})),
        smtp={"host": smtp_server.host, "port": smtp_server.port},
        **sections,
    )


def _answer(
    number: str,
    body: str,
    *,
    cc: str | None = "klachten@libmutov.be",
    auth: str | None = PASS,
    message_id: str = "antwoord-1@libmutov.be",
    sender: str = COORDINATOR,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Els <{sender}>"
    message["To"] = f"Jan Peeters <{MEMBER}>"
    if cc:
        message["Cc"] = cc
    message["Subject"] = f"RE: Klacht over mijn terugbetaling ({number})"
    message["Date"] = format_datetime(ANSWER_DATE)
    message["Message-ID"] = f"<{message_id}>"
    if auth:
        message["Authentication-Results"] = auth
    message.set_content(body)
    return message.as_bytes()


FULL_ANSWER = (
    "Uitkomst: deels gegrond\n\nBeste heer Peeters,\n\nWe betalen het verschil "
    "terug. Bent u het niet eens, dan kunt u zich wenden tot de ombudsdienst, "
    "Livornostraat 25, 1050 Brussel.\n\nEls\n"
)


def _one_case(cli, config) -> dict:
    assert cli("--config", config, "run", "--once").code == 0
    (case,) = cli("--config", config, "cases", "list", "--format", "json").json()
    return case


def _show(cli, config, number: str) -> dict:
    return cli("--config", config, "case", "show", number, "--format", "json").json()


def _settle(smtp_server, expected: int) -> list:
    received = smtp_server.wait_for(expected)
    time.sleep(1.0)
    assert len(smtp_server.received) == expected
    return received


def test_answer_with_klachten_in_cc_answers_the_case_at_its_date(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = _config(make_config, db_url, imap, smtp_server)
    imap.append(complaint(sender=MEMBER))
    number = _one_case(cli, config)["number"]
    _settle(smtp_server, 1)  # the acknowledgement

    imap.append(_answer(number, FULL_ANSWER))
    assert cli("--config", config, "run", "--once").code == 0
    shown = _show(cli, config, number)
    assert shown["status"] == "answered"
    assert datetime.fromisoformat(shown["answered_at"]) == ANSWER_DATE
    assert shown["outcome"] == "partly-founded"
    (answered,) = [e for e in shown["events"] if e["kind"] == "answered"]
    assert answered["actor"] == COORDINATOR
    _settle(smtp_server, 1)  # the answer names the ombudsdienst: no notice


def test_answer_without_the_ombudsdienst_tells_its_sender_once(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = _config(make_config, db_url, imap, smtp_server)
    imap.append(complaint(sender=MEMBER))
    number = _one_case(cli, config)["number"]
    _settle(smtp_server, 1)

    imap.append(_answer(number, "Uitkomst: ongegrond\n\nWij betalen niets terug.\n"))
    assert cli("--config", config, "run", "--once").code == 0
    shown = _show(cli, config, number)
    assert shown["status"] == "answered" and shown["outcome"] == "unfounded"
    notice = _settle(smtp_server, 2)[1]
    assert notice.rcpt_tos == (COORDINATOR,)
    assert "ombudsdienst" in notice.message.get_content().lower()
    assert notice.message.get_content().startswith("Beste Els Coordinator,")


def test_answer_found_in_the_sent_folder_and_in_cc_is_one_answer(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = _config(make_config, db_url, imap, smtp_server,
                     imap_values={"sent_mailbox": SENT})  # fmt: skip
    imap.create_mailbox(SENT)
    imap.append(complaint(sender=MEMBER, message_id="klacht-7@example.be"))
    number = _one_case(cli, config)["number"]
    _settle(smtp_server, 1)

    # One mail, two copies: Outlook's in the sent folder (no
    # Authentication-Results) and the one received through klachten@ in Cc.
    threaded = b"In-Reply-To: <klacht-7@example.be>\r\nSubject:"
    sent_copy = _answer(number, FULL_ANSWER, auth=None)
    sent_copy = sent_copy.replace(b"Subject:", threaded, 1)
    uid = imap.append(sent_copy, mailbox=SENT)
    assert cli("--config", config, "run", "--once").code == 0
    cc_copy = _answer(number, FULL_ANSWER).replace(b"Subject:", threaded, 1)
    imap.append(cc_copy)
    assert cli("--config", config, "run", "--once").code == 0
    assert cli("--config", config, "run", "--once").code == 0

    shown = _show(cli, config, number)
    assert shown["status"] == "answered"
    assert [e["kind"] for e in shown["events"]].count("answered") == 1
    assert datetime.fromisoformat(shown["answered_at"]) == ANSWER_DATE
    assert imap.fetch_flags(SENT) == {uid: set()}  # the folder is never changed
    staff = cli("--config", config, "messages", "list", "--class", "staff",
                "--format", "json").json()  # fmt: skip
    assert len(staff) == 1  # the Cc copy was the same message


def _case_in_sent_folder_setup(cli, make_config, db_url, imap, smtp_server):
    """A config watching the sent folder, and its acknowledged case's number."""
    config = _config(make_config, db_url, imap, smtp_server,
                     imap_values={"sent_mailbox": SENT})  # fmt: skip
    imap.create_mailbox(SENT)
    imap.append(complaint(sender=MEMBER, message_id="klacht-8@example.be"))
    number = _one_case(cli, config)["number"]
    _settle(smtp_server, 1)
    return config, number


def _answered_once(cli, config, number: str) -> dict:
    shown = _show(cli, config, number)
    assert shown["status"] == "answered"
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds.count("answered") == 1
    assert "staff_answer_seen" not in kinds
    assert datetime.fromisoformat(shown["answered_at"]) == ANSWER_DATE
    assert shown["outcome"] == "partly-founded"
    return shown


def test_unbelieved_cc_copy_first_then_the_sent_folder_answers_once(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    """Internal Exchange mail often has no Authentication-Results: the Cc copy
    is stored first (the inbox is read before the sent folder) as staff mail
    that is not believed; its copy in the sent folder is the same message and
    still answers the case, once."""
    config, number = _case_in_sent_folder_setup(
        cli, make_config, db_url, imap, smtp_server
    )
    imap.append(_answer(number, FULL_ANSWER, auth=None))
    imap.append(_answer(number, FULL_ANSWER, auth=None), mailbox=SENT)
    assert cli("--config", config, "run", "--once").code == 0
    assert cli("--config", config, "run", "--once").code == 0
    shown = _answered_once(cli, config, number)
    (answered,) = [e for e in shown["events"] if e["kind"] == "answered"]
    assert answered["actor"] == COORDINATOR
    staff = cli("--config", config, "messages", "list", "--class", "staff",
                "--format", "json").json()  # fmt: skip
    assert [m["case"] for m in staff] == [number]
    _settle(smtp_server, 1)  # the answer names the ombudsdienst: no notice


def test_cc_copy_from_the_shared_mailbox_then_the_sent_folder_answers_once(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    """Sent "as" klachten@ with klachten@ in Cc: the inbox copy is our own
    address's mail (never acted on); the sent folder's copy answers."""
    config, number = _case_in_sent_folder_setup(
        cli, make_config, db_url, imap, smtp_server
    )
    mail = _answer(number, FULL_ANSWER, auth=None, sender="klachten@libmutov.be")
    imap.append(mail)
    imap.append(mail, mailbox=SENT)
    assert cli("--config", config, "run", "--once").code == 0
    assert cli("--config", config, "run", "--once").code == 0
    shown = _answered_once(cli, config, number)
    assert shown["message_count"] == 2  # the complaint and the answer


def test_believed_cc_copy_first_then_the_sent_folder_answers_once(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config, number = _case_in_sent_folder_setup(
        cli, make_config, db_url, imap, smtp_server
    )
    imap.append(_answer(number, FULL_ANSWER))
    assert cli("--config", config, "run", "--once").code == 0
    imap.append(_answer(number, FULL_ANSWER, auth=None), mailbox=SENT)
    assert cli("--config", config, "run", "--once").code == 0
    _answered_once(cli, config, number)


def test_answer_only_in_the_sent_folder_counts(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = _config(make_config, db_url, imap, smtp_server,
                     imap_values={"sent_mailbox": SENT})  # fmt: skip
    imap.create_mailbox(SENT)
    imap.append(complaint(sender=MEMBER))
    number = _one_case(cli, config)["number"]
    _settle(smtp_server, 1)
    # Sent "as" the shared mailbox: From is klachten@ itself.
    imap.append(_answer(number, FULL_ANSWER, cc=None, auth=None,
                        sender="klachten@libmutov.be"), mailbox=SENT)  # fmt: skip
    assert cli("--config", config, "run", "--once").code == 0
    shown = _show(cli, config, number)
    assert shown["status"] == "answered"
    assert len(cli("--config", config, "cases", "list", "--format", "json").json()) == 1


def test_unbelieved_staff_answer_answers_nothing(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = _config(make_config, db_url, imap, smtp_server)
    imap.append(complaint(sender=MEMBER))
    number = _one_case(cli, config)["number"]
    imap.append(_answer(number, FULL_ANSWER, auth=None))
    assert cli("--config", config, "run", "--once").code == 0
    assert _show(cli, config, number)["status"] != "answered"


def test_member_reply_after_the_answer_flags_and_tells_the_assignee_once(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    assignee = "an.dossier@libmutov.be"
    config = _config(make_config, db_url, imap, smtp_server,
                     staff={"languages": {assignee: "fr"}})  # fmt: skip
    imap.append(complaint(sender=MEMBER))
    number = _one_case(cli, config)["number"]
    assert cli("--config", config, "case", "assign", number, "--to", assignee).code == 0
    imap.append(_answer(number, FULL_ANSWER))
    assert cli("--config", config, "run", "--once").code == 0
    _settle(smtp_server, 1)

    for n in (1, 2):
        imap.append(complaint(sender=MEMBER, subject=f"Re: {number} niet akkoord",
                              body=f"Ik ben het niet eens ({n})."))  # fmt: skip
        assert cli("--config", config, "run", "--once").code == 0
    shown = _show(cli, config, number)
    assert "member_replied" in shown["flags"]
    notice = _settle(smtp_server, 2)[1]
    assert notice.rcpt_tos == (assignee,)
    text = notice.message.get_content()
    assert number in text
    # Issue 17.14: greeted by name; issue 16: in the assignee's language.
    assert text.startswith("Bonjour An Dossier,") and "le membre a réagi" in text

    note = cli("--config", config, "case", "note", number, "Gebeld.")
    assert note.code == 0, note.err
    assert "member_replied" not in _show(cli, config, number)["flags"]


def test_staff_answer_by_mail_clears_member_replied(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    """A coordinator answering the member's reply by mail has acted on the
    case: the reply no longer rides along in the reminders."""
    config = _config(make_config, db_url, imap, smtp_server)
    imap.append(complaint(sender=MEMBER))
    number = _one_case(cli, config)["number"]
    imap.append(_answer(number, FULL_ANSWER))
    assert cli("--config", config, "run", "--once").code == 0
    imap.append(complaint(sender=MEMBER, subject=f"Re: {number} niet akkoord",
                          body="Ik ben het niet eens."))  # fmt: skip
    assert cli("--config", config, "run", "--once").code == 0
    assert "member_replied" in _show(cli, config, number)["flags"]

    again = _answer(number, "Beste heer Peeters,\n\nWij bekijken het opnieuw.\n",
                    message_id="antwoord-2@libmutov.be")  # fmt: skip
    imap.append(again)
    assert cli("--config", config, "run", "--once").code == 0
    shown = _show(cli, config, number)
    assert "member_replied" not in shown["flags"]
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds.count("answered") == 1 and "staff_answer_seen" in kinds


def _command(number: str, body: str, *, auth: str | None = PASS,
             sender: str = COORDINATOR) -> bytes:  # fmt: skip
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "klachten@libmutov.be"
    message["Subject"] = f"{number} opdracht"
    message["Message-ID"] = f"<cmd-{abs(hash(body))}@libmutov.be>"
    if auth:
        message["Authentication-Results"] = auth
    message.set_content(body)
    return message.as_bytes()


def _commanded_case(cli, make_config, db_url, imap, smtp_server) -> tuple:
    """A config with mail commands, and its acknowledged case's number."""
    config = _config(make_config, db_url, imap, smtp_server,
                     staff={"mail_commands": True})  # fmt: skip
    imap.append(complaint(sender=MEMBER))
    number = _one_case(cli, config)["number"]
    _settle(smtp_server, 1)
    return config, number


def test_mail_commands_act_with_the_staff_address_as_actor(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config, number = _commanded_case(cli, make_config, db_url, imap, smtp_server)
    commands = "Toewijzen: an.dossier@libmutov.be\nCategorie: Terugbetaling\n"
    imap.append(_command(number, commands + "Notitie: bellen\n\nEls\n"))
    assert cli("--config", config, "run", "--once").code == 0
    shown = _show(cli, config, number)
    assert shown["assigned_to"] == "an.dossier@libmutov.be"
    assert shown["category"] == "terugbetaling"
    actors = {e["kind"]: e["actor"] for e in shown["events"]}
    assert actors["assigned"] == actors["note"] == COORDINATOR
    _settle(smtp_server, 1)  # nothing to reply


def test_unknown_mail_command_gets_one_reply(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config, number = _commanded_case(cli, make_config, db_url, imap, smtp_server)
    imap.append(_command(number, "Prioriteit: hoog\nNotitie: dringend\n"))
    assert cli("--config", config, "run", "--once").code == 0
    assert cli("--config", config, "run", "--once").code == 0
    reply = _settle(smtp_server, 2)[1]
    assert reply.rcpt_tos == (COORDINATOR,)
    text = reply.message.get_content()
    assert "Prioriteit: hoog" in text and "Toewijzen:" in text
    kinds = [e["kind"] for e in _show(cli, config, number)["events"]]
    assert "note" in kinds


def test_mail_command_from_a_non_staff_address_is_ignored_and_recorded(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config, number = _commanded_case(cli, make_config, db_url, imap, smtp_server)
    imap.append(_command(number, "Status: afgesloten\n", auth=None,
                         sender="iemand@example.org"))  # fmt: skip
    assert cli("--config", config, "run", "--once").code == 0
    shown = _show(cli, config, number)
    assert shown["status"] != "closed"
    kinds = [e["kind"] for e in shown["events"]]
    assert "mail_command_ignored" in kinds
    assert "needs_review" in shown["flags"]


def test_an_answer_before_the_acknowledgement_went_out_replaces_it(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    """A backlog (the service was down) holds the complaint and the answer a
    coordinator already sent from Outlook: the member has the answer, so the
    late "we will answer within 45 days" is held back, and the answer counts
    as the acknowledgement."""
    config = _config(make_config, db_url, imap, smtp_server)
    imap.append(complaint(sender=MEMBER, message_id="klacht-9@example.be"))
    answer = _answer("", FULL_ANSWER).replace(
        b"Subject:", b"In-Reply-To: <klacht-9@example.be>\r\nSubject:", 1
    )
    imap.append(answer)
    case = _one_case(cli, config)
    shown = _show(cli, config, case["number"])
    assert shown["status"] == "answered"
    time.sleep(1.0)
    assert smtp_server.received == []
    assert shown["acknowledged_at"] == shown["answered_at"]
    assert "ack_not_sent" not in shown["flags"]
    (skipped,) = [e for e in shown["events"] if e["kind"] == "acknowledgement_skipped"]
    assert skipped["details"]["reason"] == "answered before the acknowledgement"
