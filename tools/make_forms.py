"""Generate the shipped complaint forms from ingest.forms.fields.FIELDS.

Writes klachtenformulier-{nl,fr}.pdf (fillable AcroForm, A4) and
klachtenformulier-{nl,fr}.docx (a Label | value table of content controls)
into ingest/forms/assets/. Run from the repository root:

    python -m tools.make_forms [--out DIR]

The output is byte-for-byte reproducible, so regenerated assets only show up
in git when the field list or the layout really changed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import zipfile
from io import BytesIO
from pathlib import Path

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from ingest.forms.fields import (
    CATEGORY_LABELS_FR,
    DEFAULT_CATEGORIES,
    FIELDS,
    FormField,
)

ASSETS = Path(__file__).resolve().parents[1] / "ingest" / "forms" / "assets"
FUND = "LM — Liberale Mutualiteit"
ADDRESS = "klachten@libmutov.be"
# Where the form may be posted: the office the procedure names (the example
# config's first regional office).
POST = "LM Oost-Vlaanderen, Dienst klachtenbemiddeling, Brabantdam 109, 9000 Gent"
TEXTS = {
    "nl": {
        "title": "Klachtenformulier",
        "how": f"Vul dit formulier in en stuur het per e-mail naar {ADDRESS}.",
        "post": f"Of stuur het per post naar {POST}.",
        "placeholder": "Klik of tik om tekst in te voeren.",
        "lang": "nl-BE",
    },
    "fr": {
        "title": "Formulaire de plainte",
        "how": f"Remplissez ce formulaire et envoyez-le par e-mail à {ADDRESS}.",
        "post": f"Ou envoyez-le par la poste à {POST}.",
        "placeholder": "Cliquez ou appuyez ici pour entrer du texte.",
        "lang": "fr-BE",
    },
}
# A fixed moment for metadata and zip entries keeps the output reproducible.
FIXED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def category_options(language: str) -> list[tuple[str, str]]:
    """(shown label, export value) pairs; the export value is canonical."""
    if language == "fr":
        return [(CATEGORY_LABELS_FR.get(c, c), c) for c in DEFAULT_CATEGORIES]
    return [(c, c) for c in DEFAULT_CATEGORIES]


def make_pdf(language: str) -> bytes:
    """The fillable PDF form in ``language``, fields named by key."""
    text = TEXTS[language]
    out = BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1, lang=text["lang"])
    canvas.setTitle(f"{text['title']} — {FUND}")
    canvas.setAuthor(FUND)
    canvas.setSubject(f"klachtenformulier {language}")
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(40, 800, FUND)
    canvas.setFont("Helvetica-Bold", 20)
    canvas.drawString(40, 770, text["title"])
    canvas.setFont("Helvetica", 10)
    canvas.drawString(40, 750, text["how"])
    canvas.drawString(40, 736, text["post"])
    y = 715
    for field in FIELDS:
        height = 110 if field.multiline else 20
        y -= height
        canvas.setFont("Helvetica", 10)
        canvas.drawString(40, y + height - 14, f"{field.labels[language]}:")
        _widget(canvas, field, language, y, height)
        y -= 26 if field.key == "category" else 8  # room for the choices
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _widget(canvas: Canvas, field: FormField, language: str, y: float, h: float):
    canvas.acroForm.textfield(
        name=field.key, tooltip=field.labels[language], x=215, y=y, width=340,
        height=h, borderWidth=1, fontSize=10,
        fieldFlags="multiline" if field.multiline else "",
    )  # fmt: skip
    if field.key == "category":
        # reportlab cannot make a combo box without a preset value, and no
        # category should be preset: a text field with the choices printed.
        canvas.setFont("Helvetica", 7)
        shown = [label for label, _ in category_options(language)]
        half = (len(shown) + 1) // 2
        canvas.drawString(215, y - 8, " · ".join(shown[:half]) + " ·")
        canvas.drawString(215, y - 16, " · ".join(shown[half:]))


def make_docx(language: str) -> bytes:
    """The Word form in ``language``: a table with a content control a field."""
    text = TEXTS[language]
    document = docx.Document()
    props = document.core_properties
    props.language, props.title, props.author = text["lang"], text["title"], FUND
    props.created = props.modified = FIXED.replace(tzinfo=None)
    props.revision = 1
    document.add_paragraph(FUND)
    document.add_heading(text["title"], level=1)
    document.add_paragraph(text["how"])
    document.add_paragraph(text["post"])
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for field in FIELDS:
        row = table.add_row()
        row.cells[0].text = f"{field.labels[language]}:"
        _content_control(row.cells[1]._tc, field, language)
    out = BytesIO()
    document.save(out)
    return _fixed_zip(out.getvalue())


def _element(tag: str, **attrs: str):
    element = OxmlElement(tag)
    for name, value in attrs.items():
        element.set(qn(name), value)
    return element


def _content_control(tc, field: FormField, language: str) -> None:
    """Replace the cell's paragraph by a plain-text (or combo) content control."""
    for paragraph in tc.findall(qn("w:p")):
        tc.remove(paragraph)
    sdt, props = _element("w:sdt"), _element("w:sdtPr")
    props.append(_element("w:alias", **{"w:val": field.labels[language]}))
    props.append(_element("w:tag", **{"w:val": field.key}))
    props.append(_element("w:showingPlcHdr"))
    if field.key == "category":
        combo = _element("w:comboBox")
        for shown, value in category_options(language):
            item = {"w:displayText": shown, "w:value": value}
            combo.append(_element("w:listItem", **item))
        props.append(combo)
    else:
        props.append(
            _element("w:text", **{"w:multiLine": "1" if field.multiline else "0"})
        )
    content, paragraph, run = _element("w:sdtContent"), _element("w:p"), _element("w:r")
    placeholder = _element("w:t")
    placeholder.text = TEXTS[language]["placeholder"]
    run.append(placeholder)
    paragraph.append(run)
    content.append(paragraph)
    sdt.extend([props, content])
    tc.append(sdt)


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps so that the bytes do not vary."""
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def write_all(out_dir: Path) -> list[Path]:
    """Write the four forms into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for language in ("nl", "fr"):
        for suffix, make in (("pdf", make_pdf), ("docx", make_docx)):
            path = out_dir / f"klachtenformulier-{language}.{suffix}"
            path.write_bytes(make(language))
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ASSETS, help="output folder")
    args = parser.parse_args(argv)
    for path in write_all(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
