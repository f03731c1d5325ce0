"""Test helpers: fill the shipped forms the way a member's software would."""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from pathlib import Path

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from pypdf import PdfReader, PdfWriter

ASSETS = Path(__file__).resolve().parents[1] / "ingest" / "forms" / "assets"


def asset(name: str) -> bytes:
    """The bytes of a shipped form, e.g. ``asset("klachtenformulier-nl.pdf")``."""
    return (ASSETS / name).read_bytes()


def fill_pdf(template: bytes, values: Mapping[str, str]) -> bytes:
    """Fill AcroForm text fields by name, as a PDF viewer would."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(template)))
    writer.update_page_form_field_values(writer.pages[0], dict(values))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def fill_docx(template: bytes, values: Mapping[str, str]) -> bytes:
    """Type ``values`` into the content controls tagged with their key."""
    document = docx.Document(BytesIO(template))
    for sdt in document.element.body.iter(qn("w:sdt")):
        props = sdt.find(qn("w:sdtPr"))
        tag = props.find(qn("w:tag")).get(qn("w:val"))
        if tag not in values:
            continue
        placeholder = props.find(qn("w:showingPlcHdr"))
        if placeholder is not None:
            props.remove(placeholder)
        content = sdt.find(qn("w:sdtContent"))
        for child in list(content):
            content.remove(child)
        for line in values[tag].split("\n"):
            paragraph, run, text = (OxmlElement(t) for t in ("w:p", "w:r", "w:t"))
            text.text = line
            run.append(text)
            paragraph.append(run)
            content.append(paragraph)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def insz(nine: str, *, born_2000: bool = False) -> str:
    """A valid INSZ (11 digits) for YYMMDDXXX: 97 - (n mod 97), with a "2"
    before the nine digits for people born from 2000 on."""
    base = int(("2" if born_2000 else "") + nine)
    return f"{nine}{97 - base % 97:02d}"


def dotted(eleven: str) -> str:
    """YY.MM.DD-XXX.CC."""
    d = eleven
    return f"{d[0:2]}.{d[2:4]}.{d[4:6]}-{d[6:9]}.{d[9:11]}"
