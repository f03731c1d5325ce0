"""Long base64 bodies parsed from placeholders (ingest/mime_runs.py).

The claim: a run of whole base64 lines reads to the email parser exactly like
one such line, so parsing with placeholders and putting the lines back gives
the very tree of the plain parse, and parse_message gives the same answer
either way. Checked on hand-made large messages and, with the threshold
lowered to a few bytes, on the hostile random trees of tests/strategies.py.
"""

from __future__ import annotations

import base64
import email.message
import hashlib
import random
import tracemalloc
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ingest.mime_runs as mime_runs
from ingest.mime_runs import NO_RUNS, feed_tree, find_runs
from ingest.parse import ParsedMessage, _normalise, parse_message
from tests import strategies

SIZE = 600 * 1024  # decoded attachment size: its base64 is above MIN_RUN
FAST = settings(
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _data(seed: int = 1, size: int = SIZE) -> bytes:
    return random.Random(seed).randbytes(size)


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data)


def _mail(*parts: bytes, eol: bytes = b"\r\n", preamble: bytes = b"") -> bytes:
    head = (
        b"From: Jan Peeters <jan@example.be>\nTo: klachten@libmutov.be\n"
        b"Subject: Klacht met bijlage\nMessage-ID: <runs@example.be>\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n'
    )
    text = (
        b"--b\nContent-Type: text/plain; charset=utf-8\n\n"
        b"Mijn terugbetaling is nog altijd niet in orde.\n"
    )
    body = preamble + text + b"".join(b"--b\n" + p for p in parts) + b"--b--\n"
    return (head + body).replace(b"\n", eol)


def _part(headers: bytes, body: bytes) -> bytes:
    return headers + b"\n" + body + b"\n"


ATTACHED = b"Content-Transfer-Encoding: base64\nContent-Disposition: attachment;"


def _file(data: bytes, name: bytes = b"scan.bin") -> bytes:
    headers = b"Content-Type: application/octet-stream\n" + ATTACHED
    return _part(headers + b' filename="' + name + b'"\n', _b64(data))


def _plain(raw: bytes) -> email.message.Message:
    return mime_runs._feed(mime_runs._chunks(raw, 0, len(raw)))


def _shape(msg: email.message.Message, runs: mime_runs.Runs) -> list[object]:
    """Everything the parser decided, placeholders put back."""
    out: list[object] = []
    for part in msg.walk():
        payload = part._payload
        out.append(
            (
                list(part.raw_items()),
                sorted(type(d).__name__ for d in part.defects),
                part.is_multipart(),
                *(
                    runs.restore(t) if isinstance(t, str) else t
                    for t in (part.preamble, part.epilogue)
                ),
                runs.restore(payload) if isinstance(payload, str) else None,
            )
        )
    return out


def _substituted(raw: bytes) -> tuple[email.message.Message, mime_runs.Runs]:
    """The tree of `raw` with every run a placeholder, well placed or not."""
    runs = mime_runs.find_runs(raw)
    if not runs.spans:
        return _plain(raw), runs
    return mime_runs._feed(mime_runs._pieces(runs)), runs


def _parse(raw: bytes) -> ParsedMessage:
    """parse_message with the random module seeded.

    mail-parser flattens attached multiparts, and the standard library gives
    one without a boundary a random one, which then shows in the attachment.
    """
    state = random.getstate()
    random.seed(9)
    try:
        return parse_message(raw)
    finally:
        random.setstate(state)


def _without_runs(monkeypatch: pytest.MonkeyPatch, raw: bytes) -> ParsedMessage:
    with monkeypatch.context() as patch:
        patch.setattr(mime_runs, "find_runs", lambda data: NO_RUNS)
        return _parse(raw)


SINGLE = (
    b"From: a@example.be\nSubject: scan\nContent-Type: image/png\n"
    + ATTACHED
    + b' filename="s.png"\n\n'
)
CASES = {
    "attachment, CRLF": _mail(_file(_data())),
    "attachment, LF": _mail(_file(_data()), eol=b"\n"),
    "two attachments": _mail(_file(_data(1)), _file(_data(2), b"b.bin")),
    "name in Content-Type only": _mail(
        _part(
            b'Content-Type: application/pdf; name="a.pdf"\n'
            b"Content-Transfer-Encoding: base64\n",
            _b64(_data()),
        )
    ),
    # mail-parser reads the body of a nameless part as text: parsed as it is.
    "nameless base64 part": _mail(
        _part(
            b"Content-Type: application/octet-stream\n"
            b"Content-Transfer-Encoding: base64\n",
            _b64(_data()),
        )
    ),
    "base64 text body": _mail(
        _part(
            b"Content-Type: text/plain; charset=utf-8\n"
            b"Content-Transfer-Encoding: base64\n",
            _b64(b"Mijn klacht. " * 50_000),
        )
    ),
    "bad padding": _mail(_file(_data())[:-4] + b"\n"),
    "junk line before the run": _mail(
        _file(_data()).replace(b"\n\n", b"\n\nnot base64!\n", 1)
    ),
    "blank line inside the run": _mail(
        _file(_data()[:400_000]) + _b64(_data()[:400_000])
    ),
    "run in the preamble": _mail(_file(_data(3)), preamble=_b64(_data(4))),
    "inline forwarded message": _mail(
        b"Content-Type: message/rfc822\n\n" + _mail(_file(_data()), eol=b"\n")
    ),
    "attached forwarded message": _mail(
        b"Content-Type: message/rfc822\nContent-Disposition: attachment\n\n"
        + _mail(_file(_data()), eol=b"\n")
    ),
    "no newline at the end": _mail(_file(_data())).rstrip(b"-\r\n"),
    "single part": (SINGLE + _b64(_data())).replace(b"\n", b"\r\n"),
    "single part, no line break at the end": SINGLE + _b64(_data()).rstrip(),
    "prefix in the message": _mail(
        _file(_data()), _part(b"Content-Type: text/plain\n", b"KlachtenRun0Z\n")
    ),
}


