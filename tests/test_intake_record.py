"""From a parsed, classified message to the store record (pure, no servers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.classify import (
    ClassifierSettings,
    Verdict,
    classify,
    number_pattern_from_format,
)
from ingest.inbound_builder import Forms, RecordOptions, build_record, read_forms
from ingest.incoming import Incoming
from ingest.parse import parse_message
from tests.intake_mail import complaint

OPTIONS = RecordOptions(own_addresses=("klachten@libmutov.be",))
WEBFORM = """\
Er werd een nieuw bericht verstuurd via het contactformulier op de website.

Naam: Els Janssens
E-mailadres: els.janssens@example.be
Postcode: 9000
Gemeente: Gent
Bericht: Mijn factuur werd niet terugbetaald.
"""
COMPLAINT = Verdict("complaint", "no rule matched: a new complaint")


def _record(raw: bytes, verdict: Verdict = COMPLAINT):
    msg = parse_message(raw)
    item = Incoming(raw=raw, received_at=datetime.now(UTC), source="imap", key=1)
    return build_record(item, msg, verdict, read_forms(msg, verdict, OPTIONS), OPTIONS)


def test_plain_mail_acknowledges_the_reply_to_address() -> None:
    record = _record(complaint(headers={"Reply-To": "jan@thuis.example.be"}))
    assert record.new_case is not None
    assert record.new_case.channel == "email"
    assert record.acknowledge_to == "jan@thuis.example.be"
    assert record.new_case.flags == ()


def test_website_notification_is_a_contact_form_case() -> None:
    raw = complaint(
        sender="no-reply@libmutov.be", subject="Contactformulier", body=WEBFORM
    )
    record = _record(raw)
    case = record.new_case
    assert case is not None and case.channel == "contact-form"
    assert case.member.name == "Els Janssens"
    assert case.member.city == "Gent"
    assert record.acknowledge_to == "els.janssens@example.be"
    assert {f.key for f in record.form_fields} >= {"name", "email", "city"}
    assert [e.kind for e in record.events] == ["form_read"]


def test_eloket_notification_and_a_conflicting_address() -> None:
    raw = complaint(
        sender="eloket@libmutov.be", subject="Melding e-loket", body=WEBFORM
    )
    assert _record(raw).new_case.channel == "e-loket"
    member_mail = _record(complaint(body=WEBFORM))  # sent by the member himself
    assert member_mail.new_case.channel == "email"
    [conflict] = [e for e in member_mail.events if e.kind == "form_conflict"]
    assert conflict.details == {
        "field": "email",
        "from_email": "jan.peeters@example.be",
        "from_form": "els.janssens@example.be",
    }


class _NoCases:
    """A store without cases: every mail here is new."""

    def case_for_message_ids(self, message_ids: object) -> None:
        return None

    def case_exists(self, number: str) -> bool:
        return False

    def member_email(self, number: str) -> None:
        return None


# The fund's people write from libmutov.be; so does its website.
STAFF = ClassifierSettings(
    number_pattern=number_pattern_from_format("KL-{year}-{seq:05d}"),
    trusted_authserv_ids=("libmutov.be",),
    own_addresses=("klachten@libmutov.be",),
    staff_domains=("libmutov.be",),
)
DMARC_PASS = {
    "Authentication-Results": "mx.libmutov.be; dmarc=pass header.from=libmutov.be"
}


def _classified_record(raw: bytes):
    verdict = classify(parse_message(raw), STAFF, _NoCases())
    return verdict, _record(raw, verdict)


@pytest.mark.parametrize(
    ("sender", "subject", "channel"),
    [
        (
            "website@libmutov.be",
            "Nieuw bericht via het contactformulier",
            "contact-form",
        ),
        ("info@libmutov.be", "Nieuwe melding via het e-Loket", "e-loket"),
    ],
)
def test_notification_from_an_ordinary_fund_address_keeps_its_channel(
    sender: str, subject: str, channel: str
) -> None:
    """Issue 16: the website sends as an ordinary address of the fund's own
    domain; its notification is the member's complaint by the form channel,
    not by e-mail, as one from a no-reply address is."""
    raw = complaint(
        sender=sender, name="Website LM", subject=subject, body=WEBFORM,
        headers=DMARC_PASS,
    )  # fmt: skip
    verdict, record = _classified_record(raw)
    assert (verdict.klass, verdict.form_notification) == ("complaint", True)
    case = record.new_case
    assert case is not None and case.channel == channel
    assert case.member.name == "Els Janssens"
    assert case.member.email == "els.janssens@example.be"
    assert record.acknowledge_to == "els.janssens@example.be"
    # The website's address is no member's: no conflict with the typed one.
    assert [e.kind for e in record.events] == ["form_read"]


def test_a_form_pasted_by_a_member_or_quoted_by_staff_is_no_notification() -> None:
    verdict, record = _classified_record(complaint(body=WEBFORM))
    assert not verdict.form_notification
    assert record.new_case is not None and record.new_case.channel == "email"
    quoted = "".join(f"> {line}\n" for line in WEBFORM.splitlines())
    reply = complaint(
        sender="els@libmutov.be", name="Els Claes", subject="Re: Contactformulier",
        body=f"Gezien, ik neem het op.\n\n{quoted}", headers=DMARC_PASS,
    )  # fmt: skip
    verdict, record = _classified_record(reply)
    assert (verdict.klass, verdict.form_notification) == ("staff", False)
    assert record.new_case is None


def test_dmarc_failure_flags_the_case_for_review() -> None:
    verdict = Verdict(
        "complaint",
        "no rule matched: a new complaint",
        sender_unverified=True,
        sender_unverified_reason="DMARC failed according to libmutov.be",
    )
    record = _record(complaint(), verdict)
    assert set(record.new_case.flags) >= {"sender_unverified", "needs_review"}
    assert record.acknowledge_to == "jan.peeters@example.be"  # delivery decides
    assert record.events[0].kind == "sender_unverified"


def test_machine_mail_and_follow_ups_open_no_case() -> None:
    bounce = _record(complaint(), Verdict("bounce", "daemon sender"))
    assert bounce.new_case is None and bounce.acknowledge_to is None
    assert bounce.follow_up_number is None
    follow = _record(
        complaint(), Verdict("follow_up", "case number in subject", "KL-2026-00001")
    )
    assert follow.new_case is None and follow.follow_up_number == "KL-2026-00001"
    assert follow.acknowledge_to is None


def test_forms_are_not_read_from_machine_mail() -> None:
    msg = parse_message(complaint(body=WEBFORM))
    assert read_forms(msg, Verdict("list", "List-Id"), OPTIONS) == Forms()
