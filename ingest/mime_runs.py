"""Long base64 bodies kept out of the email package's line list.

The feed parser holds a body as one string per line and joins them at the
end: a 34 MB base64 attachment becomes 460,000 line strings (about 60 MiB)
plus a 34 MiB join, on top of the raw message, and mail-parser's walk and
get_payload() then copy it once more each. So before parsing, every long run
of base64 lines is replaced by one placeholder line, and the attachment is
decoded straight from the raw bytes afterwards.

A run is a stretch of whole, non-empty lines of base64 characters only. No
such line is a header field, a continuation, a blank separator or a boundary,
so to the parser any number of them in a row read exactly like one: the tree
has the same shape and defects, with the placeholder where the run was. The
placeholders are kept only when each is the whole body of a base64 attachment
(mail-parser never reads those as text); anywhere else the message is parsed
again as it is.
"""

from __future__ import annotations

import binascii
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.feedparser import BytesFeedParser
from email.message import Message
from email.policy import compat32

from mailparser.utils import decode_header_part, mime_header_view

# Runs shorter than this are left to the parser: it costs them a few times
# their size, which matters only for large ones.
MIN_RUN = 256 * 1024
# The feed parser takes the message this much at a time.
CHUNK = 1 << 16
_B64 = rb"A-Za-z0-9+/=\r\n"
_BLANK_LINE = re.compile(rb"^\r?\n", re.MULTILINE)
# The parser ends a line at a lone CR too; parse.py turns those into LF first.
_LONE_CR = re.compile(rb"\r(?!\n)")
_SPACE = " \t\r\n"