@pytest.mark.parametrize("raw", CASES.values(), ids=CASES.keys())
def test_large_messages_parse_the_same_with_placeholders(
    raw: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert find_runs(raw).spans, "the case must hold a run"
    substituted, runs = _substituted(raw)
    assert _shape(substituted, runs) == _shape(_plain(raw), NO_RUNS)
    assert _parse(raw) == _without_runs(monkeypatch, raw)


def test_an_attachment_is_decoded_from_the_raw_bytes() -> None:
    data = _data()
    raw = _mail(_file(data), _file(data[:1000], b"small.bin"))
    msg, runs = feed_tree(raw)
    assert len(runs.spans) == 1
    assert runs.placeholder(0) in msg.get_payload(1).get_payload()
    parsed = parse_message(raw)
    assert [a.data for a in parsed.attachments] == [data, data[:1000]]
    assert parsed.attachments[0].sha256 == hashlib.sha256(data).hexdigest()
    assert parsed.defects == ()


@pytest.mark.parametrize(
    "name", ["nameless base64 part", "run in the preamble", "blank line inside the run"]
)
def test_placeholders_elsewhere_mean_a_plain_parse(name: str) -> None:
    assert feed_tree(CASES[name])[1] is NO_RUNS


def test_the_placeholder_prefix_is_not_in_the_message() -> None:
    runs = find_runs(CASES["prefix in the message"])
    assert runs.prefix == "KlachtenRun1Z"


def test_parse_holds_no_copy_of_a_large_attachment() -> None:
    data = _data(size=6 * 1024 * 1024)
    raw = _mail(_file(data))
    was_tracing = tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        parsed = parse_message(raw)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        if not was_tracing:
            tracemalloc.stop()
    assert parsed.attachments[0].data == data
    # The plain parse peaks near three times the message (line strings, their
    # join, the decode); here it is the decoded file and little else.
    assert peak < len(data) + len(raw) // 4


def _one_run(pick: int) -> Callable[[bytes], mime_runs.Runs]:
    """find_runs keeping one run only: any subset of runs may stand in."""

    def find(data: bytes) -> mime_runs.Runs:
        runs = find_runs(data)
        if not runs.spans:
            return runs
        return replace(runs, spans=(runs.spans[pick % len(runs.spans)],))

    return find


@FAST
@given(
    strategies.messages(),
    st.sampled_from((1, 4, 40)),
    st.one_of(st.none(), st.integers(0, 100)),
)
def test_random_trees_parse_the_same_with_placeholders(
    raw: bytes, least: int, pick: int | None
) -> None:
    """The claim on hostile trees: every base64-looking line is a run here.

    With all of them replaced a placeholder lands outside an attachment
    nearly always; with one of them only, often inside one.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mime_runs, "MIN_RUN", least)
        if pick is not None:
            patch.setattr(mime_runs, "find_runs", _one_run(pick))
        data = _normalise(raw)[0]
        substituted, runs = _substituted(data)
        assert _shape(substituted, runs) == _shape(_plain(data), NO_RUNS)
        with_runs = _parse(raw)
        patch.setattr(mime_runs, "find_runs", lambda data: NO_RUNS)
        assert with_runs == _parse(raw)


@st.composite
def _with_attachment(draw: st.DrawFn) -> bytes:
    """A random tree next to a base64 file whose body may well be kept aside."""
    ctype = draw(st.sampled_from((b"application/pdf", b"image/png", b"text/plain")))
    disposition = draw(st.sampled_from((b"attachment", b"inline", b"")))
    name = draw(st.sampled_from(strategies.FILENAMES))
    attachment = (
        b"Content-Type: " + ctype + b"\nContent-Transfer-Encoding: base64\n"
        b"Content-Disposition: " + disposition + b'; filename="' + name + b'"\n\n'
    ) + base64.encodebytes(draw(st.binary(min_size=60, max_size=3000)))
    parts = draw(st.permutations([draw(strategies.mime_parts(6)), attachment]))
    raw = (
        b'From: a@example.be\nSubject: x\nContent-Type: multipart/mixed; boundary="=z="'
        b"\n\n" + b"".join(b"--=z=\n" + p + b"\n" for p in parts) + b"--=z=--\n"
    )
    return raw.replace(b"\n", draw(st.sampled_from((b"\n", b"\r\n"))))


@FAST
@given(_with_attachment(), st.sampled_from((40, 400)))
def test_random_trees_with_a_file_parse_the_same(raw: bytes, least: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mime_runs, "MIN_RUN", least)
        with_runs = _parse(raw)
        patch.setattr(mime_runs, "find_runs", lambda data: NO_RUNS)
        assert with_runs == _parse(raw)
