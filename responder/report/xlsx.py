"""The report as a workbook (openpyxl): one sheet per table.

Values stay numbers (a reader sums them); only the first column is words.
Text starting with "=" is stored as a string cell, not a formula, so a
category from an e-mail can never become one.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from responder.report import labels
from responder.report.figures import Figures
from responder.report.tables import build_tables


def _append(sheet: Any, values: list[Any]) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"  # openpyxl would otherwise write a formula


def render_xlsx(figures: Figures, language: str) -> bytes:
    """The workbook as bytes; the first sheet says whether it holds personal data."""
    book = Workbook()
    sheet = book.active
    sheet.title = "info"
    sheet.append([labels.text(language, "title", year=figures.year)])
    sheet.append([labels.text(language, "subtitle")])
    if figures.cases is not None:
        sheet.append([labels.text(language, "internal")])
        sheet["A3"].font = Font(bold=True, color="C0504D")
    sheet["A1"].font = Font(bold=True, size=14)
    for table in build_tables(figures, language):
        page = book.create_sheet(table.name[:31])
        _append(page, [table.title])
        page["A1"].font = Font(bold=True)
        _append(page, list(table.headers))
        for row in table.human_rows():
            _append(page, row)
        page.column_dimensions["A"].width = 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
