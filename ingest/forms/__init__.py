"""Complaint forms: reading them from attachments and web-form mails.

``read_attachment`` looks at what a file really is (its first bytes), never
runs or unpacks anything beyond fixed limits, and says with flags why a file
was not read. The service runs it in worker processes with limits on time
and memory (``ingest.forms.pool``) for the files ``needs_worker`` names.
``read_webform`` reads notification mails. Validation and the merge with
what the mail itself tells live in ``validate`` and ``merge``.
"""

from __future__ import annotations

import zipfile
from io import BytesIO

from ingest.forms.ocr import OcrTools, ocr_image
from ingest.forms.result import FieldValue, FormResult, flagged
from ingest.forms.sniff import claimed_type, sniff
from ingest.forms.webform import read_webform
from store.vocabulary import Flag

__all__ = [
    "FieldValue",
    "FormResult",
    "OcrTools",
    "needs_worker",
    "read_attachment",
    "read_webform",
]

# Smaller images are logos and signatures, not scanned A4 pages.
MIN_SCAN_BYTES = 16 * 1024
_SUFFIX = {"jpeg": ".jpg", "png": ".png", "tiff": ".tif"}
# Files whose reading costs time or memory the sender controls.
_HEAVY = ("pdf", "zip")
# The whole document once unpacked (DOCX), in bytes really inflated.
MAX_UNPACKED = 50 * 1024 * 1024


def needs_worker(data: bytes) -> bool:
    """True for files read by pypdf, python-docx or OCR: PDF, zip, scans.

    The others (old Office files, archives, small images, anything else) are
    judged by their first bytes, which costs nothing.
    """
    kind = sniff(data)
    return kind in _HEAVY or (kind in _SUFFIX and len(data) >= MIN_SCAN_BYTES)


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def read_attachment(
    filename: str,
    content_type: str,
    data: bytes,
    *,
    ocr_timeout: float = 30.0,
    max_pages: int = 5,
    ocr: OcrTools | None = None,
    max_unpacked: int = MAX_UNPACKED,
) -> FormResult | None:
    """Read one attachment as a complaint form.

    Dispatches on the content (magic bytes); a file whose content contradicts
    its name is flagged corrupt. Returns None for files that are not forms.
    """
    kind = sniff(data)
    claimed = claimed_type(filename, content_type)
    tools = ocr or OcrTools()
    if kind == "pdf":
        # pypdf and python-docx cost about 22 MiB of memory: loaded at the
        # first form, not by every process that might meet one.
        from ingest.forms.pdf import read_pdf

        return read_pdf(
            data, filename, max_pages=max_pages, ocr=tools, ocr_timeout=ocr_timeout
        )
    if kind == "zip":
        return _read_zip(data, filename, max_unpacked)
    if kind == "ole":
        return _read_ole(data)
    if kind in _SUFFIX:
        if len(data) < MIN_SCAN_BYTES:
            return None
        return ocr_image(
            data, filename, _SUFFIX[kind], tools=tools, timeout=ocr_timeout
        )
    if kind == "archive":
        return _archive("compressed archive; not unpacked")
    if claimed in ("pdf", "zip", "ole"):
        note = f"named as {claimed.upper()} but the content is not one"
        return flagged("none", (Flag.ATTACHMENT_CORRUPT, Flag.NEEDS_REVIEW), note)
    return None


def _archive(note: str) -> FormResult:
    return flagged("none", (Flag.ATTACHMENT_ARCHIVE, Flag.NEEDS_REVIEW), note)


def _read_zip(data: bytes, filename: str, max_unpacked: int) -> FormResult | None:
    try:
        zf = zipfile.ZipFile(BytesIO(data))
        names = [name.lower() for name in zf.namelist()]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        note = f"zip container could not be read ({type(exc).__name__})"
        return flagged("none", (Flag.ATTACHMENT_CORRUPT, Flag.NEEDS_REVIEW), note)
    with zf:
        if any(name.endswith("vbaproject.bin") for name in names):
            note = "document contains macros (vbaProject.bin); not opened"
            return flagged("none", (Flag.ATTACHMENT_MACRO, Flag.NEEDS_REVIEW), note)
        if "word/document.xml" in names:
            from ingest.forms.word import read_docx

            return read_docx(zf, filename, max_unpacked=max_unpacked)
    if "[content_types].xml" in names or "mimetype" in names:
        return None  # a spreadsheet, presentation or ODF file: not our form
    return _archive(f"zip archive with {len(names)} members; not unpacked")


def _read_ole(data: bytes) -> FormResult | None:
    """Old binary Office files and encrypted new ones share this container."""
    if _utf16("EncryptedPackage") in data:
        note = "Office document is password protected; not read"
        return flagged("none", (Flag.ATTACHMENT_ENCRYPTED, Flag.NEEDS_REVIEW), note)
    if _utf16("_VBA_PROJECT") in data or _utf16("Macros") in data:
        note = "Office document contains macros; not opened"
        return flagged("none", (Flag.ATTACHMENT_MACRO, Flag.NEEDS_REVIEW), note)
    if _utf16("WordDocument") in data:
        note = "old Word format (.doc) is not read; open it by hand"
        return flagged("none", (Flag.NEEDS_REVIEW,), note)
    return None
