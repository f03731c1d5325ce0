"""`klachten reconcile` after a restore (issue 19): mail registered after the
backup was taken is processed on the server but missing from the restored
store; reconcile registers it again, flagged `restored`, without a second
acknowledgement, and never brings back what was erased. Real Dovecot, real
SMTP, SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from store.db import make_engine, session_factory, transaction
from store.restore_state import RESTORE_MARKER, restore_pending
from tests.conftest import base_sections, own_postgres, write_config
from tests.daemonproc import DaemonProcess, complaint, daemon_sections
from tests.test_backup import _cases, _config, _restore


def _members(cases: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["member"]["email"], c["subject"]) for c in cases.values()}


def _pending(url: str) -> Any:
    engine = make_engine(url)
    try:
        with transaction(session_factory(engine)) as session:
            return restore_pending(session)
    finally:
        engine.dispose()


def test_a_sqlite_backup_carries_the_restore_marker(
    cli, sqlite_url, make_config, tmp_path: Path
) -> None:
    config = make_config(sqlite_url)
    copy = tmp_path / "copy.db"
    assert cli("--config", config, "backup", "--output", copy).code == 0
    # Still one standalone file with the marker written in.
    connection = sqlite3.connect(copy)
    (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    connection.close()
    assert mode == "delete"
    assert _pending(sqlite_url) is None
    assert _pending(f"sqlite:///{copy}")["backup_taken_at"]


def _imap_config(path: Path, db: str, imap, smtp, **imap_values: str) -> Path:
    """The daemon's config for the test servers, with these [imap] keys."""
    sections = base_sections(db)
    for name, values in daemon_sections(imap, smtp).items():
        sections.setdefault(name, {}).update(values)
    sections["imap"].update(imap_values)
    return write_config(path, sections)


def _flow(cli, config: Path, imap, senders: range) -> None:
    for sender in senders:
        imap.append(complaint(sender=sender, subject=f"Klacht {sender}"))
    assert cli("--config", config, "run", "--once").code == 0


@pytest.mark.slow
def test_reconcile_finds_every_complaint_again_without_a_second_ack(
    cli, db_url, imap, smtp_server, tmp_path: Path
) -> None:
    live = _config(tmp_path / "live.toml", db_url, imap, smtp_server)
    _flow(cli, live, imap, range(1, 4))
    backup = tmp_path / "klachten.backup"
    assert cli("--config", live, "backup", "--output", backup).code == 0
    _flow(cli, live, imap, range(4, 8))
    acks = len(smtp_server.wait_for(7, timeout=30))
    after = _cases(cli, live)
    assert len(after) == 7

    fresh = (
        nullcontext("")
        if db_url.startswith("sqlite")
        else own_postgres("klachten_h19_reconcile")
    )
    with fresh as fresh_db:
        url = _restore(db_url, backup, tmp_path, fresh_db)
        restored = _config(tmp_path / "restored.toml", url, imap, smtp_server)
        assert cli("--config", restored, "db", "upgrade").code == 0
        assert _pending(url) is not None
        held = _cases(cli, restored)
        assert len(held) == 3
        # An erasure on the restored store: that mail must stay erased.
        (first,) = [n for n, c in held.items() if c["subject"] == "Klacht 1"]
        cli("--config", restored, "case", "close", first)
        erase = cli(
            "--config", restored, "member", "erase", "--email", "lid1@example.be",
            "--reason", "verzoek",
        )  # fmt: skip
        assert erase.code == 0, erase.err

        dry = cli("--config", restored, "reconcile", "--dry-run")
        assert dry.code == 0, dry.err
        assert "7 processed messages in the mailbox, 4 missing" in dry.out
        assert len(_cases(cli, restored)) == 3

        done = cli("--config", restored, "reconcile")
        assert done.code == 0, done.err
        assert "4 missing from the store; registered 4" in done.out
        now = _cases(cli, restored)
        assert len(now) == 7
        assert _members(now) - {(None, None)} == _members(after) - {
            ("lid1@example.be", "Klacht 1")
        }
        again = set(now) - set(held)
        assert all("restored" in now[n]["flags"] for n in again)
        assert not any("restored" in held[n]["flags"] for n in held)
        assert _pending(url) is None

        # Nothing goes out for them: the outbox is drained, no new mail.
        assert cli("--config", restored, "run", "--once").code == 0
        time.sleep(1)
        assert len(smtp_server.received) == acks
        second = cli("--config", restored, "reconcile")
        assert "0 missing" in second.out
        assert len(_cases(cli, restored)) == 7


