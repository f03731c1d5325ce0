"""The intake guarantees, each against the real Dovecot and a real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest import intake as intake_module
from ingest.batch import process_waiting
from ingest.imap_source import ImapSource
from service.runner import make_intake, make_source, run_once
from store import intake_state
from tests.intake_mail import complaint, config_for

PAST = datetime(2026, 2, 27, 16, 45, 12, tzinfo=UTC)


@pytest.fixture
def setup(imap, db_url, make_config, app_for, cli):
    """(app, config path) for the test Dovecot and `db_url`."""

    def build(**imap_options):
        path = config_for(make_config, db_url, imap, **imap_options)
        return app_for(path), path

    return build


def _messages(app, klass=None):
    """What `messages list --format json` prints (the CLI leaves its engine
    open, which PostgreSQL reports as a ResourceWarning; the JSON is the same)."""
    from store.queries import list_messages

    with app.transaction() as session:
        return list_messages(session, app.timezone, klass)


def _cases(app):
    from store.queries import CaseFilter, list_cases

    with app.transaction() as session:
        return list_cases(session, CaseFilter(), app.timezone)


def test_complaint_opens_one_case_received_at_internaldate(imap, setup, cli):
    app, path = setup()
    uid = imap.append(complaint(), internaldate=PAST)
    first = cli("--config", path, "run", "--once")
    assert first.code == 0, first.err
    assert first.out.startswith("intake: 1 message (1 case)")
    second = cli("--config", path, "run", "--once")
    assert second.code == 0, second.err
    assert second.out.startswith("intake: 0 messages")
    cases = _cases(app)
    assert len(cases) == 1
    received = datetime.fromisoformat(cases[0]["received_at"])
    assert received == PAST  # INTERNALDATE, not the Date header (2 March)
    assert cases[0]["member"]["email"] == "jan.peeters@example.be"
    assert cases[0]["channel"] == "email"
    assert imap.fetch_flags()[uid] == {"$Klachten", "\\Seen"}
    state = intake_state.mailbox_state(app.sessions, make_source(app).state_key)
    assert state["last_uid"] == uid
    assert state["last_success_at"] is not None
    assert state["waiting"] == 0


def test_message_is_not_seen_before_it_is_stored(imap, setup):
    app, _path = setup()
    imap.append(complaint())
    source = ImapSource(app.settings.imap)
    source.connect()
    try:
        source.open()
        batch = next(source.batches(source.waiting(0)))
        assert len(batch) == 1
        # Fetched with BODY.PEEK[]: nothing marked yet.
        assert imap.fetch_flags()[batch[0].uid] == set()
    finally:
        source.close()


def test_crash_between_commit_and_marking_gives_no_second_case(
    imap, setup, cli, monkeypatch
):
    app, path = setup()
    uid = imap.append(complaint())

    def crash(self, items):
        raise RuntimeError("killed after the commit")

    monkeypatch.setattr(ImapSource, "mark", crash)
    with pytest.raises(RuntimeError):
        run_once(app)
    assert imap.fetch_flags()[uid] == set()  # stored, not marked
    monkeypatch.undo()
    result = cli("--config", path, "run", "--once")
    assert result.code == 0, result.err
    assert "1 duplicate" in result.out
    assert len(_cases(app)) == 1
    assert len(_messages(app)) == 1
    assert imap.fetch_flags()[uid] == {"$Klachten", "\\Seen"}


def test_uidvalidity_change_registers_nothing_twice(imap, setup, cli):
    app, path = setup(mailbox="Klachten")
    raws = [complaint(), complaint(), complaint()]
    raws[2] = raws[2].replace(b"Message-ID:", b"X-No-Id:")  # dedupe by sha256
    imap.create_mailbox("Klachten")
    imap.append_many(raws, mailbox="Klachten")
    assert cli("--config", path, "run", "--once").code == 0
    source = make_source(app)
    before = intake_state.mailbox_state(app.sessions, source.state_key)
    with imap.client() as client:  # a restored or rebuilt mailbox
        client.delete_folder("Klachten")
        client.create_folder("Klachten")
    imap.append_many(raws, mailbox="Klachten")
    result = cli("--config", path, "run", "--once")
    assert result.code == 0, result.err
    after = intake_state.mailbox_state(app.sessions, source.state_key)
    assert after["uidvalidity"] != before["uidvalidity"]
    assert "3 duplicate" in result.out
    assert len(_cases(app)) == 3
    assert len(_messages(app)) == 3
    flags = imap.fetch_flags("Klachten")
    assert len(flags) == 3
    assert all("$Klachten" in f for f in flags.values())


def test_poison_message_is_quarantined_and_the_next_one_registered(
    imap, setup, cli, monkeypatch
):
    app, _path = setup()
    poison = complaint(subject="poison")
    uids = imap.append_many([poison, complaint()])
    real = intake_module.parse_message

    def parse(raw: bytes):
        if b"Subject: poison" in raw:
            raise ValueError("parser bug for this one")
        return real(raw)

    monkeypatch.setattr(intake_module, "parse_message", parse)
    summary = run_once(app)
    assert summary.intake.outcomes["quarantined"] == 1
    assert summary.intake.outcomes["case"] == 1
    messages = {m["class"]: m for m in _messages(app)}
    assert set(messages) == {"quarantined", "complaint"}
    assert messages["quarantined"]["reason"] == (
        "parse failed: ValueError: parser bug for this one"
    )
    assert messages["complaint"]["case"] is not None
    flags = imap.fetch_flags()
    assert all(flags[u] == {"$Klachten", "\\Seen"} for u in uids)
    raw = _stored_raw(app, messages["quarantined"]["id"])
    assert raw.replace(b"\r\n", b"\n") == poison.replace(b"\r\n", b"\n")


def _stored_raw(app, message_id: int) -> bytes:
    from store.models import Message

    with app.transaction() as session:
        return session.get(Message, message_id).raw


def test_oversize_message_is_rejected_without_fetching_it(imap, setup, cli):
    app, path = setup(max_message_size=2000)
    big = complaint(body="x" * 70 + "\r\n" * 1 + ("y" * 76 + "\r\n") * 100)
    uid = imap.append(big)
    result = cli("--config", path, "run", "--once")
    assert result.code == 0, result.err
    [message] = _messages(app)
    assert message["class"] == "rejected"
    size = len(imap.fetch_raw(uid))
    assert message["reason"] == f"too large: {size} bytes (limit 2000)"
    assert message["raw_complete"] is False
    assert message["size"] == size
    raw = _stored_raw(app, message["id"])
    assert raw.endswith(b"\r\n\r\n") and b"yyyy" not in raw
    assert raw.startswith(b"From: Jan Peeters")
    assert message["message_id"] is not None
    assert imap.fetch_flags()[uid] == {"$Klachten", "\\Seen"}
    assert _cases(app) == []


def test_follow_ups_join_their_case(imap, setup, cli):
    app, path = setup()
    imap.append(complaint(message_id="first@example.be"))
    assert cli("--config", path, "run", "--once").code == 0
    [case] = _cases(app)
    number = case["number"]
    ack_id = _ack_message_id(app)
    imap.append_many(
        [
            complaint(subject=f"Re: uw dossier {number}", body="Nog een vraag."),
            complaint(
                subject="Re: ontvangstbevestiging",
                body="Bedankt.",
                headers={"In-Reply-To": f"<{ack_id}>", "References": f"<{ack_id}>"},
            ),
        ]
    )
    result = cli("--config", path, "run", "--once")
    assert result.code == 0, result.err
    assert "2 follow-ups" in result.out
    cases = _cases(app)
    assert len(cases) == 1
    assert cases[0]["message_count"] == 3
    reasons = sorted(m["reason"] for m in _messages(app, "follow_up"))
    assert reasons == [
        f"In-Reply-To names a message of case {number}",
        f"case number {number} in subject",
    ]
    assert _outbox_count(app) == 1  # one acknowledgement, not three
    from store.queries import show_case

    with app.transaction() as session:
        shown = show_case(session, number, app.timezone)
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds.count("follow_up_received") == 2


def _ack_message_id(app) -> str:
    from store.models import OutboxMail

    with app.transaction() as session:
        [mail] = session.query(OutboxMail).all()
        return mail.message_id


def _outbox_count(app) -> int:
    from store.models import OutboxMail

    with app.transaction() as session:
        return session.query(OutboxMail).count()


def test_processed_mailbox_receives_the_messages(imap, setup, cli):
    app, path = setup(processed_mailbox="Verwerkt")
    imap.append_many([complaint(), complaint()])
    result = cli("--config", path, "run", "--once")
    assert result.code == 0, result.err
    assert imap.list_uids("INBOX") == []
    moved = imap.fetch_flags("Verwerkt")
    assert len(moved) == 2
    assert all(f == {"$Klachten", "\\Seen"} for f in moved.values())
    assert len(_cases(app)) == 2
    assert cli("--config", path, "run", "--once").out.startswith("intake: 0")


def test_machine_mail_never_opens_a_case(imap, setup, cli):
    app, path = setup()
    imap.append_many(
        [
            complaint(headers={"Auto-Submitted": "auto-replied"}),
            complaint(
                sender="mailer-daemon@example.be",
                subject="Undelivered Mail Returned to Sender",
            ),
            complaint(headers={"List-Id": "<nieuws.example.be>"}),
            complaint(sender="klachten@libmutov.be"),
        ]
    )
    result = cli("--config", path, "run", "--once")
    assert result.code == 0, result.err
    assert _cases(app) == []
    classes = sorted(m["class"] for m in _messages(app))
    assert classes == ["auto_reply", "auto_reply", "bounce", "list"]


def test_messages_list_json_shape(imap, sqlite_url, make_config, cli):
    path = config_for(make_config, sqlite_url, imap)
    imap.append(complaint(message_id="shape@example.be"), internaldate=PAST)
    assert cli("--config", path, "run", "--once").code == 0
    result = cli("--config", path, "messages", "list", "--format", "json")
    assert result.code == 0, result.err
    [entry] = result.json()
    assert entry["class"] == "complaint"
    assert entry["reason"] == "no rule matched: a new complaint"
    assert entry["message_id"] == "shape@example.be"
    assert entry["sender"] == "jan.peeters@example.be"
    assert datetime.fromisoformat(entry["received_at"]) == PAST
    assert entry["case"].startswith("KL-2026-")
    assert entry["source"] == "imap"


def test_unreachable_server_fails_run_once_with_exit_1(setup, cli, imap):
    _app, path = setup(port=1)
    result = cli("--config", path, "run", "--once")
    assert result.code == 1
    assert result.out.startswith("intake: FAILED (ConnectionRefusedError")


def test_process_waiting_counts_and_advances(imap, setup):
    app, _path = setup()
    imap.append_many([complaint() for _ in range(5)])
    source = ImapSource(app.settings.imap)
    try:
        stats = process_waiting(source, make_intake(app))
    finally:
        source.close()
    assert stats.waiting == 5
    assert stats.describe() == "5 messages (5 cases)"
