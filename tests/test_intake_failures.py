"""A failing database write: nothing is marked, attempts are counted, and
after max_attempts the raw message is kept in quarantine."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from service.runner import run_once
from store import intake_state
from store.models import ServiceState
from tests.intake_mail import complaint, config_for


@pytest.fixture
def app(imap, sqlite_url, make_config, app_for):
    return app_for(config_for(make_config, sqlite_url, imap))


def _break_writes_of(monkeypatch, marker: bytes) -> list[int]:
    """Make registration of messages holding `marker` fail like a lost database.

    The quarantine record (raw bytes and the error only) still goes through:
    the failure is in what the full record asks of the database.
    """
    real = intake_state.register_many
    calls: list[int] = []

    def register(session, rules, records):
        for record in records:
            if marker in record.raw and record.klass != "quarantined":
                calls.append(1)
                raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real(session, rules, records)

    monkeypatch.setattr(intake_state, "register_many", register)
    return calls


def _failures(app, sha256: str) -> int:
    """The failed writes intake counted for one message (0 once it is stored)."""
    with app.transaction() as session:
        row = session.get(ServiceState, f"intake_attempts:{sha256}")
        return 0 if row is None else int(row.value["count"])


def test_failed_write_is_not_marked_and_is_retried(imap, app, monkeypatch) -> None:
    bad = complaint(subject="unlucky")
    uids = imap.append_many([bad, complaint()])
    _break_writes_of(monkeypatch, b"unlucky")
    summary = run_once(app)
    assert summary.intake.outcomes["failed"] == 1
    assert summary.intake.outcomes["case"] == 1
    flags = imap.fetch_flags()
    assert flags[uids[0]] == set()  # left on the server for the next pass
    assert flags[uids[1]] == {"$Klachten", "\\Seen"}
    sha = __import__("hashlib").sha256(imap.fetch_raw(uids[0])).hexdigest()
    assert _failures(app, sha) == 1
    state = intake_state.mailbox_state(app.sessions, "imap://" + _key(app))
    assert state["last_uid"] < uids[0]  # the failed UID is not skipped later
    assert state["waiting"] == 1
    monkeypatch.undo()
    summary = run_once(app)
    assert dict(summary.intake.outcomes) == {"case": 1}
    assert _failures(app, sha) == 0
    assert imap.fetch_flags()[uids[0]] == {"$Klachten", "\\Seen"}


def _key(app) -> str:
    s = app.settings.imap
    return f"{s.username}@{s.host}:{s.port}/{s.mailbox}"


def test_after_max_attempts_the_message_stays_in_quarantine(
    imap, app, monkeypatch
) -> None:
    uid = imap.append(complaint(subject="unlucky"))
    calls = _break_writes_of(monkeypatch, b"Subject: unlucky")
    outcomes = [dict(run_once(app).intake.outcomes) for _ in range(3)]
    assert outcomes == [{"failed": 1}, {"failed": 1}, {"quarantined": 1}]
    assert len(calls) == 3
    assert imap.fetch_flags()[uid] == {"$Klachten", "\\Seen"}
    from store.queries import list_messages

    with app.transaction() as session:
        [message] = list_messages(session, app.timezone)
    assert message["class"] == "quarantined"
    assert message["reason"] == (
        "database write failed 3 times: Exception: disk I/O error"
    )
    assert run_once(app).intake.handled == 0


def test_a_lost_race_is_retried_once_and_finds_the_duplicate(app, monkeypatch) -> None:
    from datetime import UTC, datetime

    from ingest.incoming import Incoming
    from service.runner import make_intake

    intake = make_intake(app)
    item = Incoming(
        raw=complaint(), received_at=datetime.now(UTC), source="import", key=1
    )
    assert intake.handle(item).status == "case"
    real = intake_state.register_many
    raised: list[int] = []

    def racing(session, rules, records):
        if not raised:  # the other process inserted the same key a moment ago
            raised.append(1)
            raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
        return real(session, rules, records)

    monkeypatch.setattr(intake_state, "register_many", racing)
    outcome = intake.handle(item)
    assert raised == [1]
    assert outcome.status == "duplicate"


def test_a_full_database_is_the_stores_trouble_not_the_messages(
    sqlite_url: str,
) -> None:
    """SQLITE_FULL (a real one: max_page_count) is transient: never counted
    towards quarantining the message; a bad row is not transient."""
    import hashlib
    from datetime import UTC, datetime

    from sqlalchemy import event

    from store.db import make_engine, session_factory
    from store.errors import StoreUnavailable
    from store.registration_input import CaseRules, InboundRecord

    engine = make_engine(sqlite_url)

    @event.listens_for(engine, "connect")
    def _small(dbapi_connection, _record) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

    raw = b"Subject: big\r\n\r\n" + b"x" * 200_000
    record = InboundRecord(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        source="test",
        received_at=datetime.now(UTC),
        klass="auto_reply",
        reason="test",
    )
    try:
        with pytest.raises(StoreUnavailable) as info:
            intake_state.write_inbound(session_factory(engine), CaseRules(), record)
    finally:
        engine.dispose()
    assert info.value.transient
    assert "full" in str(info.value)
