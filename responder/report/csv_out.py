"""The report as CSV: one long-format file, or a zip of one file per table.

The long format has the columns ``section,key,value``: every figure of the
JSON document, its path before the last key as the section
("received.by_channel", "previous_year.answer"), so a spreadsheet or script
can filter it without knowing the layout. Case lines (``--with-cases``) have
the section "cases.<number>".

Text cells that a spreadsheet would read as a formula (a category or a
member's name such as ``=HYPERLINK(...)``) get a leading apostrophe: see
`safe_cell`. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

from responder.report.figures import Figures
from responder.report.tables import build_tables


def long_rows(value: Any, section: str = "report") -> Iterator[tuple[str, str, Any]]:
    """(section, key, value) for every leaf of a JSON-like value."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list):
                yield from long_rows(item, _join(section, str(key)))
            else:
                yield section, str(key), item
    elif isinstance(value, list):
        for entry in value:
            name = entry.get("number", "") if isinstance(entry, dict) else ""
            yield from long_rows(entry, _join(section, str(name)))


def _join(section: str, key: str) -> str:
    return key if section == "report" else f"{section}.{key}"


# What makes Excel, LibreOffice or Google Sheets start a formula (OWASP "CSV
# injection"): =, +, - and @, and tab or carriage return before one of them.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """`text` with a leading apostrophe when a spreadsheet would run it."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _text(value: Any) -> str:
    """A cell: numbers as they are, text made safe for spreadsheets."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return safe_cell(str(value))


def render_long_csv(figures: Figures) -> str:
    """Every figure as one ``section,key,value`` row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "key", "value"))
    for section, key, value in long_rows(figures.to_dict()):
        writer.writerow((safe_cell(section), safe_cell(key), _text(value)))
    return out.getvalue()


def render_csv_zip(figures: Figures, language: str) -> bytes:
    """A zip holding one CSV per table (machine keys as the first column)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in build_tables(figures, language):
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow([_text(column) for column in table.columns])
            writer.writerows([[_text(v) for v in row] for row in table.rows])
            archive.writestr(f"{table.name}.csv", out.getvalue())
    return buffer.getvalue()
