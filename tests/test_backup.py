"""`klachten backup`: a consistent copy while the daemon runs, restored as
docs/operations.md says (issue 19), on SQLite and PostgreSQL, against the
real Dovecot and SMTP servers."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from store.backup import check_output, pg_dump_command
from store.errors import UserError
from tests.conftest import base_sections, own_postgres, write_config
from tests.daemonproc import DaemonProcess, complaint, daemon_sections

# ---------------------------------------------------------------- pure parts


def test_output_checks(tmp_path: Path) -> None:
    assert check_output(tmp_path / "b.db") == tmp_path / "b.db"
    with pytest.raises(UserError, match="is a directory"):
        check_output(tmp_path)
    with pytest.raises(UserError, match="does not exist"):
        check_output(tmp_path / "missing" / "b.db")


def test_pg_dump_command_names_the_url_parts_but_never_the_password() -> None:
    url = make_url("postgresql+psycopg://klachten:s3cret@db.example:5433/kl")
    command = pg_dump_command("/usr/bin/pg_dump", url, Path("/b/x.dump"))
    assert command == [
        "/usr/bin/pg_dump", "--format=custom", "--no-owner", "--file=/b/x.dump",
        "--host=db.example", "--port=5433", "--username=klachten", "--dbname=kl",
    ]  # fmt: skip
    assert not any("s3cret" in part for part in command)


# ---------------------------------------------------------------- bad input


def test_bad_input_exits_2_with_one_line_and_creates_nothing(
    cli, make_config, db_url, tmp_path: Path
) -> None:
    config = make_config(db_url)
    (tmp_path / "out").mkdir()
    before = sorted(p.name for p in (tmp_path / "out").iterdir())
    for output in (tmp_path / "missing" / "b.db", tmp_path / "out"):
        result = cli("--config", config, "backup", "--output", output)
        assert result.code == 2, result.err
        assert len(result.err.strip().splitlines()) == 1 and result.out == ""
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == before
    assert not (tmp_path / "missing").exists()
    result = cli("--config", config, "backup")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1


def test_no_store_yet_exits_2(cli, make_config, tmp_path: Path) -> None:
    config = make_config(f"sqlite:///{tmp_path / 'never.db'}")
    result = cli("--config", config, "backup", "--output", tmp_path / "b.db")
    assert result.code == 2 and "db upgrade" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "never.db").exists() and not (tmp_path / "b.db").exists()


@pytest.mark.postgres
def test_postgres_without_tables_exits_2(cli, make_config, tmp_path: Path) -> None:
    with own_postgres("klachten_h19_empty") as url:
        config = make_config(url)
        result = cli("--config", config, "backup", "--output", tmp_path / "b.dump")
    assert result.code == 2 and "db upgrade" in result.err
    assert list(tmp_path.glob("b.dump*")) == []


@pytest.mark.postgres
def test_missing_pg_dump_exits_1_with_one_line(
    cli, make_config, postgres_ready, tmp_path: Path, monkeypatch
) -> None:
    config = make_config(postgres_ready)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = cli("--config", config, "backup", "--output", tmp_path / "b.dump")
    assert result.code == 1
    assert result.err.strip().splitlines() == [
        "klachten: pg_dump is not installed (PATH); no backup written"
    ]
    assert list(tmp_path.glob("*b.dump*")) == []


# ---------------------------------------------------------------- round trip


def _config(path: Path, db: str, imap: Any, smtp: Any) -> Path:
    sections = base_sections(db)
    for name, values in daemon_sections(imap, smtp).items():
        sections.setdefault(name, {}).update(values)
    return write_config(path, sections)


def _cases(cli, config: Path) -> dict[str, Any]:
    result = cli("--config", config, "cases", "list", "--format", "json")
    assert result.code == 0, result.err
    return {case["number"]: case for case in result.json()}


def _show(cli, config: Path, number: str) -> Any:
    result = cli("--config", config, "case", "show", number, "--format", "json")
    assert result.code == 0, result.err
    return result.json()


def _restore(db_url: str, backup: Path, tmp_path: Path, restored_db: str) -> str:
    """The restore of docs/operations.md into a fresh path or database."""
    if db_url.startswith("sqlite"):
        target = tmp_path / "restored" / "klachten.db"
        target.parent.mkdir()
        shutil.copyfile(backup, target)
        os.chmod(target, 0o600)
        return f"sqlite:///{target}"
    url = make_url(restored_db)
    subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            f"--host={url.host}",
            f"--port={url.port or 5432}",
            f"--username={url.username}",
            f"--dbname={url.database}",
            str(backup),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return restored_db


@pytest.mark.slow
def test_backup_while_mail_flows_restores_to_the_same_cases(
    cli, db_url, imap, smtp_server, tmp_path: Path
) -> None:
    live = _config(tmp_path / "live.toml", db_url, imap, smtp_server)
    # Settled before the backup: registered and acknowledged.
    for sender in (1, 2, 3):
        imap.append(complaint(sender=sender))
    assert cli("--config", live, "run", "--once").code == 0
    smtp_server.wait_for(3)
    settled = _cases(cli, live)
    assert len(settled) == 3

    daemon = DaemonProcess(live, tmp_path / "daemon.log")
    try:
        daemon.wait_for_event("service.ready", timeout=30)
        for sender in (4, 5, 6):
            imap.append(complaint(sender=sender))
        # The daemon is registering them: the backup runs beside its writes.
        daemon.wait_for_event("intake.case_opened", timeout=30)
        backup = tmp_path / "backups" / "klachten.backup"
        backup.parent.mkdir()
        result = cli("--config", live, "backup", "--output", backup)
        assert result.code == 0, result.err
        if db_url.startswith("postgresql"):
            database = make_url(db_url).database
            assert result.out == f"backup: pg_dump of {database} to {backup}\n"
        daemon.wait_for_event("intake.case_opened", timeout=30, count=3)
        daemon.wait_for_event("outbox.sent", timeout=30, count=3)
        assert daemon.stop(timeout=20)[0] == 0
    finally:
        daemon.kill()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert [p.name for p in backup.parent.iterdir()] == ["klachten.backup"]
    after = _cases(cli, live)
    assert len(after) == 6

    fresh_db = (
        nullcontext("")
        if db_url.startswith("sqlite")
        else own_postgres("klachten_h19_restored")
    )
    with fresh_db as fresh:
        restored_url = _restore(db_url, backup, tmp_path, fresh)
        restored = _config(tmp_path / "restored.toml", restored_url, imap, smtp_server)
        upgrade = cli("--config", restored, "db", "upgrade")
        assert upgrade.code == 0, upgrade.err
        held = _cases(cli, restored)
        print(f"backup held {len(held)} of the {len(after)} cases")
        # What the backup held: the settled cases at least, nothing unknown,
        # and each settled case exactly as the live store shows it.
        assert set(settled) <= set(held) <= set(after)
        for number in settled:
            assert held[number] == after[number]
            assert _show(cli, restored, number) == _show(cli, live, number)
        # A case in flight at the backup may have moved on since; what it
        # was registered with has not.
        for number, case in held.items():
            for key in ("channel", "received_at", "member", "subject"):
                assert case[key] == after[number][key], key

        # The restored store works: a new complaint is registered on it with
        # the next number, and acknowledged.
        imap.append(complaint(sender=7, subject="Nieuwe klacht na het herstel"))
        sent = len(smtp_server.wait_for(6, timeout=30))
        assert cli("--config", restored, "run", "--once").code == 0
        now = _cases(cli, restored)
        new = set(now) - set(held)
        assert len(new) == 1
        (number,) = new
        assert number > max(held)
        assert smtp_server.wait_for(sent + 1, timeout=30)
