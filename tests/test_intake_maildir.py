"""The Maildir source: new/ and cur/ files in (read or not), moved to the
processed folder with S."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from tests.intake_mail import complaint

DELIVERED = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _deliver(maildir, name: str, raw: bytes, sub: str = "new"):
    path = maildir / sub / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    os.utime(path, (DELIVERED.timestamp(), DELIVERED.timestamp()))
    return path


def test_maildir_messages_are_registered_once_and_moved(
    tmp_path, sqlite_url, make_config, cli, app_for
) -> None:
    maildir = tmp_path / "Maildir"
    _deliver(maildir, "1.host", complaint())
    _deliver(maildir, "2.host:2,", complaint(), sub="cur")  # unseen in cur/
    # A person read it before the service got to it: still a complaint.
    _deliver(maildir, "3.host:2,S", complaint(), sub="cur")
    _deliver(maildir, "4.host", complaint(headers={"Auto-Submitted": "auto-replied"}))
    path = make_config(sqlite_url, source={"kind": "maildir", "path": str(maildir)})
    first = cli("--config", path, "run", "--once")
    assert first.code == 0, first.err
    assert first.out.startswith("intake: 4 messages (3 cases, 1 auto_reply)")
    assert list((maildir / "cur").iterdir()) == []
    assert sorted(p.name for p in (maildir / ".Verwerkt" / "cur").iterdir()) == [
        "1.host:2,S",
        "2.host:2,S",
        "3.host:2,S",
        "4.host:2,S",
    ]
    assert list((maildir / "new").iterdir()) == []
    again = cli("--config", path, "run", "--once")
    assert again.out.startswith("intake: 0 messages")
    app = app_for(path)
    from store.queries import list_messages

    with app.transaction() as session:
        listed = list_messages(session, app.timezone)
    assert len(listed) == 4
    assert {m["source"] for m in listed} == {"maildir"}
    assert {datetime.fromisoformat(m["received_at"]) for m in listed} == {DELIVERED}


def test_maildir_crash_before_the_move_gives_a_duplicate(
    tmp_path, sqlite_url, make_config, app_for, monkeypatch
) -> None:
    from ingest.maildir_source import MaildirSource
    from service.runner import run_once

    maildir = tmp_path / "Maildir"
    _deliver(maildir, "1.host", complaint())
    app = app_for(
        make_config(sqlite_url, source={"kind": "maildir", "path": str(maildir)})
    )
    monkeypatch.setattr(MaildirSource, "mark", lambda self, items: None)
    assert run_once(app).intake.outcomes["case"] == 1
    monkeypatch.undo()
    summary = run_once(app)
    assert dict(summary.intake.outcomes) == {"duplicate": 1}
    processed = maildir / ".Verwerkt" / "cur"
    assert [p.name for p in processed.iterdir()] == ["1.host:2,S"]
