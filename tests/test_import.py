"""`klachten import FILE.eml|DIR|FILE.mbox`: registers files, idempotently."""

from __future__ import annotations

import mailbox
import os
from datetime import UTC, datetime

from tests.intake_mail import complaint

DATE = datetime(2025, 11, 20, 10, 0, tzinfo=UTC)
MTIME = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)


def _messages(app):
    from store.queries import list_messages

    with app.transaction() as session:
        return list_messages(session, app.timezone)


def test_import_eml_dir_and_mbox(tmp_path, sqlite_url, make_config, cli, app_for):
    path = make_config(sqlite_url)
    single = tmp_path / "one.eml"
    single.write_bytes(complaint(date=DATE))
    folder = tmp_path / "backlog"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.eml").write_bytes(complaint())
    no_date = complaint().replace(b"Date:", b"X-Old-Date:")
    (folder / "sub" / "b.eml").write_bytes(no_date)
    os.utime(folder / "sub" / "b.eml", (MTIME.timestamp(), MTIME.timestamp()))
    (folder / ".hidden.eml").write_bytes(complaint())
    box = mailbox.mbox(tmp_path / "archive.mbox")
    for _ in range(3):
        box.add(complaint())
    box.close()
    result = cli("--config", path, "import", single, folder, tmp_path / "archive.mbox")
    assert result.code == 0, result.err
    assert result.out.strip() == "import: 6 messages (6 cases)"
    assert "\r" not in result.err  # no progress bar when stderr is not a terminal
    again = cli("--config", path, "import", single, folder, tmp_path / "archive.mbox")
    assert again.out.strip() == "import: 6 messages (6 duplicate)"
    listed = _messages(app_for(path))
    assert len(listed) == 6
    assert {m["source"] for m in listed} == {"import"}
    received = {datetime.fromisoformat(m["received_at"]) for m in listed}
    assert DATE.replace(day=2, month=3, year=2026, hour=9, minute=30) in received
    assert MTIME in received  # no Date header: the file's modification time


def test_import_of_a_missing_file_is_a_user_error(
    tmp_path, sqlite_url, make_config, cli
):
    path = make_config(sqlite_url)
    result = cli("--config", path, "import", tmp_path / "nope.eml")
    assert result.code == 2
    assert "no such file or folder" in result.err


def test_progress_line_on_a_terminal(
    tmp_path, sqlite_url, make_config, app_for, monkeypatch, capsys
):
    import argparse
    import sys

    from service.commands.importer import import_files

    folder = tmp_path / "mails"
    folder.mkdir()
    for n in range(3):
        (folder / f"{n}.eml").write_bytes(complaint())
    app = app_for(make_config(sqlite_url))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    args = argparse.Namespace(paths=[str(folder)], no_progress=False)
    assert import_files(app, args) == 0
    err = capsys.readouterr().err
    assert "\r[" in err and "3/3" in err
