"""Mutated corpus messages through the whole pipeline (`klachten import`).

Each corpus file is damaged the way transport and bad software damage mail:
cut short, bytes flipped, header fields repeated, the header/body separator
dropped, MIME boundaries stripped. The mutants are written to tmp_path (never
into the repository) and imported. Every file must be stored with a class,
except exact repeats: the store keeps a message once per Message-ID and
content (else per sha256), so the expected count is the number of distinct
such keys, and the
import must report the rest as duplicates. Exact repeats are the same mail:
the same Message-ID and the same content (store/message_identity.py); a
mutant that changed the body or From/Subject/Date is a mail of its own, even
under its original's Message-ID. Nothing may be quarantined for a
parse or classify failure, and stderr must show no traceback.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.parse import UnparseableMessage, parse_message
from store.message_identity import content_key
from store.vocabulary import MessageClass
from tests.conftest import CORPUS
from tests.test_hostile_mime import assert_safe_filename

CLASSES = set(MessageClass)

Mutation = Callable[[bytes, random.Random], bytes]


def truncate(raw: bytes, rng: random.Random) -> bytes:
    return raw[: rng.randrange(len(raw) + 1)] if raw else raw


def flip_bytes(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(min(len(data), rng.randint(1, 20))):
        data[rng.randrange(len(data))] ^= rng.randint(1, 255)
    return bytes(data)


def _split(raw: bytes) -> tuple[bytes, bytes, bytes]:
    for sep in (b"\r\n\r\n", b"\n\n", b"\r\r"):
        head, found, body = raw.partition(sep)
        if found:
            return head, found, body
    return raw, b"", b""


def duplicate_headers(raw: bytes, rng: random.Random) -> bytes:
    head, sep, body = _split(raw)
    lines = re.split(rb"(?<=\n)", head) if b"\n" in head else head.split(b"\r")
    fields = [line for line in lines if line[:1] not in (b" ", b"\t", b"")]
    extra = [rng.choice(fields) for _ in range(rng.randint(1, 5))] if fields else []
    ending = b"\r\n" if b"\r\n" in head else b"\n"
    extra = [f if f.endswith((b"\n", b"\r")) else f + ending for f in extra]
    if head and not head.endswith((b"\n", b"\r")):
        head += ending
    return head + b"".join(extra) + (sep or ending) + body


def drop_separator(raw: bytes, rng: random.Random) -> bytes:
    head, sep, body = _split(raw)
    return head + sep[: len(sep) // 2] + body


def strip_boundaries(raw: bytes, rng: random.Random) -> bytes:
    # Remove every delimiter line, or only the boundary parameter.
    if rng.random() < 0.5:
        return re.sub(rb"(?m)^--[^\r\n]*\r?\n?", b"", raw)
    return re.sub(rb'(?i)boundary="?[^";\r\n]*"?', b"", raw)


MUTATIONS: dict[str, Mutation] = {
    "truncate": truncate,
    "flip": flip_bytes,
    "dupheaders": duplicate_headers,
    "noseparator": drop_separator,
    "noboundary": strip_boundaries,
}


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    return sorted(CORPUS.rglob("*.eml"))


def dedupe_key(raw: bytes) -> str:
    """How the store tells repeats apart: Message-ID and content, else the
    bytes."""
    import hashlib

    try:
        message_id = parse_message(raw).message_id
    except UnparseableMessage:
        message_id = None
    if message_id:
        return f"mid:{message_id[:998]} {content_key(raw)}"
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def write_mutants(
    folder: Path, sources: list[Path], rounds: int, seed: int
) -> list[Path]:
    """Mutants of ``sources`` in ``folder``, plus two exact copies of one file."""
    rng = random.Random(seed)
    folder.mkdir()
    written = []
    for index, source in enumerate(sources):
        raw = source.read_bytes()
        for name, mutate in MUTATIONS.items():
            for round_ in range(rounds):
                path = folder / f"{index:03d}-{name}-{round_}.eml"
                path.write_bytes(mutate(raw, rng))
                written.append(path)
    # Exact copies: two files, one stored message.
    for copy in ("zz-copy-a.eml", "zz-copy-b.eml"):
        path = folder / copy
        path.write_bytes(sources[0].read_bytes())
        written.append(path)
    return written


def import_and_check(tmp_path: Path, files: list[Path], folder: Path, env) -> None:
    sqlite_url, make_config, cli, app_for = env
    config = make_config(sqlite_url)
    result = cli("--config", config, "import", "--no-progress", folder)
    assert "Traceback" not in result.err, result.err
    assert "intake.message_poison" not in result.err, _poison_lines(result.err)
    assert result.code == 0, result.err

    keys = [dedupe_key(path.read_bytes()) for path in sorted(files)]
    expected = len(set(keys))
    duplicates = len(keys) - expected
    assert duplicates >= 1  # the two exact copies at least
    assert f"{duplicates} duplicate" in result.out, result.out

    listed = cli("--config", config, "messages", "list", "--format", "json")
    assert listed.code == 0, listed.err
    messages = listed.json()
    assert len(messages) == expected, (len(messages), expected, len(files))
    assert {m["class"] for m in messages} <= CLASSES
    assert not [m for m in messages if m["class"] == "quarantined"], [
        m["error"] for m in messages if m["class"] == "quarantined"
    ]
    _check_store(app_for(config), files)


def _poison_lines(err: str) -> str:
    return "\n".join(line for line in err.splitlines() if "poison" in line)


def _check_store(app, files: list[Path]) -> None:
    """Every file is there by its bytes or by its Message-ID; names are safe."""
    import hashlib

    from sqlalchemy import select

    from store.models import Attachment, Message

    with app.transaction() as session:
        stored = {m.sha256: m for m in session.scalars(select(Message))}
        mails = {
            f"mid:{m.message_id} {content_key(m.raw)}"
            for m in stored.values()
            if m.message_id
        }
        for path in files:
            raw = path.read_bytes()
            found = stored.get(hashlib.sha256(raw).hexdigest())
            if found is not None:
                assert found.raw == raw, path.name
                assert found.klass in CLASSES
            else:  # the same mail, delivered with other bytes, is stored
                assert dedupe_key(raw) in mails, path.name
        for attachment in session.scalars(select(Attachment)):
            assert_safe_filename(attachment.filename)


@pytest.fixture
def env(sqlite_url, make_config, cli, app_for):
    return sqlite_url, make_config, cli, app_for


def test_mutated_corpus_sample_through_import(tmp_path: Path, env) -> None:
    files = corpus_files()
    sample = random.Random(9).sample(files, min(len(files), 24))
    folder = tmp_path / "mutants"
    written = write_mutants(folder, sample, rounds=1, seed=2026)
    import_and_check(tmp_path, written, folder, env)


@pytest.mark.slow
def test_mutated_whole_corpus_through_import(tmp_path: Path, env) -> None:
    files = corpus_files()
    folder = tmp_path / "mutants"
    written = write_mutants(folder, files, rounds=3, seed=9)
    import_and_check(tmp_path, written, folder, env)
