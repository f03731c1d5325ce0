"""Reading complaint forms from PDF: AcroForm values, else the text layer,
else (no text at all) OCR of the rendered pages."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader
from pypdf.generic import ArrayObject, NameObject

from ingest.forms.fields import FIELD_KEYS, LANGUAGES
from ingest.forms.labels import key_for_label, parse_labelled
from ingest.forms.ocr import OcrTools, ocr_pdf
from ingest.forms.result import FormResult, flagged, make_result
from store.vocabulary import Flag

# Fewer recognised labels than this and the text is not taken for a form.
MIN_TEXT_LABELS = 2


def read_pdf(
    data: bytes, origin: str, *, max_pages: int, ocr: OcrTools, ocr_timeout: float
) -> FormResult | None:
    """Read a PDF attachment as a complaint form.

    Encrypted and unreadable PDFs give a flagged result without fields; a PDF
    with text but no form labels gives None (it is not a form).
    """
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:  # pypdf raises many kinds on damaged files
        return _corrupt(exc)
    if encrypted:
        note = "PDF is encrypted or password protected; not read"
        return flagged("none", (Flag.ATTACHMENT_ENCRYPTED, Flag.NEEDS_REVIEW), note)
    try:
        return _read_open(reader, data, origin, max_pages, ocr, ocr_timeout)
    except Exception as exc:
        return _corrupt(exc)


def _corrupt(exc: Exception) -> FormResult:
    note = f"PDF could not be read ({type(exc).__name__})"
    return flagged("none", (Flag.ATTACHMENT_CORRUPT, Flag.NEEDS_REVIEW), note)


def _read_open(
    reader: PdfReader,
    data: bytes,
    origin: str,
    max_pages: int,
    ocr: OcrTools,
    ocr_timeout: float,
) -> FormResult | None:
    total = len(reader.pages)
    pages = min(total, max_pages)
    notes = (f"only the first {pages} of {total} pages read",) if total > pages else ()
    values = _acroform_values(reader)
    if values:
        language = _catalog_language(reader) or _text_language(reader)
        return make_result(
            "pdf-form", language, values, source="pdf-acroform", origin=origin,
            notes=notes,
        )  # fmt: skip
    # Text extraction is the slow part: a form shows its labels on the first
    # pages, so a PDF without any there (an invoice, a letter) is not read on.
    head = [reader.pages[i].extract_text() or "" for i in range(min(pages, 2))]
    seen = parse_labelled("\n".join(head)).labels_seen
    if "".join(head).strip() and len(seen) < MIN_TEXT_LABELS:
        return None
    rest = [reader.pages[i].extract_text() or "" for i in range(len(head), pages)]
    text = "\n".join(head + rest)
    parsed = parse_labelled(text)
    language = _catalog_language(reader) or parsed.language
    if text.strip():
        if len(parsed.labels_seen) < MIN_TEXT_LABELS:
            return None
        return make_result(
            "pdf-text", language, parsed.values, source="pdf-text", origin=origin,
            notes=notes,
        )  # fmt: skip
    return ocr_pdf(
        data, origin, pages=pages, tools=ocr, timeout=ocr_timeout, notes=notes
    )


def _text_language(reader: PdfReader) -> str | None:
    """The language the first page's labels are written in."""
    return parse_labelled(reader.pages[0].extract_text() or "").language


def _catalog_language(reader: PdfReader) -> str | None:
    lang = str(reader.trailer["/Root"].get("/Lang", ""))[:2].lower()
    return lang if lang in LANGUAGES else None


def _acroform_values(reader: PdfReader) -> dict[str, str]:
    """Text and choice values of the form fields that name a known field."""
    values: dict[str, str] = {}
    for name, spec in (reader.get_fields() or {}).items():
        key = _field_key(name, str(spec.get("/TU", "")))
        value = spec.get("/V")
        if key is None or value is None or isinstance(value, NameObject):
            continue  # unknown field, empty, or a check box state
        if isinstance(value, ArrayObject):
            value = ", ".join(str(v) for v in value)
        text = str(value).strip()
        if text and key not in values:
            values[key] = text
    return values


def _field_key(name: str, tooltip: str) -> str | None:
    # Our forms name fields by key; other forms by a label, or a tooltip.
    leaf = name.rsplit(".", 1)[-1]
    if leaf in FIELD_KEYS:
        return leaf
    return key_for_label(leaf) or (key_for_label(tooltip) if tooltip else None)
