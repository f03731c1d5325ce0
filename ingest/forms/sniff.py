"""What a file really is, from its first bytes rather than its name."""

from __future__ import annotations

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"\x1f\x8b", "archive"),
    (b"Rar!\x1a\x07", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"BZh", "archive"),
    (b"\xfd7zXZ\x00", "archive"),
)
_NAMED = {
    ".pdf": "pdf", "application/pdf": "pdf",
    ".docx": "zip", ".docm": "zip", ".zip": "zip",
    ".doc": "ole",
    ".jpg": "jpeg", ".jpeg": "jpeg", "image/jpeg": "jpeg",
    ".png": "png", "image/png": "png",
    ".tif": "tiff", ".tiff": "tiff", "image/tiff": "tiff",
}  # fmt: skip


def sniff(data: bytes) -> str:
    """The file type by content: pdf, zip, ole, jpeg, png, tiff, archive, other."""
    # Viewers accept a PDF header anywhere in the first kilobyte, so do we.
    if b"%PDF-" in data[:1024]:
        return "pdf"
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return "other"


def claimed_type(filename: str, content_type: str) -> str | None:
    """The type the name or MIME type claims, to notice a file that lies."""
    name = filename.lower()
    for suffix, kind in _NAMED.items():
        if suffix.startswith(".") and name.endswith(suffix):
            return kind
    return _NAMED.get(content_type.lower().split(";")[0].strip())
