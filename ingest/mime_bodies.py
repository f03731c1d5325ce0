"""Bodies and attachments: the text parts and the files of a message tree.

File names are decoded (RFC 2231/2047) and sanitised here.
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import re
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import Message
from io import BytesIO

from mailparser.utils import mime_header_view

from ingest.mime_headers import (
    decode_bytes,
    decode_header_value,
)
from ingest.mime_runs import NO_RUNS, Runs


@dataclass(frozen=True)
class RawAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class _Body:
    plain: str = ""
    html: str = ""
    attachments: list[RawAttachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    runs: Runs = NO_RUNS


_MAX_DEPTH = 40
# Lone surrogates are unsafe too: no file system or database takes them.
_UNSAFE_NAME = re.compile(
    r'[\x00-\x1f\x7f-\x9f<>:"|?*\u200b-\u200f\u202a-\u202e\u2066-\u2069'
    r"\ud800-\udfff]"
)
MAX_FILENAME = 200


def extract_body(msg: Message, runs: Runs = NO_RUNS) -> _Body:
    """Collect the text/plain and text/html bodies and the attachments.

    `runs`: the base64 runs that placeholders in `msg` stand for.
    """
    body = _Body(runs=runs)
    plain: list[str] = []
    html: list[str] = []
    _visit(msg, body, plain, html, depth=0)
    body.plain = "\n\n".join(t for t in plain if t.strip()).strip()
    body.html = "\n".join(html)
    return body


def _visit(
    part: Message, body: _Body, plain: list[str], html: list[str], depth: int
) -> None:
    """One part; a part the standard library cannot read is kept as bytes."""
    try:
        _visit_part(part, body, plain, html, depth)
    except RecursionError:
        raise
    except Exception as exc:  # email's decoders trip over hostile parameters
        body.defects.append(f"part unreadable ({type(exc).__name__}), kept as bytes")
        body.runs.restore_part(part)
        raw = part._payload  # the undecoded body, whatever get_payload() made of it
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
        number = len(body.attachments) + 1
        body.attachments.append(
            RawAttachment(
                filename=sanitise_filename("", number, "application/octet-stream"),
                content_type="application/octet-stream",
                data=data,
            )
        )


def _visit_part(
    part: Message, body: _Body, plain: list[str], html: list[str], depth: int
) -> None:
    ctype = part.get_content_type()
    if ctype.startswith("message/") or depth > _MAX_DEPTH:
        body.attachments.append(_to_attachment(part, len(body.attachments), body))
    elif part.is_multipart():
        for child in part.get_payload():
            if isinstance(child, Message):
                _visit(child, body, plain, html, depth + 1)
    elif ctype.startswith("multipart/"):
        # Boundaries missing: the parser kept the whole body as one string.
        # The member's words are in there, so keep it as text.
        body.defects.append("multipart without parts kept as text")
        plain.append(decode_bytes(_payload(part, body.runs), _charset(part))[0])
    elif ctype in ("text/plain", "text/html") and not _is_attachment(part):
        text, defect = decode_bytes(_payload(part, body.runs), _charset(part))
        if defect:
            body.defects.append(defect)
        (plain if ctype == "text/plain" else html).append(text)
    else:
        body.attachments.append(_to_attachment(part, len(body.attachments), body))


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or bool(_raw_filename(part))


def _charset(part: Message) -> str | None:
    charset = part.get_param("charset")
    if isinstance(charset, tuple):  # RFC 2231 form
        charset = charset[2]
    return str(charset) if charset else None


def _payload(part: Message, runs: Runs) -> bytes:
    try:
        encoded = part.get_payload()
    except (TypeError, LookupError, UnicodeError):
        # The standard library decodes 8-bit bytes with the charset parameter
        # as given: an RFC 2231 charset is a tuple, and codecs such as idna
        # cannot "replace". Take the raw bytes.
        runs.restore_part(part)
        raw = part._payload  # what get_payload() failed on
        return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    if str(part.get("content-transfer-encoding", "")).strip().lower() == "base64":
        # get_payload(decode=True) makes three copies of a big attachment
        # (encode, splitlines, join), b64decode one (encode); a2b_base64
        # reads the string, or the raw bytes a placeholder stands for, as it
        # is. Damaged base64 goes the lenient way below, which records
        # nothing worse than before.
        with contextlib.suppress(binascii.Error, ValueError):
            if isinstance(encoded, str):
                return runs.decode_base64(encoded)
    runs.restore_part(part)
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _raw_filename(part: Message) -> str:
    try:
        # mail-parser's header view decodes raw 8-bit parameter bytes, which
        # compat32's get_filename() would turn into replacement characters.
        name = mime_header_view(part)[0].get_filename()
    except (ValueError, LookupError, UnicodeError):
        return ""
    return decode_header_value(str(name)) if name else ""


def _to_attachment(part: Message, index: int, body: _Body) -> RawAttachment:
    ctype = part.get_content_type()
    if part.is_multipart():
        body.runs.restore_part(part)
        try:
            data = b"".join(_as_bytes(p) for p in part.get_payload())
        except Exception:  # the serialiser of a broken tree has no fixed error set
            body.defects.append(f"attachment {index + 1} could not be serialised")
            data = b""
    else:
        data = _payload(part, body.runs)
    name = sanitise_filename(_raw_filename(part), index + 1, ctype)
    return RawAttachment(filename=name, content_type=ctype, data=data)


class _Flattener(BytesGenerator):
    """Message.as_bytes(), but a missing boundary is made from the text.

    The standard library draws it at random, and a parse must give the same
    attachment bytes every time.
    """

    @classmethod
    def _make_boundary(cls, text: bytes | str | None = None) -> str:
        seed = text or b""
        if isinstance(seed, str):
            seed = seed.encode("utf-8", "surrogateescape")
        boundary = "=" * 15 + hashlib.sha256(seed).hexdigest()[:19] + "=="
        found, counter = boundary, 0
        while text is not None and cls._compile_re(
            "^--" + re.escape(found) + "(--)?$", re.MULTILINE
        ).search(text):
            found, counter = f"{boundary}.{counter}", counter + 1
        return found


def _as_bytes(part: Message) -> bytes:
    out = BytesIO()
    _Flattener(out, mangle_from_=False, policy=part.policy).flatten(part)
    return out.getvalue()


def sanitise_filename(name: str, number: int = 1, content_type: str = "") -> str:
    """A safe base name: no directories, '..', control characters; <= 200 chars."""
    base = re.split(r"[/\\]", name)[-1]
    base = _UNSAFE_NAME.sub("_", base)
    base = re.sub(r"\.{2,}", ".", " ".join(base.split())).strip(" .")
    if not base:
        suffix = ".eml" if content_type.startswith("message/") else ".bin"
        return f"attachment-{number}{suffix}"
    if len(base) > MAX_FILENAME:
        _, dot, ext = base.rpartition(".")
        keep = f".{ext}" if dot and 0 < len(ext) <= 16 else ""
        base = base[: MAX_FILENAME - len(keep)].rstrip(" .") + keep
    return base
