"""The report as CSV: one long-format file, or a zip of one file per table.

The long format has the columns ``section,key,value``: every figure of the
JSON document, its path before the last key as the section
("received.by_channel", "previous_year.answer"), so a spreadsheet or script
can filter it without knowing the layout. Case lines (``--with-cases``) have
the section "cases.<number>".
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


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_long_csv(figures: Figures) -> str:
    """Every figure as one ``section,key,value`` row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "key", "value"))
    for section, key, value in long_rows(figures.to_dict()):
        writer.writerow((section, key, _text(value)))
    return out.getvalue()


def render_csv_zip(figures: Figures, language: str) -> bytes:
    """A zip holding one CSV per table (machine keys as the first column)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in build_tables(figures, language):
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(table.columns)
            writer.writerows([[_text(v) for v in row] for row in table.rows])
            archive.writestr(f"{table.name}.csv", out.getvalue())
    return buffer.getvalue()
