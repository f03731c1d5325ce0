"""Every mail source offers what the intake pass and the daemon ask of it.

The daemon and the runner speak only the protocol of ingest/source.py; these
tests hold the local sources (Maildir, files) to it. The IMAP source's side is
tested against Dovecot in tests/test_imap_source.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.files_source import FilesSource
from ingest.imap_source import ImapSource
from ingest.maildir_source import MaildirSource
from ingest.source import SOURCE_ERRORS, Source

MEMBERS = ("state_key", "connect", "open", "waiting", "batches", "mark")
DAEMON = ("wait_for_mail", "close")


@pytest.mark.parametrize("kind", [ImapSource, MaildirSource, FilesSource])
def test_every_source_has_every_member_of_the_protocol(kind: type) -> None:
    declared = set(Source.__dict__) | set(Source.__annotations__)
    assert set(MEMBERS + DAEMON) <= declared
    for name in (*MEMBERS[1:], *DAEMON):
        assert callable(getattr(kind, name)), (kind.__name__, name)


def timed(source, timeout: float, **kwargs) -> tuple[bool, float]:
    started = time.monotonic()
    found = source.wait_for_mail(timeout, **kwargs)
    return found, time.monotonic() - started


def test_a_maildir_polls_every_poll_interval(tmp_path: Path) -> None:
    source = MaildirSource(tmp_path / "mail", poll_interval=0.3)
    source.connect()  # makes the folders
    assert (tmp_path / "mail" / "new").is_dir()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    found, took = timed(source, 30, sleep=sleep)
    assert found is True and 0.25 < took < 1.0
    assert 0.25 < sum(slept) < 0.35
    found, took = timed(source, 0.1)  # the timeout wins when shorter
    assert found is True and took < 0.5
    source.close()
    source.close()  # twice is fine


def test_a_stop_ends_the_wait_at_once(tmp_path: Path) -> None:
    source = MaildirSource(tmp_path / "mail", poll_interval=60)
    found, took = timed(source, 60, should_stop=lambda: True)
    assert took < 0.5 and found is True


def test_files_get_no_new_mail(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(b"Subject: x\r\n\r\nbody\r\n")
    source = FilesSource([tmp_path])
    source.connect()
    found, took = timed(source, 0.2)
    assert found is False and 0.15 < took < 1.0
    source.close()


def test_a_missing_place_raises_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SOURCE_ERRORS):
        FilesSource([tmp_path / "absent.eml"]).connect()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SOURCE_ERRORS):
        MaildirSource(blocker / "mail").connect()
