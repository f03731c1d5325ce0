"""Parse raw message bytes into an immutable ParsedMessage.

mail-parser builds the message tree (with its guard against nesting bombs) and
lists the MIME defects. Headers, bodies and attachments are then read from that
tree with our own decoding, because mail-parser drops undecodable header bytes
instead of replacing them, invents random names for nameless attachments (a
pure function must give the same answer twice) and decodes windows-1252 text
labelled iso-8859-1 into control characters.
"""

from __future__ import annotations

import email.header
import email.utils
import hashlib
import logging
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import compat32

import mailparser
from mailparser.exceptions import MailParserError

from ingest.addresses import header_addresses
from ingest.htmltext import html_to_text
from ingest.language import guess_language
from ingest.mime_bodies import (
    MAX_FILENAME,
    RawAttachment,
    extract_body,
    sanitise_filename,
)
from ingest.mime_headers import (
    decoded_headers,
    parse_message_ids,
    raw_header_values,
)
from ingest.mime_runs import NO_RUNS, Runs, feed_tree
from ingest.replies import split_reply

__all__ = [
    "MAX_FILENAME",
    "ParsedAttachment",
    "ParsedMessage",
    "UnparseableMessage",
    "parse_message",
    "sanitise_filename",
]

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
    cc: tuple[str, ...] = ()

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
    if not data or data.isspace():  # data.strip() would copy the message
        raise UnparseableMessage("empty message")
    msg, parser_defects, runs = _build_tree(data)
    if not msg.keys():
        raise UnparseableMessage("no header fields")
    headers = decoded_headers(msg)
    body = extract_body(msg, runs)
    text = body.plain or html_to_text(body.html)
    new_text = split_reply(text)
    subject = " ".join(_first(headers, "subject").split())
    from_name, from_address = _first_address(msg, "from")
    return ParsedMessage(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        message_id=_message_id(_first(headers, "message-id")),
        in_reply_to=parse_message_ids(_first(headers, "in-reply-to")),
        references=parse_message_ids(" ".join(headers.get("references", ()))),
        from_address=from_address,
        from_name=from_name,
        reply_to=_first_address(msg, "reply-to")[1],
        return_path=_return_path(msg),
        to=tuple(addr for _, addr in header_addresses(msg, "to")),
        subject=subject,
        date=_date(_first(headers, "date")),
        text=text,
        new_text=new_text,
        language=guess_language(new_text) or guess_language(subject),
        attachments=tuple(_attachment(a) for a in body.attachments),
        headers=types.MappingProxyType(headers),
        defects=tuple(defects + parser_defects + body.defects),
        cc=tuple(addr for _, addr in header_addresses(msg, "cc")),
    )


_MBOX_LINE = re.compile(rb"From [^\s:]+ [^\n]*\n")
_LONE_CR = re.compile(rb"\r(?!\n)")
# RFC 5322 section 4.5.3 (obsolete syntax) allows blanks before the colon.
_OBS_FIELD = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.MULTILINE)


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
    # Only the header is looked at: no copy of a large body is made here.
    end = data.find(b"\r\n\r\n" if b"\r\n\r\n" in data else b"\n\n")
    head = data if end < 0 else data[:end]
    fixed = _OBS_FIELD.sub(rb"\1:", head)
    if fixed != head:
        data = fixed + (b"" if end < 0 else data[end:])
        defects.append("blanks before header colon")
    return data, defects


def _build_tree(data: bytes) -> tuple[Message, list[str], Runs]:
    """Parse with mail-parser, falling back to the standard library.

    mail-parser only lists the defects here (see ingest/mime_runs.py for why
    long base64 bodies are not in its tree).
    """
    built: list[Runs] = []

    def build() -> Message:
        msg, runs = feed_tree(data)
        built.append(runs)
        return msg

    try:
        parser = mailparser.MailParser._parse_guarded(build)
    except MailParserError:
        # The body nests too deeply to walk; the headers still classify it.
        msg = BytesHeaderParser(policy=compat32).parsebytes(data)
        return msg, ["nesting too deep: body not parsed"], NO_RUNS
    except Exception as exc:
        # A bug in mail-parser on odd input (seen: AttributeError on an
        # epilogue) must not lose the message; the stdlib tree is as good.
        msg = BytesParser(policy=compat32).parsebytes(data)
        found = sorted({type(d).__name__ for p in msg.walk() for d in p.defects})
        return msg, [f"mail-parser failed: {type(exc).__name__}", *found], NO_RUNS
    return parser.message, sorted(parser.defects_categories), built[0]


def _first(headers: Mapping[str, tuple[str, ...]], name: str) -> str:
    values = headers.get(name)
    return values[0] if values else ""


def _first_address(msg: Message, name: str) -> tuple[str | None, str | None]:
    found = header_addresses(msg, name)
    if not found:
        return None, None
    display, addr = found[0]
    return display or None, addr


def _message_id(value: str) -> str | None:
    ids = parse_message_ids(value)
    if ids:
        return ids[0]
    stripped = value.strip().strip("<>").strip()
    return stripped or None


def _return_path(msg: Message) -> str | None:
    values = raw_header_values(msg, "return-path")
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


def _attachment(part: RawAttachment) -> ParsedAttachment:
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
