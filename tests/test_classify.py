"""classify() and its rules on small hand-written messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from ingest.classify import (
    ClassifierSettings,
    Verdict,
    classify,
    dmarc_failed,
    number_pattern_from_format,
)
from ingest.parse import parse_message

SETTINGS = ClassifierSettings(
    number_pattern=number_pattern_from_format("KL-{year}-{seq:05d}"),
    trusted_authserv_ids=("libmutov.be",),
    own_addresses=("klachten@libmutov.be",),
)


class DictLookup:
    """Cases by number, each with the Message-IDs of its messages."""

    def __init__(self, cases: dict[str, set[str]]) -> None:
        self.cases = cases

    def case_for_message_ids(self, message_ids: Sequence[str]) -> str | None:
        for number, ids in self.cases.items():
            if ids.intersection(message_ids):
                return number
        return None

    def case_exists(self, number: str) -> bool:
        return number in self.cases

    def member_email(self, number: str) -> str | None:
        return MEMBERS.get(number)


LOOKUP = DictLookup({"KL-2026-00003": {"ack-3@libmutov.be"}})
MEMBERS = {"KL-2026-00003": "jan@example.be"}


def verdict(headers: str, body: str = "Ik heb een klacht.\n") -> Verdict:
    raw = f"From: Jan <jan@example.be>\n{headers}\n{body}".encode()
    return classify(parse_message(raw), SETTINGS, LOOKUP)


def test_plain_message_is_a_complaint() -> None:
    result = verdict("Subject: Klacht over terugbetaling\n")
    assert (result.klass, result.case_number) == ("complaint", None)
    assert not result.sender_unverified


def test_follow_up_by_case_number_in_subject() -> None:
    result = verdict("Subject: Re: uw klacht KL-2026-00003 - aanvulling\n")
    assert result.klass == "follow_up"
    assert result.case_number == "KL-2026-00003"
    assert result.reason == "case number KL-2026-00003 in subject"


def test_unknown_case_number_is_a_new_complaint() -> None:
    assert verdict("Subject: KL-2026-00999\n").klass == "complaint"


def test_follow_up_by_in_reply_to() -> None:
    result = verdict("Subject: Re: bevestiging\nIn-Reply-To: <ack-3@libmutov.be>\n")
    assert (result.klass, result.case_number) == ("follow_up", "KL-2026-00003")
    assert "In-Reply-To" in result.reason


def test_follow_up_by_references() -> None:
    result = verdict("Subject: x\nReferences: <a@b> <ack-3@libmutov.be>\n")
    assert (result.klass, result.case_number) == ("follow_up", "KL-2026-00003")


@pytest.mark.parametrize(
    ("number_format", "text", "found"),
    [
        ("KL-{year}-{seq:05d}", "zie KL-2026-00042.", "KL-2026-00042"),
        ("KL-{year}-{seq:05d}", "kl-2026-00042", "kl-2026-00042"),
        ("KL-{year}-{seq:05d}", "KL-2026-123456", "KL-2026-123456"),
        ("KL-{year}-{seq:05d}", "XKL-2026-00042", None),
        ("KL-{year}-{seq:05d}", "KL-2026-0042", None),
        ("{year}/{seq:04d}", "dossier 2026/0007", "2026/0007"),
    ],
)
def test_number_pattern_from_format(
    number_format: str, text: str, found: str | None
) -> None:
    match = number_pattern_from_format(number_format).search(text)
    assert (match.group(0) if match else None) == found


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: auto-replied\nSubject: Re: klacht\n",
        "X-Autoreply: yes\nSubject: x\n",
        "X-Autorespond: yes\nSubject: x\n",
        "Precedence: auto_reply\nSubject: x\n",
        "Precedence: bulk\nSubject: x\n",
        "Subject: Automatisch antwoord: Klacht\n",
        "Subject: Afwezig\n",
        "Subject: Réponse automatique : Plainte\n",
        "Subject: Abwesenheitsnotiz: Beschwerde\n",
        "Subject: Out of Office: complaint\n",
        "Subject: Automatic reply: KL-2026-00003\n",
        "X-Auto-Response-Suppress: All\nSubject: Fw: automatic reply received\n",
    ],
)
def test_auto_replies(headers: str) -> None:
    assert verdict(headers).klass == "auto_reply"


def test_auto_submitted_no_is_not_an_auto_reply() -> None:
    assert verdict("Auto-Submitted: no\nSubject: x\n").klass == "complaint"


@pytest.mark.parametrize(
    "subject",
    ["Absence de remboursement", "Afwezigheid van antwoord op mijn klacht"],
)
def test_complaint_about_absence_is_not_an_out_of_office(subject: str) -> None:
    assert verdict(f"Subject: {subject}\n").klass == "complaint"


def test_mail_from_our_own_address_is_a_loop() -> None:
    raw = b"From: klachten@libmutov.be\nSubject: Bevestiging\n\nx\n"
    assert classify(parse_message(raw), SETTINGS, LOOKUP).klass == "auto_reply"


@pytest.mark.parametrize(
    "headers",
    [
        "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n",
        "Content-Type: multipart/report; report-type=feedback-report; boundary=b\n",
        "Return-Path: <>\nSubject: x\n",
        "Subject: Undeliverable: Klacht\n",
        "Subject: Onbestelbaar: Klacht\n",
        "Subject: Non remis : Plainte\n",
        "Subject: Unzustellbar: Beschwerde\n",
        "Subject: Mail delivery failed: returning message to sender\n",
    ],
)
def test_bounces(headers: str) -> None:
    assert verdict(headers).klass == "bounce"


def test_bounce_from_mailer_daemon() -> None:
    raw = b"From: MAILER-DAEMON@mx.example.be\nSubject: x\n\nx\n"
    assert classify(parse_message(raw), SETTINGS, LOOKUP).klass == "bounce"


def test_null_return_path_auto_reply_is_an_auto_reply() -> None:
    # RFC 3834 auto-replies also use Return-Path <>.
    result = verdict("Return-Path: <>\nAuto-Submitted: auto-replied\nSubject: x\n")
    assert result.klass == "auto_reply"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("List-Id: <members.example.be>\nSubject: x\n", "list-id header"),
        ("List-Unsubscribe: <mailto:u@x>\nSubject: x\n", "list-unsubscribe header"),
        ("List-Post: <mailto:l@x>\nSubject: x\n", "list-post header"),
        ("Precedence: list\nSubject: x\n", "Precedence: list"),
        ("Precedence: bulk\nList-Id: <n.example>\nSubject: x\n", "list-id header"),
    ],
)
def test_lists(headers: str, reason: str) -> None:
    result = verdict(headers)
    assert (result.klass, result.reason) == ("list", reason)


def test_spam_flag_and_configured_rule() -> None:
    assert verdict("X-Spam-Flag: YES\nSubject: x\n").klass == "spam"
    assert verdict("X-Spam-Flag: NO\nSubject: x\n").klass == "complaint"
    custom = ClassifierSettings(
        number_pattern=SETTINGS.number_pattern,
        spam_headers=(("X-Rspamd-Action", "reject"),),
    )
    raw = b"From: a@example.be\nX-Rspamd-Action: Reject\n\nx\n"
    assert classify(parse_message(raw), custom, LOOKUP).klass == "spam"


def test_spam_rule_comes_before_follow_up() -> None:
    assert verdict("X-Spam-Flag: YES\nSubject: KL-2026-00003\n").klass == "spam"


def test_too_large_is_rejected() -> None:
    small = ClassifierSettings(
        number_pattern=SETTINGS.number_pattern, max_message_bytes=10
    )
    raw = b"From: a@example.be\nSubject: x\n\nmore than ten bytes\n"
    assert classify(parse_message(raw), small, LOOKUP).klass == "rejected"


DMARC_FAIL = (
    "Authentication-Results: {id}; spf=pass smtp.mailfrom=x;\n"
    " dmarc=fail header.from=bank.be\n"
)


def test_dmarc_fail_from_trusted_authserv_id_flags_sender() -> None:
    result = verdict(DMARC_FAIL.format(id="mx.libmutov.be") + "Subject: x\n")
    assert result.klass == "complaint"
    assert result.sender_unverified
    assert result.sender_unverified_reason == "DMARC failed according to mx.libmutov.be"


@pytest.mark.parametrize(
    "authserv_id", ["mx.evil.example", "libmutov.be.evil.example", "xlibmutov.be"]
)
def test_dmarc_fail_from_untrusted_authserv_id_is_ignored(authserv_id: str) -> None:
    result = verdict(DMARC_FAIL.format(id=authserv_id) + "Subject: x\n")
    assert not result.sender_unverified
    assert result.sender_unverified_reason is None


def test_dmarc_pass_and_version_token() -> None:
    raw = (
        b"From: a@example.be\n"
        b"Authentication-Results: libmutov.be 1;\n"
        b" dmarc=pass header.from=example.be\n\nx\n"
    )
    assert dmarc_failed(parse_message(raw), ("libmutov.be",)) is None


@pytest.mark.parametrize(
    ("results", "verified"),
    [
        ("libmutov.be 1; dmarc=pass header.from=example.be", True),
        ("mx.libmutov.be; spf=fail smtp.mailfrom=x; dmarc=pass", True),
        ("mx.evil.example; dmarc=pass header.from=example.be", False),
        ("libmutov.be; dmarc=pass header.from=other.example", False),
        ("libmutov.be; dmarc=fail header.from=example.be", False),
        ("libmutov.be; dmarc=none header.from=example.be", False),
        ("libmutov.be; spf=pass smtp.mailfrom=example.be", False),
        (None, False),
    ],
)
def test_dmarc_passed_only_for_the_from_domain(results, verified) -> None:
    from ingest.classify import dmarc_passed

    header = f"Authentication-Results: {results}\n" if results else ""
    raw = f"From: Anna <anna@Example.be>\n{header}Subject: x\n\nx\n".encode()
    msg = parse_message(raw)
    assert dmarc_passed(msg, ("libmutov.be",)) is verified
    assert classify(msg, SETTINGS, LOOKUP).sender_verified is verified


# Out-of-office subjects as Outlook, Gmail and Exchange write them in the four
# languages, with no auto-reply header at all (issue 17): the subject decides.
@pytest.mark.parametrize(
    "subject",
    [
        "Absent du bureau jusqu'au 5 janvier",
        "Absente du bureau : Plainte",
        "Je suis absente jusqu'au 12 août",
        "Message d'absence",
        "En congé jusqu'au 3 mars",
        "Afwezig tot 5 januari",
        "Ik ben afwezig tot maandag",
        "Afwezigheidsbericht: Klacht",
        "Niet op kantoor: uw mail",
        "Buiten kantoor tot 2 januari",
        "Met verlof tot 15 augustus",
        "Nicht im Büro: Beschwerde",
        "Außer Haus bis 10. Januar",
        "Abwesend bis 4. Januar",
        "Ich bin nicht im Büro",
        "Im Urlaub bis Montag",
        "Out of the office until January 5",
        "I am out of the office",
        "Away from the office: complaint",
        "On vacation until Monday",
        "Automatic reply: Klacht",
    ],
)
def test_out_of_office_by_subject_alone(subject: str) -> None:
    v = verdict(f"Subject: {subject}\n")
    assert v.klass == "auto_reply", v.reason


# Delivery failures from servers that send no delivery-status report.
@pytest.mark.parametrize(
    "subject",
    [
        "Mail could not be delivered",
        "Message could not be delivered: Klacht",
        "Mail Delivery Warning",
        "Delivery Status Warning",
        "Klacht terugbetaling non remis (delivery failed)",
        "Message non remis : Plainte",
        "Unzustellbar: Beschwerde",
        "Bericht kon niet worden afgeleverd",
        "Returned to sender: Klacht",
    ],
)
def test_bounce_by_subject_without_report(subject: str) -> None:
    v = verdict(f"Subject: {subject}\n")
    assert v.klass == "bounce", v.reason


# What members write about absence, holidays and post that came back.
@pytest.mark.parametrize(
    "subject",
    [
        "Absence de remboursement",
        "Afwezigheid van antwoord op mijn klacht",
        "Afwezig bij de controlearts: boete onterecht",
        "Vakantiegeld niet ontvangen",
        "Répondeur saturé, personne ne répond",
        "Mijn brief werd als onbestelbaar teruggestuurd",
        "Urlaubsgeld fehlt",
        "Out-of-pocket costs not refunded",
        "Klacht: congé de maternité",
    ],
)
def test_complaints_that_look_like_machines_stay_complaints(subject: str) -> None:
    v = verdict(f"Subject: {subject}\n")
    assert v.klass == "complaint", v.reason


def test_a_stranger_quoting_a_case_number_is_for_review() -> None:
    """Issue 17: anybody can quote a number; only the member and the fund's
    people join a case as themselves."""
    raw = b"From: evil@example.org\nSubject: Re: KL-2026-00003\n\nIk bevestig.\n"
    result = classify(parse_message(raw), SETTINGS, LOOKUP)
    assert (result.klass, result.case_number) == ("follow_up", "KL-2026-00003")
    assert result.stranger
    assert result.reason.startswith("says it concerns KL-2026-00003")
    member = b"From: Jan@Example.be\nSubject: Re: KL-2026-00003\n\nIk bevestig.\n"
    assert not classify(parse_message(member), SETTINGS, LOOKUP).stranger
    staff = b"From: els@libmutov.be\nSubject: KL-2026-00003\n\nNotitie.\n"
    with_staff = replace(SETTINGS, staff_domains=("libmutov.be",))
    assert not classify(parse_message(staff), with_staff, LOOKUP).stranger
    assert classify(parse_message(staff), SETTINGS, LOOKUP).stranger


STAFF = replace(
    SETTINGS, staff_domains=("libmutov.be",), staff_addresses=("an@partner.be",)
)
_PASS = "Authentication-Results: mx.libmutov.be; dmarc=pass header.from=libmutov.be\n"
_FAIL = "Authentication-Results: mx.libmutov.be; dmarc=fail header.from=libmutov.be\n"


def staff_verdict(sender: str, headers: str, settings=STAFF) -> Verdict:
    raw = f"From: {sender}\n{headers}\nIk kijk ernaar.\n".encode()
    return classify(parse_message(raw), settings, LOOKUP)


def test_believed_staff_reply_joins_its_case_as_staff() -> None:
    result = staff_verdict(
        "Els <els@libmutov.be>", _PASS + "Subject: Re: [Klachten] KL-2026-00003\n"
    )
    assert (result.klass, result.case_number) == ("staff", "KL-2026-00003")
    assert result.reason.startswith("sender in staff domain libmutov.be; case number")
    assert not result.staff_unverified and not result.stranger


def test_staff_by_address_and_by_references() -> None:
    result = staff_verdict(
        "an@partner.be", "Subject: x\nReferences: <ack-3@libmutov.be>\n"
    )
    assert (result.klass, result.case_number) == ("staff", "KL-2026-00003")
    assert result.reason.startswith("sender is a staff address")


def test_staff_mail_without_a_case_is_stored_as_staff() -> None:
    result = staff_verdict("els@LIBMUTOV.be", _PASS + "Subject: Vergadering\n")
    assert (result.klass, result.case_number) == ("staff", None)
    assert "refers to no case" in result.reason


def test_unauthenticated_staff_mail_is_staff_but_flagged() -> None:
    result = staff_verdict("els@libmutov.be", "Subject: Re: KL-2026-00003\n")
    assert (result.klass, result.case_number) == ("staff", "KL-2026-00003")
    assert result.staff_unverified
    assert "not verified" in result.reason
    trusting = replace(STAFF, trust_unauthenticated_staff=True)
    trusted = staff_verdict("els@libmutov.be", "Subject: Re: KL-2026-00003\n", trusting)
    assert trusted.klass == "staff" and not trusted.staff_unverified


def test_pass_from_an_untrusted_server_does_not_believe_staff() -> None:
    forged = "Authentication-Results: mx.evil.example; dmarc=pass\n"
    result = staff_verdict("els@libmutov.be", forged + "Subject: Vraag\n")
    assert result.klass == "staff" and result.staff_unverified


def test_forged_staff_from_with_trusted_dmarc_fail_is_a_members_mail() -> None:
    result = staff_verdict("els@libmutov.be", _FAIL + "Subject: Mijn klacht\n")
    assert result.klass == "complaint" and result.sender_unverified
    quoting = staff_verdict("els@libmutov.be", _FAIL + "Subject: Re: KL-2026-00003\n")
    assert quoting.klass == "follow_up" and quoting.stranger


@pytest.mark.parametrize(
    "sender",
    ["noreply@libmutov.be", "webform@libmutov.be", "e-loket@libmutov.be",
     "notifications+site@libmutov.be", "no-reply@partner.be"],
)  # fmt: skip
def test_no_reply_and_notifiers_are_never_staff(sender: str) -> None:
    settings = replace(STAFF, staff_addresses=("no-reply@partner.be",))
    result = staff_verdict(sender, _PASS + "Subject: Contactformulier\n", settings)
    assert result.klass == "complaint"


def test_other_domains_are_not_staff() -> None:
    result = staff_verdict("els@libmutov.be.evil.example", "Subject: Vraag\n")
    assert result.klass == "complaint"


def test_a_form_notification_from_an_ordinary_staff_address_is_a_complaint() -> None:
    """Issue 16: the website's notifications are never staff, built in, also
    when the website sends as "website@" of the fund's domain."""
    form = (
        "Eine neue Nachricht wurde über das Kontaktformular gesendet.\n\n"
        "Name: Greta Weber\nE-Mail: greta.weber@example.be\nPostleitzahl: 4780\n"
        "Nachricht: Seit drei Monaten warte ich auf die Rückerstattung.\n"
    )
    raw = f"From: website@libmutov.be\n{_PASS}Subject: Kontaktformular\n\n{form}"
    assert classify(parse_message(raw.encode()), STAFF, LOOKUP).klass == "complaint"
    # A coordinator quoting such a notification under a reply stays staff.
    quoted = "".join(f"> {line}\n" for line in form.splitlines())
    reply = f"From: els@libmutov.be\n{_PASS}Subject: Re: x\n\nGezien.\n\n{quoted}"
    assert classify(parse_message(reply.encode()), STAFF, LOOKUP).klass == "staff"
