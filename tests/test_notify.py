"""The systemd notify protocol, spoken to a real unix datagram socket."""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.notify import Notifier


@pytest.fixture
def path_socket() -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket bound to a short path (sun_path holds 108 bytes)."""
    with tempfile.TemporaryDirectory(prefix="kl") as directory:
        path = str(Path(directory) / "notify")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(path)
            sock.settimeout(2)
            yield sock, path


@pytest.fixture
def abstract_socket() -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket bound to a unique abstract name."""
    name = f"klachten-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        yield sock, "@" + name


def _received(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


def test_messages_reach_a_path_socket(path_socket) -> None:
    sock, path = path_socket
    notifier = Notifier({"NOTIFY_SOCKET": path})
    assert notifier.enabled
    assert notifier.ready("ingesting 2 mailboxes")
    assert _received(sock) == "READY=1\nSTATUS=ingesting 2 mailboxes"
    assert notifier.status("3 messages waiting")
    assert _received(sock) == "STATUS=3 messages waiting"
    assert notifier.watchdog()
    assert _received(sock) == "WATCHDOG=1"
    assert notifier.stopping()
    assert _received(sock) == "STOPPING=1"


def test_reloading_carries_a_monotonic_timestamp(path_socket) -> None:
    sock, path = path_socket
    Notifier({"NOTIFY_SOCKET": path}).reloading()
    first, second = _received(sock).split("\n")
    assert first == "RELOADING=1"
    assert second.startswith("MONOTONIC_USEC=")
    assert int(second.partition("=")[2]) > 0


def test_messages_reach_an_abstract_socket(abstract_socket) -> None:
    sock, name = abstract_socket
    notifier = Notifier({"NOTIFY_SOCKET": name})
    assert notifier.ready()
    assert _received(sock) == "READY=1"
    assert notifier.watchdog()
    assert _received(sock) == "WATCHDOG=1"


def test_reads_os_environ_by_default(path_socket, monkeypatch) -> None:
    sock, path = path_socket
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    assert Notifier().stopping()
    assert _received(sock) == "STOPPING=1"


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert not notifier.ready("x")
    assert not notifier.watchdog()
    assert not notifier.status("x")
    assert not notifier.stopping()
    assert not notifier.reloading()


def test_socket_errors_are_logged_once_and_never_raised(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="service.notify")
    with tempfile.TemporaryDirectory(prefix="kl") as directory:
        notifier = Notifier({"NOTIFY_SOCKET": str(Path(directory) / "gone")})
        assert not notifier.ready()
        assert not notifier.watchdog()
    failures = [r for r in caplog.records if "systemd.notify_failed" in r.getMessage()]
    assert len(failures) == 1


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"WATCHDOG_USEC": "60000000"}, 60.0),
        ({"WATCHDOG_USEC": "500000", "WATCHDOG_PID": str(os.getpid())}, 0.5),
        ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval(environ: dict[str, str], expected: float | None) -> None:
    assert Notifier(environ).watchdog_interval() == expected
