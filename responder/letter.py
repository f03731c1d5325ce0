"""The acknowledgement as a printable A4 letter (PDF), for members without e-mail.

The layout follows the usual Belgian business letter for a window envelope with
the window on the right: the sender top left, the recipient's address where the
window of a folded (in three) letter shows it, then place and date, a bold
subject with the case number, and the body. Long bodies run on to further pages.

All text is escaped before it reaches reportlab, whose Paragraph markup is XML:
a member named "<b>&" must print as written, not as markup (or crash the job).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageTemplate,
    Paragraph,
    Spacer,
)

from config import Settings
from config.offices import office_address

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT, RIGHT, BOTTOM, TOP = 25 * mm, 20 * mm, 22 * mm, 20 * mm
# The address window of a window envelope (window right), measured on the letter.
WINDOW_X, WINDOW_TOP, WINDOW_WIDTH, WINDOW_HEIGHT = 110 * mm, 50 * mm, 85 * mm, 40 * mm
SENDER_TOP = 15 * mm
# The body of the first page starts below the address window.
FIRST_BODY_TOP = 100 * mm
# A letter folded in three: marks where to fold, as in most Belgian letterheads.
FOLD_MARKS = (99 * mm, 198 * mm)

# Helvetica only knows Western European letters; a member called Łukasz or
# Şahin must print correctly, so we embed DejaVu Sans where the system has it.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)
_FOOTER_SIZE = 8
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def render_letter_pdf(
    *,
    body_text: str,
    recipient_lines: Sequence[str],
    sender_lines: Sequence[str],
    place_date: str,
    subject: str,
) -> bytes:
    """Lay out a letter on A4 and return the PDF bytes.

    ``body_text`` is plain text: blank lines separate paragraphs, single newlines
    are kept as line breaks (an address block stays an address block).
    """
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=LEFT,
        rightMargin=RIGHT,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=_clean(subject),
        author=_clean(sender_lines[0]) if sender_lines else "",
    )
    styles = _styles()
    header = _Header(sender_lines, recipient_lines, subject, styles)
    doc.addPageTemplates(
        [
            PageTemplate("first", [_frame(FIRST_BODY_TOP)], onPage=header.first_page),
            PageTemplate("later", [_frame(TOP)], onPage=header.later_page),
        ]
    )
    doc.build(_story(body_text, place_date, subject, styles))
    return buffer.getvalue()


def sender_lines(
    settings: Settings, org: Any, regional_office: str | None
) -> list[str]:
    """The sender block: the case's regional office's address when it has one
    (it is where the member writes back), else the fund's `org_address`."""
    office = office_address(settings.cases.regional_offices, regional_office)
    if office:
        lines = [*office, org.from_address]
    else:
        address = settings.responder.org_address
        lines = [org.from_name, org.name, *address, org.from_address]
    return [*lines, org.phone] if org.phone else lines


def member_address_lines(member: Mapping[str, Any] | None) -> list[str]:
    """The postal address lines of a member dict (name, street, postcode, city),
    leaving out what is unknown."""
    if not member:
        return []
    place = " ".join(str(member[k]) for k in ("postcode", "city") if member.get(k))
    lines = [member.get("name"), member.get("street"), place]
    return [str(line) for line in lines if line]


def paragraph_markup(text: str) -> str:
    """One block of plain text as reportlab Paragraph markup: escaped, with its
    line breaks kept."""
    return "<br/>".join(escape(_clean(line)) for line in text.split("\n"))


def _story(
    body_text: str, place_date: str, subject: str, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    story: list[Flowable] = [
        NextPageTemplate("later"),
        Paragraph(paragraph_markup(place_date), styles["place_date"]),
        Spacer(0, 8 * mm),
        Paragraph(paragraph_markup(subject), styles["subject"]),
        Spacer(0, 6 * mm),
    ]
    blocks = re.split(r"\n[ \t]*\n", body_text.replace("\r\n", "\n").strip())
    body = styles["body"]
    story += [Paragraph(paragraph_markup(b), body) for b in blocks if b.strip()]
    return story


@cache
def _fonts() -> tuple[str, str]:
    """Names of the regular and bold font: DejaVu Sans if found, else Helvetica."""
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont("LetterSans", str(regular)))
            pdfmetrics.registerFont(TTFont("LetterSans-Bold", str(bold)))
            return "LetterSans", "LetterSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()
    base = ParagraphStyle("letter", fontName=regular, fontSize=10, leading=14)
    return {
        "base": base,
        "body": ParagraphStyle("body", parent=base, spaceAfter=8),
        "subject": ParagraphStyle("subject", parent=base, fontName=bold),
        "place_date": ParagraphStyle("place_date", parent=base, alignment=TA_RIGHT),
        "sender": ParagraphStyle("sender", parent=base, fontSize=8.5, leading=11),
    }


def _frame(top: float) -> Frame:
    width = PAGE_WIDTH - LEFT - RIGHT
    height = PAGE_HEIGHT - top - BOTTOM
    return Frame(LEFT, BOTTOM, width, height, leftPadding=0, rightPadding=0)


def _clean(text: str) -> str:
    """Tabs to spaces and no control characters: reportlab would print them as
    boxes, or refuse them in the XML markup."""
    return _CONTROL.sub("", text.replace("\t", "    "))


class _Header:
    """Draws what sits outside the flowing text: sender, address, marks, footer."""

    def __init__(
        self,
        sender: Sequence[str],
        recipient: Sequence[str],
        subject: str,
        styles: dict[str, ParagraphStyle],
    ) -> None:
        self.sender = Paragraph(paragraph_markup("\n".join(sender)), styles["sender"])
        self.recipient = Paragraph(
            paragraph_markup("\n".join(recipient)), styles["base"]
        )
        self.footer = _clean(" ".join(subject.split()))
        self.font = styles["base"].fontName

    def first_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        _draw_top_down(canvas, self.sender, LEFT, SENDER_TOP, WINDOW_X - LEFT - 5 * mm)
        # Padding inside the window, so no line touches its edge.
        inner = WINDOW_WIDTH - 10 * mm
        _draw_top_down(
            canvas, self.recipient, WINDOW_X + 5 * mm, WINDOW_TOP + 5 * mm, inner
        )
        canvas.saveState()
        canvas.setLineWidth(0.3)
        for y in FOLD_MARKS:
            canvas.line(5 * mm, PAGE_HEIGHT - y, 9 * mm, PAGE_HEIGHT - y)
        canvas.restoreState()
        self.later_page(canvas, doc)

    def later_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(self.font, _FOOTER_SIZE)
        canvas.drawString(LEFT, 12 * mm, self.footer[:110])
        canvas.drawRightString(PAGE_WIDTH - RIGHT, 12 * mm, str(doc.page))
        canvas.restoreState()


def _draw_top_down(
    canvas: Canvas, block: Paragraph, x: float, top: float, width: float
) -> None:
    """Draw ``block`` with its top edge ``top`` below the top of the page."""
    _, height = block.wrapOn(canvas, width, PAGE_HEIGHT)
    block.drawOn(canvas, x, PAGE_HEIGHT - top - height)
