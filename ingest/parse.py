"""Parse raw message bytes into an immutable ParsedMessage.

mail-parser builds the message tree (with its guard against nesting bombs) and
lists the MIME defects. Headers, bodies and attachments are then read from that
tree with our own decoding, because mail-parser drops undecodable header bytes
instead of replacing them, invents random names for nameless attachments (a
pure function must give the same answer twice) and decodes windows-1252 text
labelled iso-8859-1 into control characters.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import email.header
import email.utils
import hashlib
import logging
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.feedparser import BytesFeedParser
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import compat32

import mailparser
from mailparser.exceptions import MailParserError
from mailparser.utils import mime_header_view

from ingest.htmltext import html_to_text
from ingest.language import guess_language
from ingest.replies import split_reply

# mail-parser logs undecodable header values (file names, Received lines) in
# clear at ERROR level; those hold names and addresses, which must not reach
# our logs. The level is set on the loggers that write, not only on their
# parent, because the service's logging set-up resets "mailparser" itself.
for _name in ("mailparser", "mailparser.core", "mailparser.utils"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class ParsedAttachment:
    """One attachment: sanitised name, declared type and the decoded bytes."""

    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class ParsedMessage:
    """Everything later stages need from one message, decoded and immutable."""

    raw: bytes = field(repr=False)
    sha256: str
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: str | None
    from_name: str | None
    reply_to: str | None
    return_path: str | None
    to: tuple[str, ...]
    subject: str
    date: datetime | None
    text: str = field(repr=False)
    new_text: str = field(repr=False)
    language: str | None
    attachments: tuple[ParsedAttachment, ...] = field(repr=False)
    headers: Mapping[str, tuple[str, ...]] = field(repr=False, hash=False)
    defects: tuple[str, ...]

    @property
    def contact_address(self) -> str | None:
        """The address to answer: Reply-To when given, else From."""
        return self.reply_to or self.from_address

    def header(self, name: str) -> str | None:
        """The first decoded value of header ``name`` (any case), or None."""
        values = self.headers.get(name.lower())
        return values[0] if values else None


class UnparseableMessage(Exception):
    """The bytes are not an e-mail message at all (empty, no header fields)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse ``raw`` (exactly as received) into a ParsedMessage.

    Never raises for a damaged message: undecodable bytes are replaced and the
    damage is listed in ``defects``. Raises UnparseableMessage only when the
    bytes hold no header fields at all.
    """
    data, defects = _normalise(raw)
    if not data.strip():
        raise UnparseableMessage("empty message")
    msg, parser_defects = _build_tree(data)
    if not msg.keys():
        raise UnparseableMessage("no header fields")
    headers = _decoded_headers(msg)
    body = _extract_body(msg)
    text = body.plain or html_to_text(body.html)
    new_text = split_reply(text)
    subject = " ".join(_first(headers, "subject").split())
    return ParsedMessage(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        message_id=_message_id(_first(headers, "message-id")),
        in_reply_to=_message_ids(_first(headers, "in-reply-to")),
        references=_message_ids(" ".join(headers.get("references", ()))),
        from_address=_first_address(msg, "from")[1],
        from_name=_first_address(msg, "from")[0],
        reply_to=_first_address(msg, "reply-to")[1],
        return_path=_return_path(msg),
        to=tuple(addr for _, addr in _addresses(msg, "to")),
        subject=subject,
        date=_date(_first(headers, "date")),
        text=text,
        new_text=new_text,
        language=guess_language(f"{subject}\n{new_text}"),
        attachments=tuple(_attachment(a) for a in body.attachments),
        headers=types.MappingProxyType(headers),
        defects=tuple(defects + parser_defects + body.defects),
    )


_MBOX_LINE = re.compile(rb"From [^\s:]+ [^\n]*\n")
_LONE_CR = re.compile(rb"\r(?!\n)")
# RFC 5322 section 4.5.3 (obsolete syntax) allows blanks before the colon.
_OBS_FIELD = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.MULTILINE)
# The feed parser takes the message this much at a time (see _feed).
_CHUNK = 1 << 16


def _normalise(raw: bytes) -> tuple[bytes, list[str]]:
    """Undo the transport quirks the parser cannot cope with (not for storage)."""
    defects: list[str] = []
    data = raw.lstrip(b"\r\n")
    if _LONE_CR.search(data):
        # Old Mac (or mixed) line endings: the parser splits on LF and CRLF only.
        data = _LONE_CR.sub(b"\n", data)
        defects.append("CR-only line endings")
    mbox = _MBOX_LINE.match(data)
    if mbox:
        data = data[mbox.end() :]
        defects.append("mbox From_ line")
    head, sep, rest = (
        data.partition(b"\n\n")
        if b"\r\n\r\n" not in data
        else (data.partition(b"\r\n\r\n"))
    )
    fixed = _OBS_FIELD.sub(rb"\1:", head)
    if fixed != head:
        data = fixed + sep + rest
        defects.append("blanks before header colon")
    return data, defects


def _build_tree(data: bytes) -> tuple[Message, list[str]]:
    """Parse with mail-parser, falling back to the standard library."""
    try:
        parser = mailparser.MailParser._parse_guarded(lambda: _feed(data))
    except MailParserError:
        # The body nests too deeply to walk; the headers still classify it.
        msg = BytesHeaderParser(policy=compat32).parsebytes(data)
        return msg, ["nesting too deep: body not parsed"]
    except Exception as exc:
        # A bug in mail-parser on odd input (seen: AttributeError on an
        # epilogue) must not lose the message; the stdlib tree is as good.
        msg = BytesParser(policy=compat32).parsebytes(data)
        found = sorted({type(d).__name__ for p in msg.walk() for d in p.defects})
        return msg, [f"mail-parser failed: {type(exc).__name__}", *found]
    return parser.message, sorted(parser.defects_categories)


def _feed(data: bytes) -> Message:
    """The compat32 tree mail-parser's parse_from_bytes builds, fed in chunks.

    parse_from_bytes decodes the whole message into one StringIO (four bytes
    a character once a single non-ASCII byte is in it): 137 MiB for a 34 MB
    message. The feed parser holds only lines and the parts' payloads.
    """
    feed = BytesFeedParser(policy=compat32)
    for start in range(0, len(data), _CHUNK):
        feed.feed(data[start : start + _CHUNK])
    return feed.close()


def _first(headers: Mapping[str, tuple[str, ...]], name: str) -> str:
    values = headers.get(name)
    return values[0] if values else ""


def _first_address(msg: Message, name: str) -> tuple[str | None, str | None]:
    found = _addresses(msg, name)
    if not found:
        return None, None
    display, addr = found[0]
    return display or None, addr


def _message_id(value: str) -> str | None:
    ids = _message_ids(value)
    if ids:
        return ids[0]
    stripped = value.strip().strip("<>").strip()
    return stripped or None


def _return_path(msg: Message) -> str | None:
    values = _raw_values(msg, "return-path")
    if not values:
        return None
    # The last Return-Path is the one our own server added at final delivery.
    text = values[-1].strip()
    if text.replace(" ", "") in ("<>", ""):
        return ""
    addr = email.utils.parseaddr(text)[1]
    return addr.lower() if addr else text.strip("<>").lower()


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" means "time zone unknown"; UTC is the honest reading of it.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def _attachment(part: _RawAttachment) -> ParsedAttachment:
    content_type = part.content_type.strip().lower()
    if not _CONTENT_TYPE.match(content_type):  # garbage, NUL bytes, markup
        content_type = "application/octet-stream"
    return ParsedAttachment(
        filename=part.filename,
        content_type=content_type[:255],
        size=len(part.data),
        sha256=hashlib.sha256(part.data).hexdigest(),
        data=part.data,
    )


# --- Header decoding -------------------------------------------------------

_SURROGATES = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Mail that says iso-8859-1 or ASCII is in practice often windows-1252 (curly
# quotes, euro sign); windows-1252 is a superset of the printable iso-8859-1.
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252"}
_MSGID = re.compile(r"<([^<>\s]{1,900})>")


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]*", " ", value).replace("\r", " ")


def _raw_values(msg: Message, name: str) -> list[str]:
    """Unfolded values of header ``name`` with raw 8-bit bytes decoded.

    compat32 keeps raw 8-bit header bytes as surrogate escapes, and its get()
    turns them into replacement characters; raw_items() keeps them. RFC 6532
    says such bytes are UTF-8; older mailers sent windows-1252.
    """
    return [
        _eight_bit(_unfold(str(value)))
        for key, value in msg.raw_items()
        if key.lower() == name
    ]


def _eight_bit(text: str) -> str:
    if not _SURROGATES.search(text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_bytes(raw, "cp1252")[0]


def _decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode ``data``, replacing what cannot be decoded; return text and defect."""
    name = (charset or "").strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    defect = None
    if not name or name in ("us-ascii", "ascii", "unknown-8bit"):
        name = "utf-8"
    try:
        codecs.lookup(name)
    except LookupError:
        defect, name = f"unknown charset {charset!r}", "utf-8"
    try:
        text = data.decode(name, "replace")
    except LookupError:  # rot13, base64, zlib: codecs, but not text encodings
        defect = f"unknown charset {charset!r}"
        text = data.decode("utf-8", "replace")
    except UnicodeError:  # a few codecs cannot replace; utf-8 always can
        defect, text = f"undecodable {charset!r}", data.decode("utf-8", "replace")
    # Some codecs (utf-7) emit lone surrogates; NUL breaks PostgreSQL text.
    text = _SURROGATES.sub("\ufffd", text).replace("\x00", "\ufffd")
    return text.replace("\r\n", "\n").replace("\r", "\n"), defect


