"""ImapSource against the real Dovecot: TLS modes, IDLE, polling, restarts."""

from __future__ import annotations

import base64
import random
import ssl
import threading
import time
import tracemalloc
from dataclasses import replace

import pytest

from config.schema import ImapSettings
from ingest.imap_source import IMAP_ERRORS, ImapSource
from tests.intake_mail import complaint


def _settings(server, **changes) -> ImapSettings:
    base = ImapSettings(
        host=server.host,
        port=server.port,
        security="none",
        username=server.username,
        password=server.password,
        idle=False,
        timeout=10,
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("security", "port_name"),
    [("none", "port"), ("starttls", "port"), ("ssl", "ssl_port")],
)
def test_connects_in_every_security_mode(imap, security, port_name) -> None:
    settings = _settings(
        imap,
        security=security,
        port=getattr(imap, port_name),
        ca_file=str(imap.ca_file),
    )
    source = ImapSource(settings)
    source.connect()
    try:
        assert source.open() is not None  # UIDVALIDITY of INBOX
        assert source.waiting(0) == []
    finally:
        source.close()


def test_certificate_is_verified_by_default(imap) -> None:
    # The test CA is not in the system store: without ca_file this must fail.
    source = ImapSource(_settings(imap, security="ssl", port=imap.ssl_port))
    with pytest.raises(ssl.SSLCertVerificationError):
        source.connect()
    unverified = _settings(
        imap, security="ssl", port=imap.ssl_port, verify_certificate=False
    )
    source = ImapSource(unverified)
    source.connect()
    source.close()


def test_wrong_password_is_an_imap_error(imap) -> None:
    source = ImapSource(_settings(imap, password="wrong"))
    with pytest.raises(IMAP_ERRORS):
        source.connect()


def test_waiting_skips_marked_messages_and_uses_last_uid(imap) -> None:
    uids = imap.append_many([complaint() for _ in range(4)])
    source = ImapSource(_settings(imap))
    source.connect()
    try:
        source.open()
        assert source.waiting(0) == uids
        assert source.waiting(uids[1]) == uids[2:]
        assert source.waiting(uids[-1]) == []  # "n:*" quirk filtered out
        batch = next(source.batches(uids[:2]))
        source.mark(batch)
        assert source.waiting(0) == uids[2:]
    finally:
        source.close()
    flags = imap.fetch_flags()
    assert flags[uids[0]] == {"$Klachten", "\\Seen"}
    assert flags[uids[2]] == set()


def test_a_fetch_holds_the_message_about_once(imap) -> None:
    # imapclient's protocol trace made imaplib format the repr of every
    # fetched message twice: a peak of three times its size or more.
    body = base64.encodebytes(random.Random(3).randbytes(3 * 1024 * 1024))
    [uid] = imap.append_many([complaint(body=body.decode())])
    source = ImapSource(_settings(imap, max_message_size=64 * 1024 * 1024))
    source.connect()
    was_tracing = tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        source.open()
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        [[item]] = list(source.batches([uid]))
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        if not was_tracing:
            tracemalloc.stop()
        source.close()
    assert len(item.raw) >= len(body)
    assert peak < 1.5 * len(item.raw)


def test_idle_wakes_up_when_mail_arrives(imap) -> None:
    source = ImapSource(_settings(imap, idle=True))
    source.connect()
    try:
        timer = threading.Timer(0.5, imap.append, args=(complaint(),))
        timer.start()
        started = time.monotonic()
        assert source.wait_for_mail(20) is True
        assert time.monotonic() - started < 10
        timer.join()
        assert len(source.waiting(0)) == 1
    finally:
        source.close()


def test_idle_times_out_without_mail_and_can_be_stopped(imap) -> None:
    source = ImapSource(_settings(imap, idle=True, idle_renew=1))
    source.connect()
    try:
        started = time.monotonic()
        assert source.wait_for_mail(2.5) is False  # renewed IDLE twice meanwhile
        assert 2.0 <= time.monotonic() - started < 6
        assert source.wait_for_mail(60, should_stop=lambda: True) is False
        source.open()  # the connection is still usable after IDLE
    finally:
        source.close()


def test_polling_sleeps_poll_interval(imap) -> None:
    source = ImapSource(_settings(imap, idle=False, poll_interval=1))
    source.connect()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    try:
        assert source.wait_for_mail(30, sleep=sleep) is True
        started = time.monotonic()
        assert source.wait_for_mail(0.5, sleep=sleep) is True
        assert time.monotonic() - started < 0.9  # the timeout wins when shorter
    finally:
        source.close()
    # Never more than a second at a time, so a stop request is seen quickly.
    assert all(0 < s <= 1.0 for s in slept)
    assert 1.3 < sum(slept) < 1.7


def test_server_restart_breaks_the_connection_and_reconnect_works(imap) -> None:
    imap.append(complaint())
    source = ImapSource(_settings(imap))
    source.connect()
    try:
        imap.restart()
        with pytest.raises(IMAP_ERRORS):
            source.open()
            source.waiting(0)
        source.connect()
        assert len(source.waiting(0)) == 1
    finally:
        source.close()


def test_idle_wait_fails_when_the_server_goes_away(imap) -> None:
    """A dead connection ends the IDLE wait with an error, not a silent spin."""
    source = ImapSource(_settings(imap, idle=True))
    source.connect()
    outcome: list[object] = []

    def wait() -> None:
        try:
            outcome.append(source.wait_for_mail(30))
        except IMAP_ERRORS as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    try:
        time.sleep(0.3)
        started = time.monotonic()
        imap.stop()
        waiter.join(timeout=10)
        assert not waiter.is_alive()
        assert time.monotonic() - started < 6
        assert len(outcome) == 1 and isinstance(outcome[0], IMAP_ERRORS)
    finally:
        source.close()
        imap.start()


def test_mail_announced_during_the_intake_pass_is_not_left_for_later(imap) -> None:
    """A message whose EXISTS went to an earlier command still ends the wait.

    The STORE that marks the first message swallows the announcement of the
    second; IDLE alone would then sleep until a third message arrived.
    """
    source = ImapSource(_settings(imap, idle=True, idle_renew=30))
    source.connect()
    try:
        imap.append(complaint())
        source.open()
        [first] = source.waiting(0)
        imap.append(complaint())  # arrives while the first is being handled
        source.connected.add_flags([first], [b"$Klachten"])  # the EXISTS lands here
        started = time.monotonic()
        assert source.wait_for_mail(5) is True
        assert time.monotonic() - started < 2
        [second] = source.waiting(0)
        source.connected.add_flags([second], [b"$Klachten"])
        assert source.wait_for_mail(1.5) is False  # nothing new: no spinning
    finally:
        source.close()
