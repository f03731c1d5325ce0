"""Reading scanned forms with Tesseract, and PDF pages rendered by pdftoppm.

Both programs run as subprocesses with a timeout per page, in a private
temporary directory; nothing from the file is executed. OCR values are never
trusted blindly: every OCR result asks for review.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ingest.forms.labels import ParsedText, parse_labelled
from ingest.forms.result import FormResult, make_result
from store.vocabulary import Flag


@dataclass(frozen=True)
class OcrTools:
    """Where the OCR programs are; tests point these at missing binaries."""

    tesseract: str = "tesseract"
    pdftoppm: str = "pdftoppm"
    languages: str = "nld+fra"
    resolution: int = 200
    # "One column of text of variable sizes": keeps a label and the value
    # beside it on one line, where the automatic layout splits the columns.
    page_segmentation: int = 4


class _OcrTrouble(Exception):
    """OCR could not run or finish; the args are (flags, note)."""


def _unavailable(program: str) -> _OcrTrouble:
    return _OcrTrouble(
        (Flag.NEEDS_REVIEW, Flag.OCR_UNAVAILABLE),
        f"OCR not installed: {program} not found",
    )


def _run(argv: list[str], timeout: float) -> str:
    if shutil.which(argv[0]) is None:
        raise _unavailable(Path(argv[0]).name)
    # One thread each: several pages in parallel should not starve the daemon.
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=timeout, check=False, env=env
        )
    except subprocess.TimeoutExpired as exc:
        note = f"OCR stopped after {timeout:g} s: {Path(argv[0]).name} took too long"
        raise _OcrTrouble((Flag.NEEDS_REVIEW,), note) from exc
    except OSError as exc:  # not executable, out of resources
        raise _OcrTrouble(
            (Flag.NEEDS_REVIEW,), f"{Path(argv[0]).name} could not run"
        ) from exc
    if done.returncode != 0:
        raise _OcrTrouble((Flag.NEEDS_REVIEW,), f"{Path(argv[0]).name} failed")
    return done.stdout.decode("utf-8", "replace")


def _tesseract(tools: OcrTools, image: Path, timeout: float) -> str:
    argv = [tools.tesseract, str(image), "stdout", "-l", tools.languages]
    return _run([*argv, "--psm", str(tools.page_segmentation)], timeout)


def _result(parsed: ParsedText, origin: str, notes: tuple[str, ...]) -> FormResult:
    values = dict(parsed.values)
    if "email" in values:  # OCR likes to see a space after "@" or a dot
        values["email"] = "".join(values["email"].split())
    return make_result(
        "ocr",
        parsed.language,
        values,
        source="ocr",
        origin=origin,
        flags=(Flag.NEEDS_REVIEW,),
        notes=(*notes, "values read by OCR, check them against the scan"),
    )


def _trouble(exc: _OcrTrouble) -> FormResult:
    flags, note = exc.args
    return FormResult(kind="ocr", language=None, flags=flags, notes=(note,))


def ocr_image(
    data: bytes, origin: str, suffix: str, *, tools: OcrTools, timeout: float
) -> FormResult:
    """OCR one image file (JPEG, PNG, TIFF) and read its labels."""
    with tempfile.TemporaryDirectory(prefix="klachten-ocr-") as tmp:
        path = Path(tmp) / f"scan{suffix}"
        path.write_bytes(data)
        try:
            text = _tesseract(tools, path, timeout)
        except _OcrTrouble as exc:
            return _trouble(exc)
    return _result(parse_labelled(text), origin, ())


def ocr_pdf(
    data: bytes,
    origin: str,
    *,
    pages: int,
    tools: OcrTools,
    timeout: float,
    notes: tuple[str, ...] = (),
) -> FormResult:
    """Render the first ``pages`` pages of a PDF without text and OCR them."""
    with tempfile.TemporaryDirectory(prefix="klachten-ocr-") as tmp:
        pdf = Path(tmp) / "scan.pdf"
        pdf.write_bytes(data)
        render = [tools.pdftoppm, "-r", str(tools.resolution), "-png"]
        render += ["-f", "1", "-l", str(pages), str(pdf), str(Path(tmp) / "page")]
        try:
            if shutil.which(tools.tesseract) is None:
                raise _unavailable(Path(tools.tesseract).name)
            _run(render, timeout * pages)
            texts = [
                _tesseract(tools, image, timeout)
                for image in sorted(Path(tmp).glob("page*.png"))[:pages]
            ]
        except _OcrTrouble as exc:
            return _trouble(exc)
    return _result(parse_labelled("\n".join(texts)), origin, notes)
