"""Reading complaint forms from Word files (DOCX) without running anything.

Values come from content controls first (tag or title = field key or label),
then from label/value tables, then from "Label: waarde" paragraphs. The zip
is checked before python-docx opens it: too many members or too many bytes
once unpacked, and the file is not read. The bytes once unpacked are the ones
really inflated (ingest/forms/unzip.py), not the sizes the zip declares:
python-docx only sees a copy of the members as they really are.
"""

from __future__ import annotations

import zipfile
from io import BytesIO

import docx
from docx.oxml.ns import qn

from ingest.forms.fields import FIELD_KEYS, LANGUAGES
from ingest.forms.labels import ParsedText, match_label, parse_labelled
from ingest.forms.result import FieldValue, FormResult, flagged
from ingest.forms.unzip import (
    TooMuchData,
    UnsupportedMember,
    inflate_members,
    stored_zip,
)
from store.vocabulary import Flag

MAX_MEMBERS = 1000
MAX_UNPACKED = 50 * 1024 * 1024
_TOO_LARGE = (Flag.ATTACHMENT_TOO_LARGE, Flag.NEEDS_REVIEW)


def zip_problem(zf: zipfile.ZipFile, cap: int = MAX_UNPACKED) -> FormResult | None:
    """A flagged result when a zip says it is too big to open safely, else None.

    Only a first look: the sizes are the zip's own claims. `unpacked` counts
    what really comes out.
    """
    infos = zf.infolist()
    size = sum(info.file_size for info in infos)
    if len(infos) > MAX_MEMBERS or size > cap:
        note = f"{len(infos)} members, {size} bytes unpacked: over the limits"
        return flagged("none", _TOO_LARGE, note)
    return None


def unpacked(zf: zipfile.ZipFile, cap: int) -> bytes | FormResult:
    """The document re-packed without compression, or why it cannot be."""
    try:
        members = inflate_members(zf, cap)
    except TooMuchData:
        note = f"more than {cap} bytes once unpacked: over the limit"
        return flagged("none", _TOO_LARGE, note)
    except (UnsupportedMember, zipfile.BadZipFile, OSError, EOFError) as exc:
        note = f"Word file could not be unpacked ({type(exc).__name__})"
        return flagged("none", (Flag.ATTACHMENT_CORRUPT, Flag.NEEDS_REVIEW), note)
    return stored_zip(members)


def read_docx(
    zf: zipfile.ZipFile, origin: str, *, max_unpacked: int = MAX_UNPACKED
) -> FormResult:
    """Read a DOCX (already checked for macros) as a form."""
    problem = zip_problem(zf, max_unpacked)
    if problem:
        return problem
    package = unpacked(zf, max_unpacked)
    if isinstance(package, FormResult):
        return package
    try:
        document = docx.Document(BytesIO(package))
    except Exception as exc:  # python-docx/lxml raise many kinds on bad files
        note = f"Word file could not be read ({type(exc).__name__})"
        return flagged("none", (Flag.ATTACHMENT_CORRUPT, Flag.NEEDS_REVIEW), note)
    found: dict[str, FieldValue] = {}
    votes = ParsedText()
    for source, key, value in _values(document, votes):
        if value and key not in found:
            found[key] = FieldValue(key, value, source, origin)
    return FormResult(
        kind="docx",
        language=_declared_language(document) or votes.language,
        fields=found,
    )


def _values(document, votes: ParsedText):
    """(source, key, value) triples in order of trust."""
    body = document.element.body
    for sdt in body.iter(qn("w:sdt")):
        hit = _control(sdt, votes)
        if hit:
            yield ("docx-control", *hit)
    for table in document.tables:
        for row in table.rows:
            yield from (("docx-table", k, v) for k, v in _row(row, votes))
    text = "\n".join(p.text for p in document.paragraphs)
    parsed = parse_labelled(text, strict=True)
    votes.votes.update(parsed.votes)
    yield from (("docx-text", k, v) for k, v in parsed.values.items())


def _prop(props, name: str) -> str:
    element = props.find(qn(name)) if props is not None else None
    return element.get(qn("w:val"), "") if element is not None else ""


def _control(sdt, votes: ParsedText) -> tuple[str, str] | None:
    props = sdt.find(qn("w:sdtPr"))
    if props is None or props.find(qn("w:showingPlcHdr")) is not None:
        return None  # still showing its "click here" placeholder
    tag, alias = _prop(props, "w:tag"), _prop(props, "w:alias")
    key = tag if tag in FIELD_KEYS else None
    for label in (alias, tag):
        m = match_label(label) if label and not key else None
        if m and not m.rest:
            key = m.label.key
    if alias:
        m = match_label(alias)
        if m and m.label.language:
            votes.votes[m.label.language] += 1
    content = sdt.find(qn("w:sdtContent"))
    if key is None or content is None:
        return None
    paragraphs = list(content.iter(qn("w:p"))) or [content]
    return key, "\n".join(_text(p) for p in paragraphs).strip()


def _row(row, votes: ParsedText):
    cells = []
    for cell in row.cells:  # merged cells come back once per grid column
        if not cells or cell._tc is not cells[-1]._tc:
            cells.append(cell)
    if len(cells) >= 2:
        m = match_label(cells[0].text.strip())
        if m and not m.rest.strip(":"):
            if m.label.language:
                votes.votes[m.label.language] += 1
            yield m.label.key, _cell_text(cells[1])
            return
    for cell in cells:  # "Naam: Jan Peeters" inside one cell
        parsed = parse_labelled(_cell_text(cell), strict=True)
        votes.votes.update(parsed.votes)
        yield from parsed.values.items()


def _cell_text(cell) -> str:
    """The cell's text without the placeholder of an untouched control."""
    paragraphs = cell._tc.iter(qn("w:p"))
    return "\n".join(_text(p, skip_placeholders=True) for p in paragraphs).strip()


_BREAKS = {qn("w:br"): "\n", qn("w:cr"): "\n", qn("w:tab"): "\t"}


def _text(paragraph, *, skip_placeholders: bool = False) -> str:
    """A paragraph's text, with its line breaks and tabs."""
    parts = []
    for element in paragraph.iter(qn("w:t"), *_BREAKS):
        if skip_placeholders and _placeholder(element):
            continue
        parts.append(_BREAKS.get(element.tag) or element.text or "")
    return "".join(parts)


def _placeholder(element) -> bool:
    for ancestor in element.iterancestors(qn("w:sdt")):
        props = ancestor.find(qn("w:sdtPr"))
        if props is not None and props.find(qn("w:showingPlcHdr")) is not None:
            return True
    return False


def _declared_language(document) -> str | None:
    lang = (document.core_properties.language or "")[:2].lower()
    return lang if lang in LANGUAGES else None
