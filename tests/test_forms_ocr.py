"""Scanned forms: OCR with Tesseract when installed, a clear flag when not."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from ingest.forms import OcrTools, read_attachment
from tests.formfill import asset, dotted, fill_pdf, insz

MISSING = OcrTools(tesseract="/nonexistent/tesseract", pdftoppm="/nonexistent/pdftoppm")
VALID = dotted(insz("850730033"))


def _ocr_ready() -> str | None:
    """Why real OCR tests cannot run here, or None when they can."""
    for program in ("tesseract", "pdftoppm"):
        if shutil.which(program) is None:
            return (
                f"{program} not installed (apt-get install tesseract-ocr poppler-utils)"
            )
    langs = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, check=False
    ).stdout.split()
    missing = {"nld", "fra"} - set(langs)
    if missing:
        return f"tesseract languages missing: {sorted(missing)}"
    return None


needs_ocr = pytest.mark.skipif(_ocr_ready() is not None, reason=_ocr_ready() or "")


def blank_pdf() -> bytes:
    """A PDF page with a drawing but no text layer at all."""
    out = BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    canvas.rect(40, 40, 500, 700)
    canvas.save()
    return out.getvalue()


def test_image_without_tesseract_is_flagged() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(20_000)
    result = read_attachment("scan.png", "image/png", png, ocr=MISSING)
    assert result is not None and result.kind == "ocr"
    assert result.flags == ("needs_review", "ocr_unavailable")
    assert result.notes == ("OCR not installed: tesseract not found",)


def test_pdf_without_text_and_without_tesseract_is_flagged() -> None:
    result = read_attachment("scan.pdf", "application/pdf", blank_pdf(), ocr=MISSING)
    assert result is not None and result.kind == "ocr"
    assert result.flags == ("needs_review", "ocr_unavailable")
    assert result.notes == ("OCR not installed: tesseract not found",)


def test_small_images_are_logos_not_forms() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(2_000)
    assert read_attachment("logo.png", "image/png", png, ocr=MISSING) is None


def render(pdf: bytes, tmp_path: Path, fmt: str) -> bytes:
    """Render page 1 of ``pdf`` as a 200 dpi scan with pdftoppm."""
    source = tmp_path / "form.pdf"
    source.write_bytes(pdf)
    argv = ["pdftoppm", "-r", "200", f"-{fmt}", "-singlefile", str(source)]
    subprocess.run([*argv, str(tmp_path / "scan")], check=True, timeout=60)
    return next(tmp_path.glob("scan.*")).read_bytes()


FILLED = {
    "name": "Jan Peeters",
    "insz": VALID,
    "postcode": "9000",
    "email": "jan.peeters@example.be",
    "description": "De factuur werd niet terugbetaald.",
}


@needs_ocr
@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("png", "image/png"), ("jpeg", "image/jpeg"), ("tiff", "image/tiff")],
)
def test_scanned_dutch_form_is_read_by_ocr(tmp_path: Path, fmt: str, mime: str) -> None:
    scan = render(fill_pdf(asset("klachtenformulier-nl.pdf"), FILLED), tmp_path, fmt)
    result = read_attachment(f"scan.{fmt}", mime, scan)
    assert result is not None and result.kind == "ocr"
    assert result.language == "nl"
    assert "needs_review" in result.flags
    values = {k: v.value for k, v in result.fields.items()}
    assert values["name"] == "Jan Peeters"
    assert values["insz"] == VALID
    assert values["postcode"] == "9000"
    assert values["email"] == "jan.peeters@example.be"
    assert "category" not in values  # the printed choices are not an answer
    assert {v.source for v in result.fields.values()} == {"ocr"}


@needs_ocr
def test_image_only_french_pdf_is_rendered_and_read(tmp_path: Path) -> None:
    values = {"name": "Marie Dubois", "postcode": "1000", "city": "Bruxelles"}
    scan = render(fill_pdf(asset("klachtenformulier-fr.pdf"), values), tmp_path, "png")
    out = BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    canvas.drawImage(ImageReader(BytesIO(scan)), 0, 0, *A4)
    canvas.save()
    result = read_attachment("scan.pdf", "application/pdf", out.getvalue())
    assert result is not None and result.kind == "ocr" and result.language == "fr"
    assert {k: v.value for k, v in result.fields.items()} == values


@needs_ocr
def test_ocr_timeout_asks_for_review(tmp_path: Path) -> None:
    scan = render(fill_pdf(asset("klachtenformulier-nl.pdf"), FILLED), tmp_path, "png")
    result = read_attachment("scan.png", "image/png", scan, ocr_timeout=0.01)
    assert result is not None and result.kind == "ocr"
    assert result.flags == ("needs_review",) and result.fields == {}
    assert "took too long" in result.notes[0]
