"""Merging the sender's details with form values (pure)."""

from __future__ import annotations

from types import MappingProxyType

from ingest.forms.merge import is_no_reply, merge_member
from ingest.forms.result import FieldValue, FormResult
from tests.formfill import dotted, insz


def form(language: str | None = "nl", **values: str) -> FormResult:
    fields = {k: FieldValue(k, v, "pdf-acroform", "f.pdf") for k, v in values.items()}
    return FormResult("pdf-form", language, MappingProxyType(fields))


def test_form_fields_take_precedence_and_conflicting_email_is_recorded() -> None:
    outcome = merge_member(
        "J. Peeters", "jp@work.example", "fr",
        [form(name="Jan Peeters", email="jan@example.be")],
    )  # fmt: skip
    assert outcome.member.name == "Jan Peeters"
    assert outcome.member.email == "jan@example.be"
    assert outcome.conflicts == (("email", "jp@work.example", "jan@example.be"),)
    assert outcome.language == "nl"  # the form's, not the text's


def test_same_email_in_other_case_is_no_conflict() -> None:
    outcome = merge_member(None, "Jan@Example.be", None, [form(email="jan@example.be")])
    assert outcome.conflicts == ()


def test_without_forms_the_sender_is_the_member() -> None:
    outcome = merge_member("Jan Peeters", "jan@example.be", "fr", [])
    assert outcome.member.name == "Jan Peeters"
    assert outcome.member.email == "jan@example.be"
    assert outcome.language == "fr"
    assert outcome.flags == ()


def test_language_falls_back_to_the_configured_default() -> None:
    outcome = merge_member(None, "jan@example.be", None, [form(language=None)])
    assert outcome.language == "nl"
    outcome = merge_member(None, "a@example.be", None, [], default_language="fr")
    assert outcome.language == "fr"


def test_no_reply_sender_without_form_address_is_flagged() -> None:
    outcome = merge_member("Website", "noreply@libmutov.be", None, [form(name="X")])
    assert outcome.member.email is None
    assert "no_contact_address" in outcome.flags


def test_invalid_form_email_keeps_the_sender() -> None:
    outcome = merge_member(None, "jan@example.be", None, [form(email="jan@")])
    assert outcome.member.email == "jan@example.be"
    assert "email_invalid" in outcome.flags


def test_valid_insz_is_formatted() -> None:
    outcome = merge_member(None, None, None, [form(insz=insz("850730033"))])
    assert outcome.member.insz == dotted(insz("850730033"))
    assert outcome.member.insz_valid is True
    assert "insz_invalid" not in outcome.flags


def test_invalid_insz_is_kept_as_typed_and_flagged() -> None:
    outcome = merge_member(None, None, None, [form(insz="85.07.30-033.00")])
    assert outcome.member.insz == "85.07.30-033.00"
    assert outcome.member.insz_valid is False
    assert "insz_invalid" in outcome.flags


def test_postcode_phone_and_category() -> None:
    outcome = merge_member(
        None, None, None,
        [form(postcode="999", phone="0470 12 34 56", category="  TERUGBETALING ")],
    )  # fmt: skip
    assert outcome.member.postcode == "999"
    assert "postcode_invalid" in outcome.flags
    assert outcome.member.phone == "+32470123456"
    assert outcome.category == "terugbetaling"


def test_french_category_and_unknown_category() -> None:
    known = merge_member(
        None, None, None, [form("fr", category="Incapacité de travail")]
    )
    assert known.category == "arbeidsongeschiktheid"
    unknown = merge_member(None, None, None, [form(category="parking")])
    assert unknown.category is None  # free text is no category
    assert "category_unknown" in unknown.flags
    german = merge_member(None, None, None, [form("de", category="Erstattung")])
    assert german.category == "terugbetaling"
    configured = merge_member(
        None, None, None, [form(category="Parking")], categories=("parking",)
    )
    assert configured.category == "parking"
    assert "category_unknown" not in configured.flags


def test_unusable_phone_is_kept_and_flagged() -> None:
    outcome = merge_member(None, None, None, [form(phone="bel na 18u")])
    assert outcome.member.phone == "bel na 18u"
    assert "phone_invalid" in outcome.flags


def test_first_form_wins_and_disagreement_is_flagged() -> None:
    flagged = FormResult("none", None, flags=("attachment_encrypted",))
    outcome = merge_member(
        None, None, None, [form(name="Jan"), form(name="Piet"), flagged]
    )
    assert outcome.member.name == "Jan"
    assert "forms_disagree" in outcome.flags
    assert "attachment_encrypted" in outcome.flags


def test_no_reply_recognition() -> None:
    assert is_no_reply("no-reply@libmutov.be")
    assert is_no_reply("NoReply+eloket@example.be")
    assert is_no_reply("ne-pas-repondre@example.be")
    assert not is_no_reply("jan.noreply@example.be")
    assert not is_no_reply("jan@example.be")
    assert not is_no_reply(None)