def _decode_header(value: str) -> str:
    """Decode the encoded words of one unfolded, 8-bit-decoded header value."""
    try:
        chunks = email.header.decode_header(value)
    except (HeaderParseError, ValueError, UnicodeError):
        return _CONTROL.sub(" ", value).strip()
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
        elif charset is None:
            # decode_header returns the unencoded stretches this way; a
            # literal "\\ud800" in them comes back as a lone surrogate.
            text = chunk.decode("raw-unicode-escape", "replace")
            parts.append(_SURROGATES.sub("\ufffd", text))
        else:
            parts.append(_decode_bytes(chunk, charset)[0])
    return _CONTROL.sub(" ", "".join(parts)).strip()


def _decoded_headers(msg: Message) -> dict[str, tuple[str, ...]]:
    """Lowercased header name -> all decoded values, in message order."""
    result: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        text = _decode_header(_eight_bit(_unfold(str(value))))
        result.setdefault(name.lower(), []).append(text)
    return {name: tuple(values) for name, values in result.items()}


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, lowercased addr-spec) pairs of every ``name`` header."""
    found = []
    for display, addr in email.utils.getaddresses(_raw_values(msg, name)):
        if "@" in addr:
            clean = _decode_header(addr).lower()
            found.append((_decode_header(display), clean))
    return found


def _message_ids(value: str) -> tuple[str, ...]:
    """Message-IDs named in an In-Reply-To or References value, in order."""
    ids = _MSGID.findall(value) or [t for t in value.split() if "@" in t]
    return tuple(dict.fromkeys(i.strip() for i in ids if i.strip()))


# --- Bodies and attachments -------------------------------------------------


@dataclass(frozen=True)
class _RawAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class _Body:
    plain: str = ""
    html: str = ""
    attachments: list[_RawAttachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


_MAX_DEPTH = 40
# Lone surrogates are unsafe too: no file system or database takes them.
_UNSAFE_NAME = re.compile(
    r'[\x00-\x1f\x7f-\x9f<>:"|?*\u200b-\u200f\u202a-\u202e\u2066-\u2069'
    r"\ud800-\udfff]"
)
MAX_FILENAME = 200


def _extract_body(msg: Message) -> _Body:
    """Collect the text/plain and text/html bodies and the attachments."""
    body = _Body()
    plain: list[str] = []
    html: list[str] = []
    _visit(msg, body, plain, html, depth=0)
    body.plain = "\n\n".join(t for t in plain if t.strip()).strip()
    body.html = "\n".join(html)
    return body


def _visit(
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
        plain.append(_decode_bytes(_payload(part), _charset(part))[0])
    elif ctype in ("text/plain", "text/html") and not _is_attachment(part):
        text, defect = _decode_bytes(_payload(part), _charset(part))
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


def _payload(part: Message) -> bytes:
    encoded = part.get_payload()
    if str(part.get("content-transfer-encoding", "")).strip().lower() == "base64":
        # get_payload(decode=True) makes three copies of a big attachment
        # (encode, splitlines, join); b64decode one. Damaged base64 goes the
        # lenient way below, which records nothing worse than before.
        with contextlib.suppress(binascii.Error, ValueError):
            if isinstance(encoded, str):
                return base64.b64decode(encoded)
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _raw_filename(part: Message) -> str:
    try:
        # mail-parser's header view decodes raw 8-bit parameter bytes, which
        # compat32's get_filename() would turn into replacement characters.
        name = mime_header_view(part)[0].get_filename()
    except (ValueError, LookupError, UnicodeError):
        return ""
    return _decode_header(str(name)) if name else ""


def _to_attachment(part: Message, index: int, body: _Body) -> _RawAttachment:
    ctype = part.get_content_type()
    if part.is_multipart():
        try:
            data = b"".join(p.as_bytes() for p in part.get_payload())
        except Exception:  # the serialiser of a broken tree has no fixed error set
            body.defects.append(f"attachment {index + 1} could not be serialised")
            data = b""
    else:
        data = _payload(part)
    name = sanitise_filename(_raw_filename(part), index + 1, ctype)
    return _RawAttachment(filename=name, content_type=ctype, data=data)


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