def _fresh_database(db_url: str, purpose: str) -> AbstractContextManager[str]:
    """No database on SQLite (the restore makes a file: an empty string); on
    PostgreSQL an empty one named after this run's own database, so that runs
    beside each other (other worktrees on the same server) never share it."""
    if db_url.startswith("sqlite"):
        return nullcontext("")
    return own_postgres(f"{make_url(db_url).database}_{purpose}")


@pytest.mark.slow
def test_the_daemon_reconciles_at_start_after_a_restore(
    cli, db_url, imap, smtp_server, tmp_path: Path
) -> None:
    live = _config(tmp_path / "live.toml", db_url, imap, smtp_server)
    _flow(cli, live, imap, range(1, 3))
    backup = tmp_path / "klachten.backup"
    assert cli("--config", live, "backup", "--output", backup).code == 0
    _flow(cli, live, imap, range(3, 5))
    acks = len(smtp_server.wait_for(4, timeout=30))
    with _fresh_database(db_url, "daemon_restore") as fresh_db:
        url = _restore(db_url, backup, tmp_path, fresh_db)
        assert _pending(url) is not None
        restored = _config(tmp_path / "restored.toml", url, imap, smtp_server)
        daemon = DaemonProcess(restored, tmp_path / "daemon.log")
        try:
            daemon.wait_for_event("reconcile.after_restore", timeout=60)
            assert daemon.stop(timeout=20)[0] == 0
        finally:
            daemon.kill()
        assert len(_cases(cli, restored)) == 4
        assert _pending(url) is None
        assert len(smtp_server.received) == acks
    assert RESTORE_MARKER == "restore:pending"


@pytest.mark.slow
def test_reconcile_reads_the_processed_mailbox_too(
    cli, sqlite_url, imap, smtp_server, tmp_path: Path
) -> None:
    """With `processed_mailbox` the processed mail was moved away from the
    inbox: reconcile finds it there."""

    def config(path: Path, db: str) -> Path:
        return _imap_config(path, db, imap, smtp_server, processed_mailbox="Verwerkt")

    live = config(tmp_path / "live.toml", sqlite_url)
    _flow(cli, live, imap, range(1, 3))
    backup = tmp_path / "klachten.backup"
    assert cli("--config", live, "backup", "--output", backup).code == 0
    _flow(cli, live, imap, range(3, 6))
    acks = len(smtp_server.wait_for(5, timeout=30))
    assert imap.list_uids("INBOX") == []
    restored = config(
        tmp_path / "restored.toml", _restore(sqlite_url, backup, tmp_path, "")
    )
    done = cli("--config", restored, "reconcile")
    assert done.code == 0, done.err
    assert "5 processed messages in the mailbox, 3 missing" in done.out
    assert _members(_cases(cli, restored)) == _members(_cases(cli, live))
    assert cli("--config", restored, "run", "--once").code == 0
    time.sleep(1)
    assert len(smtp_server.received) == acks


