"""Word forms: the shipped DOCX filled in, DOCX made by hand, unsafe files."""

from __future__ import annotations

import zipfile
from io import BytesIO

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from ingest.forms import read_attachment
from ingest.forms.fields import FIELD_KEYS
from tests.formfill import asset, dotted, fill_docx, insz

VALID = dotted(insz("010203123", born_2000=True))
VALUES = {
    "name": "Marie Dubois",
    "insz": VALID,
    "postcode": "1000",
    "email": "marie@example.be",
    "category": "remboursement",
    "description": "Ligne un.\nLigne deux.",
}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def values_of(result) -> dict[str, str]:
    return {key: field.value for key, field in result.fields.items()}


def saved(document) -> bytes:
    out = BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_filled_shipped_docx_round_trip(language: str) -> None:
    data = fill_docx(asset(f"klachtenformulier-{language}.docx"), VALUES)
    result = read_attachment("klacht.docx", DOCX_TYPE, data)
    assert result is not None
    assert result.kind == "docx" and result.language == language
    assert values_of(result) == VALUES
    assert {f.source for f in result.fields.values()} == {"docx-control"}


def test_untouched_shipped_docx_has_no_values() -> None:
    # The placeholders ("Klik of tik ...") must not be read as answers.
    result = read_attachment("leeg.docx", DOCX_TYPE, asset("klachtenformulier-nl.docx"))
    assert result is not None and result.fields == {}


def test_shipped_docx_controls_are_the_field_list() -> None:
    document = docx.Document(BytesIO(asset("klachtenformulier-fr.docx")))
    tags = [
        sdt.find(qn("w:sdtPr")).find(qn("w:tag")).get(qn("w:val"))
        for sdt in document.element.body.iter(qn("w:sdt"))
    ]
    assert tags == list(FIELD_KEYS)


def test_label_value_table() -> None:
    document = docx.Document()
    document.add_paragraph("Klachtenformulier")
    table = document.add_table(rows=0, cols=2)
    for label, value in [
        ("Naam en voornaam", "Jan Peeters"),
        ("Lidnummer:", "123456"),
        ("Rijksregisternummer", VALID),
        ("Telefoon *", "0470 12 34 56"),
        ("Omschrijving van de klacht", "Te lang gewacht.\nGeen antwoord."),
    ]:
        row = table.add_row()
        row.cells[0].text, row.cells[1].text = label, value
    result = read_attachment("klacht.docx", DOCX_TYPE, saved(document))
    assert result is not None and result.language == "nl"
    assert values_of(result) == {
        "name": "Jan Peeters",
        "member_number": "123456",
        "insz": VALID,
        "phone": "0470 12 34 56",
        "description": "Te lang gewacht.\nGeen antwoord.",
    }
    assert {f.source for f in result.fields.values()} == {"docx-table"}


def test_label_colon_paragraphs() -> None:
    document = docx.Document()
    document.core_properties.language = "fr-BE"
    for line in [
        "Formulaire de plainte",
        "Nom et prénom : Marie Dubois",
        "Code postal: 1000",
        "Courriel : marie@example.be",
        "Description de la plainte :",
        "Mon remboursement est en retard.",
        "Date des faits : janvier.",
    ]:
        document.add_paragraph(line)
    result = read_attachment("plainte.docx", DOCX_TYPE, saved(document))
    assert result is not None and result.language == "fr"
    values = values_of(result)
    assert values["name"] == "Marie Dubois"
    assert values["email"] == "marie@example.be"
    # "Date des faits :" is no label: it stays part of the description.
    assert values["description"] == (
        "Mon remboursement est en retard.\nDate des faits : janvier."
    )
    assert {f.source for f in result.fields.values()} == {"docx-text"}


def content_control(tag: str, alias: str, text: str):
    sdt, props, content = (OxmlElement(t) for t in ("w:sdt", "w:sdtPr", "w:sdtContent"))
    for name, value in (("w:alias", alias), ("w:tag", tag)):
        if value:
            element = OxmlElement(name)
            element.set(qn("w:val"), value)
            props.append(element)
    paragraph, run, t = (OxmlElement(n) for n in ("w:p", "w:r", "w:t"))
    t.text = text
    run.append(t)
    paragraph.append(run)
    content.append(paragraph)
    sdt.extend([props, content])
    return sdt


