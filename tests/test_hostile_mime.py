"""Hostile MIME through parse_message, classify and build_record (property-based).

For every generated message: no exception escapes (UnparseableMessage only for
bytes that are not a message), the raw bytes are kept exactly with their
sha256, attachment names are safe base names, every text the store will
hold is valid UTF-8 without NUL (PostgreSQL refuses both), and parsing twice
gives the same answer. The `slow` variants run ten times as many examples.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings

from ingest.classify import (
    ClassifierSettings,
    classify,
    number_pattern_from_format,
)
from ingest.inbound_builder import RecordOptions, build_record, read_forms
from ingest.incoming import Incoming
from ingest.parse import (
    MAX_FILENAME,
    ParsedMessage,
    UnparseableMessage,
    parse_message,
    sanitise_filename,
)
from store.vocabulary import CLASSIFIER_CLASSES
from tests import strategies

CLASSIFIER = ClassifierSettings(
    number_pattern=number_pattern_from_format("KL-{year}-{seq:05d}"),
    trusted_authserv_ids=("mx.libmutov.be",),
    own_addresses=("klachten@libmutov.be",),
)
# OCR is never reached (generated images are far below the scan size), but
# keep it short should a generated PDF ever ask for it.
RECORD = RecordOptions(ocr_timeout=2.0, ocr_max_pages=1)
FAST = settings(
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW = settings(FAST, max_examples=2_000)
# Bidi overrides and zero-width characters hide a name's real extension.
_HIDING = {chr(c) for c in (*range(0x200B, 0x2010), *range(0x202A, 0x202F))}


class ExistingCases:
    """A case lookup where KL-2026-00041 exists and no Message-ID is known."""

    def case_for_message_ids(self, message_ids: Sequence[str]) -> str | None:
        return None

    def case_exists(self, number: str) -> bool:
        return number == "KL-2026-00041"

    def member_email(self, number: str) -> str | None:
        return None


def assert_safe_filename(name: str) -> None:
    """What every stored attachment name must be: one harmless base name."""
    assert name, "empty file name"
    assert len(name) <= MAX_FILENAME, len(name)
    assert "/" not in name and "\\" not in name, name
    assert ".." not in name, name
    assert name not in (".", ".."), name
    bad = [c for c in name if unicodedata.category(c) in ("Cc", "Cs") or c in _HIDING]
    assert not bad, (name, bad)


def assert_storable(value: str | None, what: str) -> None:
    """A text column value: strict UTF-8 and no NUL."""
    if value is None:
        return
    value.encode("utf-8")  # raises on lone surrogates
    assert "\x00" not in value, what


def check(raw: bytes) -> ParsedMessage | None:
    """Run the pure pipeline on ``raw``; assert its invariants; return the parse."""
    try:
        msg = parse_message(raw)
    except UnparseableMessage as exc:
        assert exc.reason
        return None
    assert msg.raw == raw
    assert msg.sha256 == hashlib.sha256(raw).hexdigest()
    for attachment in msg.attachments:
        assert_safe_filename(attachment.filename)
        assert attachment.size == len(attachment.data)
        assert attachment.sha256 == hashlib.sha256(attachment.data).hexdigest()
    verdict = classify(msg, CLASSIFIER, ExistingCases())
    assert verdict.klass in CLASSIFIER_CLASSES and verdict.reason
    item = Incoming(raw=raw, received_at=datetime.now(UTC), source="test", key=0)
    record = build_record(item, msg, verdict, read_forms(msg, verdict, RECORD), RECORD)
    assert record.raw is raw and record.sha256 == msg.sha256
    stored = {
        "subject": record.subject,
        "sender": record.sender,
        "message_id": record.message_id,
        "in_reply_to": record.in_reply_to,
        "references": record.references,
        "body_text": record.body_text,
        "new_text": record.new_text,
        "reason": record.reason,
        "language": record.language,
    }
    for what, value in stored.items():
        assert_storable(value, what)
    for attachment in record.attachments:
        assert_storable(attachment.filename, "attachment filename")
        assert_storable(attachment.content_type, "attachment content type")
    if record.new_case is not None:
        member = record.new_case.member
        for what in ("name", "email"):
            assert_storable(getattr(member, what), f"member {what}")
        assert_storable(record.new_case.description, "description")
    return msg


def check_deterministic(raw: bytes, first: ParsedMessage) -> None:
    again = parse_message(raw)
    assert again.subject == first.subject and again.text == first.text
    assert [a.filename for a in again.attachments] == [
        a.filename for a in first.attachments
    ]


@FAST
@given(strategies.messages())
def test_random_mime_trees(raw: bytes) -> None:
    msg = check(raw)
    assert msg is not None, "a message with a valid first field was unparseable"
    check_deterministic(raw, msg)


@FAST
@given(strategies.not_a_message())
def test_arbitrary_bytes(raw: bytes) -> None:
    check(raw)


@FAST
@given(strategies.header_text())
def test_filename_sanitiser_on_any_decoded_name(value: bytes) -> None:
    name = value.decode("utf-8", "surrogateescape")
    assert_safe_filename(sanitise_filename(name, 3, "application/pdf"))


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\boot.ini",
        "..",
        "....",
        " . ",
        "a\x00b\x07c\x1b.pdf",
        "\u202egnp.exe",
        "x" * 1000 + ".pdf",
        "y" * 1000,
        "." * 1000,
        "é" * 199 + ".pdf",
        "a/" * 500,
    ],
)
def test_filename_sanitiser_examples(name: str) -> None:
    assert_safe_filename(sanitise_filename(name))


# Found by the properties above; kept as plain examples.
REGRESSIONS = {
    # decode_header hands back the unencoded rest of a header with encoded
    # words as raw-unicode-escape bytes, so a literal "\\ud800" became a lone
    # surrogate: not UTF-8, and no database would store the subject.
    "escape after encoded word": (
        b"From: =?utf-8?q?J?= \\udc80 <a@example.be>\n"
        b"Subject: =?utf-8?q?caf=C3=A9?= \\ud800\n\nbody\n"
    ),
    "escape in attachment name": (
        b"From: a@example.be\nSubject: x\nContent-Type: multipart/mixed; "
        b'boundary="b"\n\n--b\nContent-Type: text/plain\n\nhi\n--b\n'
        b"Content-Type: application/pdf\nContent-Disposition: attachment; "
        b'filename="=?utf-8?q?x?= \\udc80.pdf"\n\n%PDF-\n--b--\n'
    ),
    # codecs.lookup() knows rot13, base64 and zlib, but bytes.decode() refuses
    # them with LookupError: the body (and the message) was lost to a crash.
    "rot13 body charset": (
        b"From: a@example.be\nContent-Type: text/plain; charset=rot13\n\nabc\n"
    ),
    "base64 charset in an encoded word": (
        b"From: a@example.be\nSubject: =?base64?q?abc?= =?zlib?b?YWJj?=\n\nx\n"
    ),
    "LF CR line ends after an mbox line": (
        b"From MAILER-DAEMON Mon Feb  2 10:00:00 2026\n\rReceived: x\n\r\n\rbody"
    ),
}


@pytest.mark.parametrize("raw", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_regressions(raw: bytes) -> None:
    check(raw)


@pytest.mark.slow
@SLOW
@given(strategies.messages(max_leaves=20))
def test_random_mime_trees_long(raw: bytes) -> None:
    msg = check(raw)
    assert msg is not None, "a message with a valid first field was unparseable"


@pytest.mark.slow
@SLOW
@given(strategies.not_a_message())
def test_arbitrary_bytes_long(raw: bytes) -> None:
    check(raw)