@dataclass(frozen=True)
class Runs:
    """The runs cut out of `data` and the placeholders that stand for them.

    `spans` holds (start, end) of each run in `data` without its last line
    break; placeholder i is `prefix` + i + "x", and `prefix` occurs nowhere in
    `data`, so a placeholder in the tree is always one of ours.
    """

    data: bytes = field(default=b"", repr=False)
    prefix: str = ""
    spans: tuple[tuple[int, int], ...] = ()
    _pattern: re.Pattern[str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.spans:
            pattern = re.compile(re.escape(self.prefix) + r"(\d+)x")
            object.__setattr__(self, "_pattern", pattern)

    def placeholder(self, index: int) -> str:
        return f"{self.prefix}{index}x"

    def found_in(self, text: str) -> list[int]:
        """Indexes of the placeholders in `text`."""
        if self._pattern is None or self.prefix not in text:
            return []
        return [int(m.group(1)) for m in self._pattern.finditer(text)]

    def restore(self, text: str) -> str:
        """`text` with every placeholder replaced by the lines it stands for."""
        if self._pattern is None or self.prefix not in text:
            return text
        return self._pattern.sub(lambda m: self._text(int(m.group(1))), text)

    def restore_part(self, part: Message) -> None:
        """Put the real lines back into the payload of `part` and its children."""
        if self._pattern is None:
            return
        for sub in part.walk():
            if isinstance(sub._payload, str):
                sub._payload = self.restore(sub._payload)

    def decode_base64(self, text: str) -> bytes:
        """binascii.a2b_base64 of the restored `text`, without restoring it.

        A placeholder with only blanks around it (what a base64 attachment's
        body is here) is decoded straight from `data`: the blanks are skipped
        by the decoder anyway.
        """
        found = self.found_in(text)
        if not found:
            return binascii.a2b_base64(text)
        match = self._pattern.search(text) if len(found) == 1 else None
        if match and not (text[: match.start()] + text[match.end() :]).strip(_SPACE):
            start, end = self.spans[found[0]]
            return binascii.a2b_base64(memoryview(self.data)[start:end])
        return binascii.a2b_base64(self.restore(text))

    def _text(self, index: int) -> str:
        start, end = self.spans[index]
        return str(memoryview(self.data)[start:end], "ascii")


NO_RUNS = Runs()


def feed_tree(data: bytes) -> tuple[Message, Runs]:
    """The compat32 tree of `data`, long base64 runs standing in as placeholders.

    parse_from_bytes decodes the whole message into one StringIO (four bytes
    a character once a single non-ASCII byte is in it): 137 MiB for a 34 MB
    message. The feed parser, fed in chunks, holds only lines and payloads.
    """
    runs = find_runs(data)
    if runs.spans:
        msg = _feed(_pieces(runs))
        if _well_placed(msg, runs):
            return msg, runs
        del msg
    return _feed(_chunks(data, 0, len(data))), NO_RUNS


def find_runs(data: bytes) -> Runs:
    """The runs of at least MIN_RUN bytes in `data`, with a free prefix."""
    least = MIN_RUN  # read here, so that tests can lower it
    if len(data) < least:
        return NO_RUNS
    spans = []
    for stretch in _stretch(least).finditer(data):
        spans.extend(_lines_of(data, *stretch.span(), least))
    if not spans:
        return NO_RUNS
    nonce = 0
    while f"KlachtenRun{nonce}Z".encode() in data:
        nonce += 1
    return Runs(data, f"KlachtenRun{nonce}Z", tuple(spans))


@functools.cache
def _stretch(least: int) -> re.Pattern[bytes]:
    """Base64 characters and line breaks, found from the first byte only.

    The lookbehind keeps the search linear: inside a stretch too short to
    count it fails at once instead of scanning the rest again.
    """
    return re.compile(rb"(?<![%s])[%s]{%d,}" % (_B64, _B64, least))


def _lines_of(
    data: bytes, start: int, end: int, least: int
) -> Iterator[tuple[int, int]]:
    """Runs of whole, non-empty lines within data[start:end]."""
    if start > 0 and data[start - 1] != 0x0A:  # begin at a line start
        start = data.find(b"\n", start, end) + 1
        if start == 0:
            return
    end = data.rfind(b"\n", start, end) + 1  # end after a line break
    pos = start
    for blank in [*_BLANK_LINE.finditer(data, start, end), None]:
        stop = end if blank is None else blank.start()
        if stop - pos >= least and not _LONE_CR.search(data, pos, stop):
            eol = 2 if data[stop - 2 : stop] == b"\r\n" else 1
            yield pos, stop - eol
        if blank is not None:
            pos = blank.end()


def _pieces(runs: Runs) -> Iterator[bytes]:
    """`runs.data` in chunks, each run replaced by its placeholder line."""
    data, pos = runs.data, 0
    for index, (start, end) in enumerate(runs.spans):
        yield from _chunks(data, pos, start)
        eol = b"\r\n" if data[end : end + 2] == b"\r\n" else b"\n"
        yield runs.placeholder(index).encode("ascii") + eol
        pos = end + len(eol)
    yield from _chunks(data, pos, len(data))


def _chunks(data: bytes, start: int, end: int) -> Iterator[bytes]:
    for pos in range(start, end, CHUNK):
        yield data[pos : min(pos + CHUNK, end)]


def _feed(pieces: Iterator[bytes]) -> Message:
    feed = BytesFeedParser(policy=compat32)
    for piece in pieces:
        feed.feed(piece)
    return feed.close()


def _well_placed(msg: Message, runs: Runs) -> bool:
    """Each placeholder is alone in the body of a base64 attachment, once.

    Not inside an attached message or multipart either: mail-parser flattens
    those back to text.
    """
    seen: list[int] = []
    stack: list[tuple[Message, bool]] = [(msg, False)]
    while stack:
        part, attached = stack.pop()
        for text in (part.preamble, part.epilogue):
            if isinstance(text, str) and runs.found_in(text):
                return False
        payload = part._payload
        if isinstance(payload, list):
            inner = attached or _disposition(part) == "attachment"
            stack += [(p, inner) for p in payload if isinstance(p, Message)]
            continue
        found = runs.found_in(payload) if isinstance(payload, str) else []
        if found and (attached or len(found) > 1 or not _attachment_body(part)):
            return False
        seen += found
    return sorted(seen) == list(range(len(runs.spans)))


def _disposition(part: Message) -> str:
    try:
        metadata, _defects = mime_header_view(part)
        return str(metadata.get_content_disposition() or "").lower()
    except Exception:  # hostile headers: count it as attached
        return "attachment"


def _attachment_body(part: Message) -> bool:
    """A base64 file that mail-parser takes as an attachment, never as text.

    mail-parser decodes the body of any other part to look for text, and a
    charset error there is one of its defects; an attachment it leaves alone.
    """
    try:
        cte = str(part.get("content-transfer-encoding", "")).strip().lower()
        if cte != "base64" or part.get_content_maintype() in (
            "text",
            "multipart",
            "message",
        ):
            return False
        metadata, _defects = mime_header_view(part)
        name = decode_header_part(metadata.get_filename(), defects=[])
        return _disposition(part) == "attachment" or bool(name)
    except Exception:  # hostile headers: parse the plain way
        return False
