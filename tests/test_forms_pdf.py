"""PDF forms: shipped AcroForm forms filled, flattened text PDFs, bad PDFs."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from ingest.forms import read_attachment
from ingest.forms.fields import FIELD_KEYS
from tests.formfill import asset, dotted, fill_pdf, insz

VALID = dotted(insz("850730033"))
VALUES = {
    "name": "Jan Peeters",
    "member_number": "123-4567890-12",
    "insz": VALID,
    "street": "Kerkstraat 12 bus 3",
    "postcode": "9000",
    "city": "Gent",
    "phone": "0470 12 34 56",
    "email": "jan.peeters@example.be",
    "date": "12/03/2025",
    "category": "terugbetaling",
    "description": "Mijn factuur werd niet terugbetaald.\nIk belde al twee keer.",
    "desired_solution": "Terugbetaling van € 45,00.",
}


def values_of(result) -> dict[str, str]:
    return {key: field.value for key, field in result.fields.items()}


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_filled_shipped_pdf_round_trip(language: str) -> None:
    data = fill_pdf(asset(f"klachtenformulier-{language}.pdf"), VALUES)
    result = read_attachment("klacht.pdf", "application/pdf", data)
    assert result is not None
    assert result.kind == "pdf-form" and result.language == language
    assert values_of(result) == VALUES
    assert {f.source for f in result.fields.values()} == {"pdf-acroform"}
    assert {f.origin for f in result.fields.values()} == {"klacht.pdf"}
    assert result.flags == ()


def test_partly_filled_pdf_gives_only_filled_fields() -> None:
    data = fill_pdf(asset("klachtenformulier-fr.pdf"), {"name": "Marie Dubois"})
    result = read_attachment("plainte.pdf", "application/pdf", data)
    assert result is not None and values_of(result) == {"name": "Marie Dubois"}


def test_empty_shipped_form_has_no_values() -> None:
    result = read_attachment(
        "leeg.pdf", "application/pdf", asset("klachtenformulier-nl.pdf")
    )
    assert result is not None and result.fields == {}


def text_pdf(lines: list[tuple[str, str]], *, pages: int = 1) -> bytes:
    """A flattened form: labels and values drawn as text, no fields."""
    out = BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    for _ in range(pages):
        y = 800
        for label, value in lines:
            canvas.drawString(40, y, label)
            canvas.drawString(230, y, value)
            y -= 22
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_flattened_dutch_pdf_with_colons() -> None:
    data = text_pdf([
        ("Klachtenformulier", ""),
        ("Naam en voornaam:", "Jan Peeters"),
        ("Rijksregisternummer (INSZ):", VALID),
        ("Postcode:", "9000"),
        ("Gemeente:", "Gent"),
        ("E-mail:", "jan.peeters@example.be"),
        ("Omschrijving van de klacht:", "Factuur niet terugbetaald."),
        ("", "Al twee keer gebeld."),
        ("Gewenste oplossing:", "Terugbetaling."),
    ])  # fmt: skip
    result = read_attachment("scan.pdf", "application/pdf", data)
    assert result is not None and result.kind == "pdf-text"
    assert result.language == "nl"
    values = values_of(result)
    assert values["name"] == "Jan Peeters"
    assert values["insz"] == VALID
    assert values["postcode"] == "9000"
    assert values["email"] == "jan.peeters@example.be"
    assert values["description"] == "Factuur niet terugbetaald.\nAl twee keer gebeld."
    assert values["desired_solution"] == "Terugbetaling."
    assert {f.source for f in result.fields.values()} == {"pdf-text"}


def test_flattened_french_pdf_without_colons_and_odd_spacing() -> None:
    data = text_pdf([
        ("NOM  ET   PRÉNOM", "Marie Dubois"),
        ("Numéro de registre national (NISS)", VALID),
        ("Code postal", "1000"),
        ("Commune", "Bruxelles"),
        ("Adresse e-mail", "marie@example.be"),
    ])  # fmt: skip
    result = read_attachment("scan.pdf", "application/pdf", data)
    assert result is not None and result.language == "fr"
    assert values_of(result) == {
        "name": "Marie Dubois",
        "insz": VALID,
        "postcode": "1000",
        "city": "Bruxelles",
        "email": "marie@example.be",
    }


def test_label_broken_over_two_lines() -> None:
    data = text_pdf([
        ("Naam en voornaam:", "Jan Peeters"),
        ("Omschrijving van de", ""),
        ("klacht:", "De wachttijd was te lang."),
        ("Gewenste oplossing:", "Excuses."),
    ])  # fmt: skip
    result = read_attachment("scan.pdf", "application/pdf", data)
    assert result is not None
    assert values_of(result)["description"] == "De wachttijd was te lang."


def test_pdf_without_form_labels_is_not_a_form() -> None:
    data = text_pdf([("Factuur 2025-001", ""), ("Consultatie", "€ 30,00")])
    assert read_attachment("factuur.pdf", "application/pdf", data) is None


def test_only_max_pages_are_read() -> None:
    data = text_pdf([("Naam:", "Jan"), ("Postcode:", "9000")], pages=8)
    result = read_attachment("lang.pdf", "application/pdf", data, max_pages=2)
    assert result is not None
    assert result.notes == ("only the first 2 of 8 pages read",)


def test_encrypted_pdf_is_flagged_not_read() -> None:
    writer = PdfWriter(clone_from=PdfReader(BytesIO(fill_pdf(
        asset("klachtenformulier-nl.pdf"), {"name": "Jan Peeters"}
    ))))  # fmt: skip
    writer.encrypt(user_password="geheim", algorithm="RC4-128")
    out = BytesIO()
    writer.write(out)
    result = read_attachment("klacht.pdf", "application/pdf", out.getvalue())
    assert result is not None
    assert "attachment_encrypted" in result.flags
    assert "needs_review" in result.flags
    assert result.fields == {}
    assert result.notes and "encrypted" in result.notes[0]


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not a pdf",
        asset("klachtenformulier-nl.pdf")[:2000],
    ],
    ids=["garbage", "truncated"],
)
def test_corrupt_pdf_is_flagged(data: bytes) -> None:
    result = read_attachment("kapot.pdf", "application/pdf", data)
    assert result is not None
    assert "attachment_corrupt" in result.flags and result.fields == {}


def test_file_named_pdf_that_is_not_one_is_flagged_corrupt() -> None:
    result = read_attachment("klacht.pdf", "application/pdf", b"hello, world")
    assert result is not None and "attachment_corrupt" in result.flags


def test_pdf_recognised_by_content_whatever_its_name() -> None:
    data = fill_pdf(asset("klachtenformulier-nl.pdf"), {"name": "Jan Peeters"})
    result = read_attachment("bijlage.bin", "application/octet-stream", data)
    assert result is not None and result.kind == "pdf-form"


def test_shipped_pdf_fields_are_the_field_list() -> None:
    for language in ("nl", "fr"):
        reader = PdfReader(BytesIO(asset(f"klachtenformulier-{language}.pdf")))
        assert set(reader.get_fields()) == set(FIELD_KEYS)
        assert str(reader.trailer["/Root"]["/Lang"]).startswith(language)
