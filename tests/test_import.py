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
    args = argparse.Namespace(paths=[str(folder)], no_progress=False, acknowledge=True)
    assert import_files(app, args) == 0
    err = capsys.readouterr().err
    assert "\r[" in err and "3/3" in err


def test_old_mail_is_acknowledged_only_when_asked(
    tmp_path, sqlite_url, make_config, cli, smtp_server
):
    """Issue 17: an mbox from March queued 400 acknowledgements months late."""
    from datetime import timedelta

    smtp = {"host": smtp_server.host, "port": smtp_server.port}
    maildir = mailbox.Maildir(tmp_path / "Maildir")  # an empty mailbox to read
    source = {"kind": "maildir", "path": str(maildir._path)}
    path = make_config(sqlite_url, smtp=smtp, source=source)
    now = datetime.now(UTC)
    old = tmp_path / "maart.mbox"
    box = mailbox.mbox(old)
    for n in range(3):
        box.add(complaint(sender=f"old{n}@example.be", date=now - timedelta(days=90)))
    box.close()
    recent = tmp_path / "recent.eml"
    recent.write_bytes(complaint(sender="new@example.be", date=now - timedelta(days=2)))

    assert cli("--config", path, "import", old, recent).code == 0
    assert cli("--config", path, "run", "--once").code == 0
    cases = cli("--config", path, "cases", "list", "--format", "json").json()
    flagged = {c["member"]["email"] for c in cases if "ack_not_sent" in c["flags"]}
    assert flagged == {"old0@example.be", "old1@example.be", "old2@example.be"}
    received = smtp_server.wait_for(1)
    assert [m.rcpt_tos for m in received if "@example" in m.rcpt_tos[0]] == [
        ("new@example.be",)
    ]
    number = cases[0]["number"]
    shown = cli("--config", path, "case", "show", number, "--format", "json")
    events = [e for e in shown.json()["events"] if e["kind"] == "ack_not_sent"]
    assert events and events[0]["details"]["reason"] == "imported"

    again = tmp_path / "again.mbox"
    box = mailbox.mbox(again)
    box.add(complaint(sender="asked@example.be", date=now - timedelta(days=90)))
    box.close()
    assert cli("--config", path, "import", "--acknowledge", again).code == 0
    assert cli("--config", path, "run", "--once").code == 0
    members = [
        m.rcpt_tos[0] for m in smtp_server.received if "@example" in m.rcpt_tos[0]
    ]
    assert members == ["new@example.be", "asked@example.be"]


def test_case_show_names_each_messages_sender(tmp_path, sqlite_url, make_config, cli):
    """Issue 17.6: a stranger quoting the number shows who wrote, per message."""
    path = make_config(sqlite_url)
    first = tmp_path / "first.eml"
    first.write_bytes(complaint())
    assert cli("--config", path, "import", first).code == 0
    (case,) = cli("--config", path, "cases", "list", "--format", "json").json()
    number = case["number"]
    stranger = tmp_path / "stranger.eml"
    stranger.write_bytes(
        complaint(sender="piet@elders.be", subject=f"Re: {number}", body="Namens.")
    )
    assert cli("--config", path, "import", stranger).code == 0
    page = cli("--config", path, "case", "show", number).out
    messages = page.split("messages (2):\n")[1].split("\nevents:")[0].splitlines()
    assert "jan.peeters@example.be" in messages[0]
    assert "piet@elders.be" in messages[1] and f"Re: {number}" in messages[1]


def test_the_members_earlier_case_decides_a_language_the_text_leaves_open(
    tmp_path, db_url, make_config, cli
):
    """Issue 17.1: "ok" from a German member's address gets German, not the
    default; from anyone else the default stays."""
    path = make_config(db_url)
    german = "Guten Tag, seit drei Monaten keine Rückerstattung meiner Arztkosten."
    for name, sender, body in (
        ("first.eml", "karl@example.be", german),
        ("again.eml", "karl@example.be", "ok"),
        ("other.eml", "anna@example.be", "ok"),
    ):
        (tmp_path / name).write_bytes(
            complaint(sender=sender, subject="2026/4471", body=body)
        )
        assert cli("--config", path, "import", tmp_path / name).code == 0
    cases = cli("--config", path, "cases", "list", "--format", "json").json()
    languages = [(c["member"]["email"], c["language"]) for c in cases]
    assert languages == [
        ("karl@example.be", "de"),
        ("karl@example.be", "de"),
        ("anna@example.be", "nl"),
    ]


def test_a_strangers_mail_becomes_a_complaint_of_its_own(
    tmp_path, db_url, make_config, cli, smtp_server
):
    """Issue 17.6: a stranger's mail naming a case gets no acknowledgement
    unless a coordinator makes it a complaint of its own."""
    smtp = {"host": smtp_server.host, "port": smtp_server.port}
    path = make_config(db_url, smtp=smtp)
    run = lambda *args: cli("--config", path, *args)  # noqa: E731
    (tmp_path / "first.eml").write_bytes(complaint())
    assert run("import", tmp_path / "first.eml").code == 0
    (case,) = run("cases", "list", "--format", "json").json()
    number = case["number"]
    stranger = complaint(
        sender="piet@elders.be",
        subject=f"Re: {number}",
        body="Ook ik wacht al maanden.",
    )
    (tmp_path / "stranger.eml").write_bytes(stranger)
    assert run("import", tmp_path / "stranger.eml").code == 0
    messages = run("messages", "list", "--format", "json").json()
    (theirs,) = [m for m in messages if m["sender"] == "piet@elders.be"]
    own = [m for m in messages if m["sender"] != "piet@elders.be"]
    assert theirs["case"] == number

    refused = run("messages", "register", str(own[0]["id"]))
    assert refused.code == 2 and refused.err.count("\n") == 1
    assert run("messages", "register", "999").code == 2
    made = run("messages", "register", str(theirs["id"]))
    assert made.code == 0, made.err
    new = made.out.strip()
    shown = run("case", "show", new, "--format", "json").json()
    assert shown["member"]["email"] == "piet@elders.be"
    assert shown["subject"] == f"Re: {number}" and shown["message_count"] == 1
    old = run("case", "show", number, "--format", "json").json()
    assert old["message_count"] == 1
    assert [e for e in old["events"] if e["kind"] == "message_moved"]
    acks = [m for m in smtp_server.wait_for(1) if m.rcpt_tos == ("piet@elders.be",)]
    assert len(acks) == 1 and new in acks[0].message["Subject"]
    again = run("messages", "register", str(theirs["id"]))
    assert again.code == 2
