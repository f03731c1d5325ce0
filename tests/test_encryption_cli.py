"""Encryption at rest through the command line: `status`, a wrong key, and
`privacy rotate-key` while a daemon registers mail (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store.crypto import Keyring, install, new_key
from store.db import make_engine, session_factory, transaction
from store.models import Case
from store.rekey import remaining
from tests.casefactory import mail_case
from tests.daemonproc import DaemonProcess, complaint
from tests.servers import wait_until

INSZ = "85.07.30-033.28"


def keys(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def test_status_says_whether_the_store_is_encrypted(
    db_url, make_config, cli, tmp_path
) -> None:
    plain = cli("--config", make_config(db_url), "status")
    assert "store         not encrypted" in plain.out
    key_file = keys(tmp_path / "keys", new_key())
    keyed = make_config(db_url, privacy={"key_file": str(key_file)})
    shown = cli("--config", keyed, "status", "--format", "json")
    sealed = shown.json()["encryption"]
    expected = Keyring.from_file(key_file).newest_id
    assert sealed == {
        "encrypted": True,
        "key_id": expected,
        "keys": 1,
        "problem": None,
    }
    assert f"encrypted (key {expected}" in cli("--config", keyed, "status").out


def test_a_wrong_or_missing_key_is_one_line(db_url, make_config, cli, tmp_path) -> None:
    engine = make_engine(db_url)
    install(engine, Keyring.from_file(keys(tmp_path / "right", new_key())))
    number = mail_case(session_factory(engine), 1, insz=INSZ)
    engine.dispose()
    wrong = keys(tmp_path / "wrong", new_key())
    for sections in ({"privacy": {"key_file": str(wrong)}}, {}):
        result = cli(
            "--config", make_config(db_url, **sections), "case", "show", number
        )
        assert result.code == 2, result.err
        assert len(result.err.strip().splitlines()) == 1, result.err
        assert "key" in result.err and INSZ not in result.err
    status = cli(
        "--config", make_config(db_url, privacy={"key_file": str(wrong)}), "status"
    )
    assert status.code == 1
    assert "encryption: the store holds data sealed under key" in status.out
    without = cli("--config", make_config(db_url), "status")
    assert without.code == 1
    assert "store         encrypted, but [privacy] key_file is not set" in without.out
    assert "not encrypted" not in without.out
    broken = keys(tmp_path / "broken", "not a key")
    result = cli(
        "--config", make_config(db_url, privacy={"key_file": str(broken)}), "status"
    )
    assert (result.code, result.err.count("\n")) == (2, 1), result.err
    assert "line 1 is not base64" in result.err


@pytest.mark.slow
def test_rotate_key_while_the_daemon_registers_loses_nothing(
    db_url, make_config, cli, tmp_path
) -> None:
    old, newer = new_key(), new_key()
    key_file = keys(tmp_path / "keys", old)
    maildir = tmp_path / "Maildir"
    (maildir / "new").mkdir(parents=True)
    config = make_config(
        db_url,
        imap={"poll_interval": 1},
        source={"kind": "maildir", "path": str(maildir)},
        privacy={"key_file": str(key_file)},
    )
    total = 60

    def deliver() -> None:
        for n in range(total):
            raw = complaint(subject=f"Klacht {n}", sender=n + 1)
            (maildir / "new" / f"{n}.host").write_bytes(raw)
            time.sleep(0.1)

    daemon = DaemonProcess(config, tmp_path / "daemon.log")
    try:
        flow = threading.Thread(target=deliver)
        flow.start()
        wait_until(lambda: _cases(db_url) >= 10, 30, "first cases")
        keys(key_file, newer, old)  # the new key first: the daemon reads it too
        rotated = cli("--config", config, "privacy", "rotate-key")
        assert rotated.code in (0, 1), rotated.err
        flow.join()
        wait_until(lambda: _cases(db_url) == total, 60, "all cases")
        assert daemon.stop()[0] == 0
    finally:
        daemon.kill()
    final = cli("--config", config, "privacy", "rotate-key")
    assert final.code == 0, final.out + final.err
    keys(key_file, newer)  # the old key is gone: everything still opens
    listed = cli("--config", config, "cases", "list", "--format", "json")
    assert len(listed.json()) == total
    engine = make_engine(db_url)
    install(engine, Keyring.from_file(key_file))
    with transaction(session_factory(engine)) as session:
        assert set(remaining(session).values()) == {0}
    engine.dispose()
    one = cli("--config", config, "case", "show", listed.json()[0]["number"])
    assert one.code == 0, one.err


def _cases(db_url: str) -> int:
    engine = make_engine(db_url)
    with transaction(session_factory(engine)) as session:
        found = session.scalar(select(func.count(Case.id)))
    engine.dispose()
    return int(found or 0)


def test_a_command_with_the_wrong_key_stops_before_it_writes(
    sqlite_url, make_config, cli, tmp_path
) -> None:
    """The daemon and every command check the key first: nothing is sealed
    under a key the store does not know."""
    engine = make_engine(sqlite_url)
    install(engine, Keyring.from_file(keys(tmp_path / "right", new_key())))
    mail_case(session_factory(engine), 1, insz=INSZ)
    engine.dispose()
    wrong = make_config(
        sqlite_url, privacy={"key_file": str(keys(tmp_path / "w", new_key()))}
    )
    for command in (("run", "--once"), ("cases", "list"), ("privacy", "rotate-key")):
        result = cli("--config", wrong, *command)
        assert result.code == 2, (command, result.err)
        assert "which the key file does not hold" in result.err
        assert result.err.count("\n") == 1, result.err
    assert _cases(sqlite_url) == 1


def test_rotate_key_without_a_key_is_refused(sqlite_url, make_config, cli) -> None:
    result = cli("--config", make_config(sqlite_url), "privacy", "rotate-key")
    assert (result.code, result.err.count("\n")) == (2, 1), result.err
    assert "no key" in result.err


def test_new_key_prints_a_key_file_line(sqlite_url, make_config, cli) -> None:
    from store.crypto import parse_keys

    first = cli("--config", make_config(sqlite_url), "privacy", "new-key")
    second = cli("--config", make_config(sqlite_url), "privacy", "new-key")
    assert first.code == 0 and first.out != second.out
    assert len(parse_keys(first.out, "output")) == 1


def test_new_key_needs_no_config(cli, tmp_path, monkeypatch) -> None:
    """The first key is made before the config names it, maybe before there
    is a config at all."""
    import base64

    monkeypatch.setenv("KLACHTEN_CONFIG", str(tmp_path / "missing.toml"))
    first, second = cli("privacy", "new-key"), cli("privacy", "new-key")
    assert (first.code, first.err) == (0, "")
    (line,) = first.out.splitlines()
    assert len(base64.b64decode(line, validate=True)) == 32
    assert second.out != first.out
    # Every other command still wants its config, with the one-line error.
    status = cli("status")
    assert status.code != 0 and "config file not found" in status.err
