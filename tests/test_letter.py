"""The printable acknowledgement letter: read back from the PDF with pypdf."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pypdf
import pytest

from responder import letter
from responder.dates import date_long
from responder.letter import member_address_lines, render_letter_pdf
from responder.render import build_environment, render_mail
from tests.test_templates import member_context

NUMBER = "KL-2026-00042"  # the number member_context() gives the case
SENDER = ["LM - Liberale Mutualiteit", "Klachtendienst", "klachten@libmutov.be"]


def build(lang: str = "nl", name: str = "Anna Peeters", repeat: int = 1) -> bytes:
    """The letter as the service would build it, from the letter template."""
    values = member_context(name, subject=None, channel="letter", language=lang)
    mail = render_mail(build_environment(), "member", "letter", lang, values)
    return render_letter_pdf(
        body_text="\n\n".join([mail.text] * repeat),
        recipient_lines=member_address_lines(values["case"]["member"]),
        sender_lines=SENDER,
        place_date="Gent, " + date_long(datetime(2026, 11, 30, tzinfo=UTC), lang),
        subject=mail.subject,
    )


def pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


@pytest.mark.parametrize(
    ("lang", "street", "city"),
    [
        ("nl", "Livornostraat 25", "1050 Brussel"),
        ("fr", "rue de Livourne 25", "1050 Bruxelles"),
        ("de", "Livornostraat 25", "1050 Brüssel"),
        ("en", "Livornostraat 25", "1050 Brussel"),
    ],
)
def test_letter_holds_number_and_ombudsdienst(lang, street, city):
    pdf = build(lang)
    assert pdf.startswith(b"%PDF")
    pages, text = pdf_text(pdf)
    assert pages == 1
    assert NUMBER in text
    assert street in text
    assert city in text
    assert "Kerkstraat 1" in text and "9000 Gent" in text
    assert "klachten@libmutov.be" in text


def test_letter_in_dutch_has_subject_date_and_place():
    _, text = pdf_text(build("nl"))
    assert f"Ontvangstmelding van uw klacht {NUMBER}" in text
    assert "Gent, 30 november 2026" in text
    assert "uiterlijk op 12 januari 2027" in text
    assert "briefwisseling" in text


def test_markup_in_names_is_printed_as_written():
    _, text = pdf_text(build("nl", name="<b>Jan</b> & Zoon <br/>"))
    assert "<b>Jan</b> & Zoon <br/>" in text


def test_long_body_runs_on_to_more_pages():
    pages, text = pdf_text(build("nl", repeat=6))
    assert pages >= 2
    assert text.count("Livornostraat 25") == 6


def test_long_words_and_control_characters_do_not_break_the_layout():
    pdf = render_letter_pdf(
        body_text="A" * 400 + "\n\nTab\there\x00 and a bell\x07.",
        recipient_lines=["Iemand"],
        sender_lines=SENDER,
        place_date="Gent, 30 november 2026",
        subject=f"Ontvangstmelding {NUMBER}",
    )
    _, text = pdf_text(pdf)
    assert text.replace("\n", "").count("A" * 400) == 1
    assert "Tab here and a bell." in text


def test_letters_outside_latin_1_print_when_dejavu_is_installed():
    if letter._fonts()[0] == "Helvetica":
        pytest.skip("DejaVu Sans not installed: Helvetica cannot print Ł")
    _, text = pdf_text(build("nl", name="Łukasz Şahin"))
    assert "Łukasz Şahin" in text


@pytest.mark.parametrize(
    ("member", "lines"),
    [
        (
            {
                "name": "An",
                "street": "Kerkstraat 1",
                "postcode": "9000",
                "city": "Gent",
            },
            ["An", "Kerkstraat 1", "9000 Gent"],
        ),
        (
            {"name": "An", "street": None, "postcode": None, "city": "Gent"},
            ["An", "Gent"],
        ),
        ({"name": None, "street": None, "postcode": None, "city": None}, []),
        (None, []),
    ],
)
def test_member_address_lines(member, lines):
    assert member_address_lines(member) == lines


@pytest.mark.parametrize(
    ("lang", "promised"),
    [("nl", "30 werkdagen"), ("fr", "30 jours ouvrables"), ("de", "30 Werktagen")],
)
def test_letter_promises_the_configured_terms(lang: str, promised: str) -> None:
    values = member_context("Anna", subject=None, channel="letter", language=lang)
    values["procedure"] = {"ack_days": 10, "answer_days": 30, "day_kind": "business"}
    mail = render_mail(build_environment(), "member", "letter", lang, values)
    assert promised in " ".join(mail.text.split())
    assert "45" not in mail.text
