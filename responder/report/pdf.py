"""The report as a PDF (reportlab): the same tables, and bar charts drawn with
reportlab.graphics.

Text from the data goes into Paragraphs escaped (reportlab reads a small
markup language in Paragraphs) or into table cells as plain strings.
DejaVu Sans is used where installed, so every Unicode name prints; otherwise
the standard Helvetica.
"""

from __future__ import annotations

import io
import math
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from responder.report import labels
from responder.report.figures import Figures
from responder.report.stats import ANSWER_BUCKETS
from responder.report.tables import Table, build_tables

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
BAR = colors.HexColor("#2f5d8a")
WIDTH = A4[0] - 32 * mm


@cache
def _fonts() -> tuple[str, str]:
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if not (regular.is_file() and bold.is_file()):
        return "Helvetica", "Helvetica-Bold"
    pdfmetrics.registerFont(TTFont("ReportSans", str(regular)))
    pdfmetrics.registerFont(TTFont("ReportSans-Bold", str(bold)))
    return "ReportSans", "ReportSans-Bold"


def _styles() -> dict[str, ParagraphStyle]:
    font, bold = _fonts()
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", base["Title"], fontName=bold, alignment=0),
        "h2": ParagraphStyle("h", base["Heading2"], fontName=bold),
        "body": ParagraphStyle("b", base["BodyText"], fontName=font),
        "notice": ParagraphStyle(
            "n", base["BodyText"], fontName=bold, textColor=colors.red
        ),
    }


def render_pdf(figures: Figures, language: str, generated: str) -> bytes:
    """The whole report as PDF bytes."""
    styles = _styles()
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=labels.text(language, "title", year=figures.year),
    )
    story: list[Flowable] = [
        Paragraph(
            escape(labels.text(language, "title", year=figures.year)), styles["title"]
        ),
        Paragraph(
            escape(
                labels.text(
                    language, "generated", date=generated, cutoff=figures.cutoff[:10]
                )
            ),
            styles["body"],
        ),
    ]
    if figures.cases is not None:
        story.append(
            Paragraph(escape(labels.text(language, "internal")), styles["notice"])
        )
    story.append(Spacer(1, 4 * mm))
    story.extend(_charts(figures, language, styles))
    for table in build_tables(figures, language):
        story.extend(_table(table, language, styles))
    document.build(story)
    return out.getvalue()


def _cell(key: object, value: object, language: str) -> str:
    if key in ("share_within", "share_founded"):
        return labels.percent(value if isinstance(value, float) else None)
    if isinstance(value, float):
        return labels.number(value, language)
    return "—" if value is None else str(value)


def _table(
    table: Table, language: str, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    font, bold = _fonts()
    heading = Paragraph(escape(table.title), styles["h2"])
    rows = [list(table.headers)] + [
        [
            label,
            *(
                _cell(column if column.startswith("share") else row[0], v, language)
                for column, v in zip(table.columns[1:], row[1:], strict=True)
            ),
        ]
        for label, row in zip(table.labels, table.rows, strict=True)
    ]
    if table.name == "measures":  # free text: wrapped, escaped as data
        rows = [rows[0]] + [
            [*row[:-1], Paragraph(escape(str(row[-1])), styles["body"])]
            for row in rows[1:]
        ]
    widths = [40 * mm, 40 * mm, 90 * mm] if table.name == "measures" else None
    body = PdfTable(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    body.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 8 if table.name == "cases" else 9),
                ("FONT", (0, 0), (-1, 0), bold),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    if table.name == "cases":  # a long case list runs over pages
        return [PageBreak(), heading, body]
    return [KeepTogether([heading, body])]


def _bar_chart(
    title: str,
    names: list[str],
    values: list[int],
    styles: dict[str, ParagraphStyle],
    horizontal: bool = False,
) -> Flowable:
    height = max(60, 16 * len(values)) + 30 if horizontal else 170
    drawing = Drawing(WIDTH, height)
    chart = HorizontalBarChart() if horizontal else VerticalBarChart()
    left = 150 if horizontal else 30
    chart.x, chart.y = left, 20
    chart.width, chart.height = WIDTH - left - 20, height - 35
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = [n[:30] for n in names] or [""]
    chart.categoryAxis.labels.fontName = _fonts()[0]
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    # Whole steps: a count of 3 cases has no tick at 2.5.
    chart.valueAxis.valueStep = max(1, math.ceil(max([1, *values]) / 5))
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = BAR
    drawing.add(chart)
    return KeepTogether([Paragraph(escape(title), styles["h2"]), drawing])


def _charts(
    figures: Figures, language: str, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    cur = figures.current
    months = cur.received["by_month"]
    categories = cur.received["by_category"]
    distribution = cur.answer.distribution or {}
    return [
        _bar_chart(
            labels.text(language, "chart_months"),
            list(labels.MONTHS_SHORT[language]),
            [months[m] for m in range(1, 13)],
            styles,
        ),
        _bar_chart(
            labels.text(language, "chart_categories"),
            [
                labels.name(language, k) if k == "unset" else figures.label(language, k)
                for k in categories
            ],
            list(categories.values()),
            styles,
            horizontal=True,
        ),
        _bar_chart(
            labels.text(language, "chart_answer"),
            [key for key, _, _ in ANSWER_BUCKETS],
            [distribution.get(key, 0) for key, _, _ in ANSWER_BUCKETS],
            styles,
        ),
        PageBreak(),
    ]
