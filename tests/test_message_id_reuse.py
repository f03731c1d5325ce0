"""A reused Message-ID loses no mail: a duplicate is the same mail (same
Message-ID, same body, From, Subject and Date); a different mail under a
known id is registered, flagged `message_id_reused` and kept raw.

Own messages that reuse ids (both engines, one by one and in a batch, and
through the real Dovecot), and the raw-mail corpus, whose files reuse ids.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from ingest.files_source import FilesSource
from ingest.incoming import Incoming
from ingest.parse import parse_message
from service.runner import make_intake, run_once
from store.message_identity import REUSED, content_key
from store.models import Case, Event, Message
from tests.conftest import CORPUS
from tests.intake_mail import complaint, config_for

REUSED_ID = "1234@local.machine.example"


def _received(raw: bytes, by: str) -> bytes:
    """The same mail as delivered once more, through another relay."""
    return f"Received: from {by} by mx.libmutov.be; Mon, 2 Mar 2026\r\n".encode() + raw


def _mails() -> list[tuple[str, bytes]]:
    """Seven mails under one Message-ID: three distinct complaints, each one
    delivered more than once, and an auto-reply."""
    first = complaint(sender="jan@example.be", message_id=REUSED_ID)
    second = complaint(
        sender="els@example.be",
        subject="Mijn bril",
        body="Mijn bril werd niet terugbetaald.",
        message_id=REUSED_ID,
    )
    third = complaint(
        sender="els@example.be",
        subject="Mijn bril",
        body="Mijn bril werd niet terugbetaald.",
        message_id=REUSED_ID,
        date=datetime(2026, 3, 3, 10, 0, tzinfo=UTC),  # sent again the next day
    )
    auto = complaint(
        sender="piet@example.be",
        subject="Afwezig",
        body="Ik ben afwezig.",
        message_id=REUSED_ID,
        headers={"Auto-Submitted": "auto-replied"},
    )
    return [
        ("first", first),
        ("first again", _received(first, "relay-1")),
        ("second", second),
        ("first, third copy", _received(first, "relay-2").replace(b"\r\n", b"\n")),
        ("second again", _received(second, "relay-3")),
        ("third", third),
        ("auto-reply", auto),
    ]


EXPECTED = {
    "first": "case",
    "first again": "duplicate",
    "second": "case",
    "first, third copy": "duplicate",
    "second again": "duplicate",
    "third": "case",
    "auto-reply": "stored",
}


def test_content_key_is_the_mail_not_its_delivery() -> None:
    mail = complaint(message_id=REUSED_ID)
    key = content_key(mail)
    assert content_key(_received(mail, "relay")) == key
    assert content_key(mail.replace(b"\r\n", b"\n")) == key
    folded = mail.replace(b"Subject: Klacht", b"Subject:\r\n  Klacht")
    assert content_key(folded) == key
    assert content_key(mail.replace(b"To: klachten@", b"To: info@")) == key
    for changed in (
        complaint(message_id=REUSED_ID, body="Een andere klacht."),
        complaint(message_id=REUSED_ID, subject="Andere klacht"),
        complaint(message_id=REUSED_ID, sender="els@example.be"),
        complaint(message_id=REUSED_ID, date=datetime(2026, 3, 9, tzinfo=UTC)),
    ):
        assert content_key(changed) != key
    assert content_key(b"") == content_key(b"\r\n")  # never raises


def _items(mails: list[tuple[str, bytes]]) -> list[Incoming]:
    now = datetime.now(UTC)
    return [
        Incoming(raw=raw, received_at=now, source="import", key=name)
        for name, raw in mails
    ]


@pytest.mark.parametrize("batched", [False, True], ids=["one-by-one", "batch"])
def test_distinct_mails_under_one_message_id_are_all_kept(
    batched, db_url, make_config, app_for
) -> None:
    app = app_for(make_config(db_url))
    intake = make_intake(app)
    items = _items(_mails())
    pairs = (
        intake.handle_many(items)
        if batched
        else [(item, intake.handle(item)) for item in items]
    )
    outcomes = {item.key: outcome.status for item, outcome in pairs}
    assert outcomes == EXPECTED
    numbers = [o.case_number for _, o in pairs]
    assert numbers[1] == numbers[3] == numbers[0]  # the copies: the first's case
    assert numbers[4] == numbers[2] != numbers[0]
    with app.transaction() as session:
        messages = session.scalars(select(Message).order_by(Message.id)).all()
        raws = [m.raw for m in messages]
        assert {m.message_id for m in messages} == {REUSED_ID}
        flags = {c.number: c.flags for c in session.scalars(select(Case))}
        reused_events = session.scalars(
            select(Event.message_id).where(Event.kind == REUSED)
        ).all()
    mails = dict(_mails())
    assert raws == [mails[n] for n in ("first", "second", "third", "auto-reply")]
    assert REUSED not in flags[numbers[0]]
    assert REUSED in flags[numbers[2]] and REUSED in flags[numbers[5]]
    assert sorted(reused_events) == [m.id for m in messages[1:]]


def test_a_second_run_finds_every_copy_stored(db_url, make_config, app_for) -> None:
    app = app_for(make_config(db_url))
    make_intake(app).handle_many(_items(_mails()))
    again = make_intake(app).handle_many(_items(_mails()))
    assert {o.status for _, o in again} == {"duplicate"}


def test_reused_ids_through_dovecot(imap, db_url, make_config, app_for) -> None:
    mails = _mails()
    imap.append_many(raw for _, raw in mails)
    app = app_for(config_for(make_config, db_url, imap))
    summary = run_once(app)
    assert summary.intake.handled == len(mails)
    assert dict(summary.intake.outcomes) == dict(Counter(EXPECTED.values()))
    flags = imap.fetch_flags()
    assert len(flags) == len(mails)
    assert all("$Klachten" in f for f in flags.values())
    with app.transaction() as session:
        assert len(session.scalars(select(Case.id)).all()) == 3


def _corpus() -> list[bytes]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"raw e-mail corpus not found at {CORPUS}")
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [CORPUS / row["path"] for row in rows]


def _message_id(raw: bytes) -> str | None:
    try:
        return parse_message(raw).message_id
    except Exception:  # not a message at all: stored by its sha256
        return None


def test_corpus_duplicates_are_the_same_mail(sqlite_url, make_config, app_for) -> None:
    """Every corpus file taken as a duplicate has a stored twin with its
    Message-ID and content; every distinct mail is stored."""
    paths = _corpus()
    app = app_for(make_config(sqlite_url))
    intake = make_intake(app)
    source = FilesSource(paths)
    outcomes = {}
    for batch in source.batches(source.waiting()):
        for item, outcome in intake.handle_many(batch):
            outcomes[item.key.path] = outcome.status
    with app.transaction() as session:
        stored = session.execute(select(Message.message_id, Message.raw)).all()
    kept = {(mid, content_key(raw)) for mid, raw in stored if mid}
    shared = Counter(_message_id(path.read_bytes()) for path in paths)
    reusing = sum(1 for mid, n in shared.items() if mid and n > 1 for _ in range(n))
    duplicates = [path for path, status in outcomes.items() if status == "duplicate"]
    for path in duplicates:
        raw = path.read_bytes()
        mid = _message_id(raw)
        assert mid is None or (mid, content_key(raw)) in kept, path
    distinct = {
        (mid, content_key(path.read_bytes()))
        for path in paths
        if (mid := _message_id(path.read_bytes()))
    }
    assert kept == distinct
    print(
        f"\n  corpus: {len(paths)} files, {reusing} share a Message-ID with "
        f"another; {len(duplicates)} duplicates (the same mail), "
        f"{len(stored)} messages stored"
    )