def test_content_controls_by_tag_or_title_win_over_text() -> None:
    document = docx.Document()
    body = document.element.body
    body.insert(0, content_control("email", "", "jan@example.be"))
    body.insert(1, content_control("", "Naam en voornaam", "Jan Peeters"))
    body.insert(2, content_control("Postcode", "", "9000"))
    body.insert(3, content_control("iets-anders", "Opmerking", "niet lezen"))
    document.add_paragraph("Naam: Iemand Anders")
    result = read_attachment("klacht.docx", DOCX_TYPE, saved(document))
    assert result is not None
    assert values_of(result) == {
        "email": "jan@example.be",
        "name": "Jan Peeters",
        "postcode": "9000",
    }
    assert result.fields["name"].source == "docx-control"


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_docm_with_macros_is_flagged_not_opened() -> None:
    base = fill_docx(asset("klachtenformulier-nl.docx"), {"name": "Jan"})
    with zipfile.ZipFile(BytesIO(base)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 fake macro storage"
    result = read_attachment(
        "klacht.docm", "application/vnd.ms-word", zip_bytes(members)
    )
    assert result is not None
    assert "attachment_macro" in result.flags and result.fields == {}


def test_zip_archive_is_never_unpacked() -> None:
    data = zip_bytes({"klacht.pdf": asset("klachtenformulier-nl.pdf")})
    result = read_attachment("bijlagen.zip", "application/zip", data)
    assert result is not None
    assert "attachment_archive" in result.flags and result.fields == {}


def test_docx_over_the_size_limit_is_flagged() -> None:
    base = asset("klachtenformulier-nl.docx")
    with zipfile.ZipFile(BytesIO(base)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["word/media/filler.bin"] = bytes(21 * 1024 * 1024)
    data = zip_bytes(members)
    assert len(data) < 1024 * 1024  # small on the wire, big once unpacked
    result = read_attachment(
        "klacht.docx", DOCX_TYPE, data, max_unpacked=20 * 1024 * 1024
    )
    assert result is not None and "attachment_too_large" in result.flags
    assert read_attachment("klacht.docx", DOCX_TYPE, data).kind == "docx"


def test_corrupt_docx_is_flagged() -> None:
    data = asset("klachtenformulier-nl.docx")[:3000]
    result = read_attachment("klacht.docx", DOCX_TYPE, data)
    assert result is not None and "attachment_corrupt" in result.flags


def test_docx_with_broken_xml_is_flagged() -> None:
    with zipfile.ZipFile(BytesIO(asset("klachtenformulier-nl.docx"))) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["word/document.xml"] = b"<w:document><unclosed>"
    result = read_attachment("klacht.docx", DOCX_TYPE, zip_bytes(members))
    assert result is not None and "attachment_corrupt" in result.flags


def test_spreadsheet_is_not_a_form() -> None:
    data = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<x/>"})
    assert read_attachment("lijst.xlsx", "application/octet-stream", data) is None


def ole(*streams: str) -> bytes:
    """The bits of an OLE container the reader looks at: magic and names."""
    names = b"".join(s.encode("utf-16-le") + b"\0\0" for s in streams)
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + names


def test_old_office_files() -> None:
    encrypted = read_attachment(
        "k.docx", DOCX_TYPE, ole("EncryptionInfo", "EncryptedPackage")
    )
    assert encrypted is not None and "attachment_encrypted" in encrypted.flags
    macro = read_attachment(
        "k.doc", "application/msword", ole("WordDocument", "Macros", "_VBA_PROJECT")
    )
    assert macro is not None and "attachment_macro" in macro.flags
    plain = read_attachment(
        "k.doc", "application/msword", ole("WordDocument", "1Table")
    )
    assert plain is not None and plain.flags == ("needs_review",)
    assert read_attachment("k.xls", "application/vnd.ms-excel", ole("Workbook")) is None