def test_numbers_the_lost_store_gave_are_never_given_again(
    cli, sqlite_url, imap, smtp_server, tmp_path: Path
) -> None:
    """The members of the lost store's last complaints read their numbers in
    our acknowledgements; the copies in the sent folder say which they were
    and which complaint each answered: those complaints get their numbers
    back, acknowledged when the copy says, and no other complaint gets one."""
    sent = "Verzonden"
    imap.create_mailbox(sent)

    def config(path: Path, db: str) -> Path:
        return _imap_config(path, db, imap, smtp_server, sent_copy_mailbox=sent)

    live = config(tmp_path / "live.toml", sqlite_url)
    _flow(cli, live, imap, range(1, 3))
    backup = tmp_path / "klachten.backup"
    assert cli("--config", live, "backup", "--output", backup).code == 0
    _flow(cli, live, imap, range(3, 6))
    smtp_server.wait_for(5, timeout=30)
    assert len(imap.list_uids(sent)) == 5  # the copies of the acknowledgements
    given = set(_cases(cli, live))
    year = sorted(given)[-1].split("-")[1]

    restored = config(
        tmp_path / "restored.toml", _restore(sqlite_url, backup, tmp_path, "")
    )
    held = set(_cases(cli, restored))
    assert len(held) == 2
    dry = cli("--config", restored, "reconcile", "--dry-run")
    assert f"our sent mail names numbers of {year} up to 5" in dry.out
    assert "skipped" not in dry.out
    for seq in (3, 4, 5):
        assert f"(acknowledged as KL-{year}-{seq:05d})" in dry.out
    done = cli("--config", restored, "reconcile")
    assert done.code == 0, done.err
    assert f"numbers of {year} up to 5; 3 numbers skipped" in done.out
    imap.append(complaint(sender=6, subject="Klacht 6"))
    assert cli("--config", restored, "run", "--once").code == 0
    now = _cases(cli, restored)
    assert len(now) == 6
    # Each complaint has the number its member read; the new one is 6.
    assert set(now) == given | {f"KL-{year}-00006"}
    before = _cases(cli, live)
    for number in given - held:
        assert now[number]["subject"] == before[number]["subject"]
        # The copy's Date has whole seconds.
        acked = now[number]["acknowledged_at"]
        assert acked[:19] == before[number]["acknowledged_at"][:19], acked
        assert "restored" in now[number]["flags"]
    again = cli("--config", restored, "reconcile")
    assert "skipped" not in again.out and "0 missing" in again.out


def test_reconcile_in_an_encrypted_store_acknowledges_when_asked(
    cli, sqlite_url, imap, smtp_server, tmp_path: Path
) -> None:
    """With [privacy] key_file: the restored store opens with the key, and
    reconcile recognises what it holds (Message-ID and sha256 are kept beside
    the sealed raw mail) and registers the rest, acknowledged with
    --acknowledge."""
    from store.crypto import new_key

    key_file = tmp_path / "privacy.key"
    key_file.write_text(new_key() + "\n")

    def keyed_config(path: Path, url: str) -> Path:
        plain = _config(path, url, imap, smtp_server)
        with plain.open("a") as config:
            config.write(f'\n[privacy]\nkey_file = "{key_file}"\n')
        return plain

    live = keyed_config(tmp_path / "live.toml", sqlite_url)
    _flow(cli, live, imap, range(1, 3))
    backup = tmp_path / "klachten.backup"
    assert cli("--config", live, "backup", "--output", backup).code == 0
    _flow(cli, live, imap, range(3, 5))
    url = _restore(sqlite_url, backup, tmp_path, "")
    restored = keyed_config(tmp_path / "restored.toml", url)
    assert len(_cases(cli, restored)) == 2
    acks = len(smtp_server.wait_for(4, timeout=30))
    done = cli("--config", restored, "reconcile", "--acknowledge")
    assert done.code == 0, done.err
    assert "2 missing from the store; registered 2" in done.out
    now = _cases(cli, restored)
    assert _members(now) == _members(_cases(cli, live))
    assert cli("--config", restored, "run", "--once").code == 0
    again = smtp_server.wait_for(acks + 2, timeout=30)[acks:]
    assert sorted(mail.rcpt_tos for mail in again) == [
        ("lid3@example.be",),
        ("lid4@example.be",),
    ]
    shown = cli("--config", restored, "case", "show", max(now), "--format", "json")
    assert shown.code == 0 and "restored" in shown.json()["flags"]
    assert "0 missing" in cli("--config", restored, "reconcile").out
