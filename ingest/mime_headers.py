"""Header decoding: encoded words, raw 8-bit bytes, charsets that lie.

Undecodable bytes are replaced, never a crash; see ingest/parse.py.
"""

from __future__ import annotations

import codecs
import email.header
import email.utils
import re
from email.errors import HeaderParseError
from email.message import Message

_SURROGATES = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Mail that says iso-8859-1 or ASCII is in practice often windows-1252 (curly
# quotes, euro sign); windows-1252 is a superset of the printable iso-8859-1.
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252"}
_MSGID = re.compile(r"<([^<>\s]{1,900})>")


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]*", " ", value).replace("\r", " ")


def raw_header_values(msg: Message, name: str) -> list[str]:
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
        return decode_bytes(raw, "cp1252")[0]


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
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


def decode_header_value(value: str) -> str:
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
            parts.append(decode_bytes(chunk, charset)[0])
    return _CONTROL.sub(" ", "".join(parts)).strip()


def decoded_headers(msg: Message) -> dict[str, tuple[str, ...]]:
    """Lowercased header name -> all decoded values, in message order."""
    result: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        text = decode_header_value(_eight_bit(_unfold(str(value))))
        result.setdefault(name.lower(), []).append(text)
    return {name: tuple(values) for name, values in result.items()}


def parse_message_ids(value: str) -> tuple[str, ...]:
    """Message-IDs named in an In-Reply-To or References value, in order."""
    ids = _MSGID.findall(value) or [t for t in value.split() if "@" in t]
    return tuple(dict.fromkeys(i.strip() for i in ids if i.strip()))
