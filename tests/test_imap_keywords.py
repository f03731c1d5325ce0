"""Servers that keep no keywords (Exchange's IMAP), and [imap] mark_seen.

The server is a real Dovecot whose ACL plugin withholds the "w" right, so
its PERMANENTFLAGS has \\Seen and \\Deleted but no \\*, as Exchange Online's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingest.imap_source import keywords_kept
from tests.daemonproc import DaemonProcess, complaint
from tests.intake_mail import config_for
from tests.servers import unavailable
from tests.servers.dovecot import DovecotServer, dovecot_available

# Every right but "w" (keywords and flags other than \Seen and \Deleted).
NO_KEYWORDS = "lrsipektx"


@pytest.fixture
def no_keywords(tls_certs) -> Iterator[DovecotServer]:
    reason = dovecot_available()
    if reason is not None:
        unavailable(reason)
    server = DovecotServer(certs=tls_certs, acl_rights=NO_KEYWORDS)
    server.start()
    yield server
    server.cleanup()


def test_permanentflags_shapes():
    exchange = (b"\\Seen", b"\\Deleted", b"\\Draft", b"\\Answered", b"\\Flagged")
    assert not keywords_kept(exchange, "$Klachten")
    assert keywords_kept((*exchange, b"\\*"), "$Klachten")
    assert keywords_kept((*exchange, b"$klachten"), "$Klachten")  # case-blind
    assert keywords_kept(None, "$Klachten")  # none sent: all flags are kept


def test_without_processed_mailbox_it_refuses_to_start_with_one_line(
    no_keywords, make_config, sqlite_url, cli
):
    uid = no_keywords.append(complaint())
    config = config_for(make_config, sqlite_url, no_keywords)

    result = cli("--config", config, "run", "--once")

    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "no \\* in PERMANENTFLAGS" in result.err
    assert "set [imap] processed_mailbox" in result.err
    assert no_keywords.fetch_flags()[uid] == set()  # nothing taken in

    checked = cli("--config", config, "check-config")
    assert checked.code == 1
    (line,) = [x for x in checked.out.splitlines() if x.startswith("imap:")]
    assert line.startswith("imap: FAILED (config: the IMAP server does not keep")


def test_the_daemon_refuses_to_start_too(
    no_keywords, make_config, sqlite_url, tmp_path
):
    config = config_for(make_config, sqlite_url, no_keywords)
    daemon = DaemonProcess(config, tmp_path / "daemon.log")
    try:
        assert daemon.process.wait(15) == 2
        assert "set [imap] processed_mailbox" in daemon.tail()
        assert "Traceback" not in daemon.tail(), daemon.tail()
    finally:
        daemon.kill()


def test_with_processed_mailbox_messages_are_moved(
    no_keywords, make_config, sqlite_url, cli
):
    no_keywords.append(complaint())
    config = config_for(
        make_config, sqlite_url, no_keywords, processed_mailbox="Verwerkt"
    )

    first = cli("--config", config, "run", "--once")
    second = cli("--config", config, "run", "--once")

    assert first.code == 0, first.err
    assert first.out.startswith("intake: 1 message (1 case)")
    assert second.out.startswith("intake: 0 messages")
    assert no_keywords.fetch_flags() == {}
    assert list(no_keywords.fetch_flags("Verwerkt").values()) == [{"\\Seen"}]


def test_mark_seen_false_keeps_the_unread_mark(imap, make_config, sqlite_url, cli):
    uid = imap.append(complaint())
    config = config_for(make_config, sqlite_url, imap, mark_seen=False)

    result = cli("--config", config, "run", "--once")

    assert result.code == 0, result.err
    assert imap.fetch_flags()[uid] == {"$Klachten"}


def test_mark_seen_false_with_a_folder_and_no_keywords_sets_nothing(
    no_keywords, make_config, sqlite_url, cli
):
    no_keywords.append(complaint())
    config = config_for(
        make_config,
        sqlite_url,
        no_keywords,
        processed_mailbox="Verwerkt",
        mark_seen=False,
    )
    assert cli("--config", config, "run", "--once").code == 0
    assert list(no_keywords.fetch_flags("Verwerkt").values()) == [set()]
