"""`klachten run` as a real child process, for the daemon tests.

The child writes JSON log lines to a file (not a pipe, which could fill up
and block it); the helpers read that file. A notify socket can be bound for
the systemd protocol.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tests.servers import wait_until

REPO = Path(__file__).resolve().parents[1]


def complaint(subject: str = "Klacht over terugbetaling", sender: int = 0) -> bytes:
    """A plain complaint mail, as a member would send one.

    Vary `sender` for many complaints: acknowledgements per address are limited.
    """
    address = "jan.peeters@example.be" if not sender else f"lid{sender}@example.be"
    return (
        f"From: Jan Peeters <{address}>\r\n"
        "To: klachten@libmutov.be\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.be>\r\n"
        "Date: Mon, 2 Mar 2026 10:00:00 +0100\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Ik heb een klacht over de terugbetaling van mijn kinesitherapie.\r\n"
    ).encode()


# The weekly digest is due on any weekday from 08:00 Brussels time in a week
# without one: with it on, every daemon test would count one more mail during
# office hours (and use the mail servers when a test has broken them). Every
# daemon config of the tests turns it off; tests of the digest turn it on.
NO_DIGEST = {"digest": False}


def daemon_sections(imap: Any, smtp: Any) -> dict[str, dict[str, Any]]:
    """Config sections for fast tests: short IDLE, 1 s outbox, small backoff."""
    return {
        "imap": {
            "host": imap.host,
            "port": imap.port,
            "security": "none",
            "username": imap.username,
            "password": imap.password,
            "idle": True,
            "idle_renew": 60,
            "poll_interval": 1,
            "backoff_cap": 2,
            "timeout": 5,
        },
        "smtp": {
            "host": smtp.host,
            "port": smtp.port,
            "security": "none",
            "timeout": 5,
            "retry_base": 1,
            "retry_cap": 2,
        },
        "service": {"outbox_interval": 1},
        "reminders": dict(NO_DIGEST),
    }


class NotifyListener:
    """A datagram socket standing in for systemd's $NOTIFY_SOCKET."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="kln")
        self.path = str(Path(self._dir.name) / "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages: list[tuple[float, str]] = []

    def collect(self, seconds: float) -> list[str]:
        """Read what arrives for `seconds`; return every message so far."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                break
            self.messages.append((time.monotonic(), data.decode()))
        return [text for _at, text in self.messages]

    def close(self) -> None:
        self.sock.close()
        self._dir.cleanup()


class DaemonProcess:
    """One `klachten --config CFG run` child."""

    def __init__(self, config: Path, log: Path, env: dict[str, str] | None = None):
        self.config = config
        self.log = log
        environ = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFY")}
        environ.pop("WATCHDOG_USEC", None)
        environ.pop("WATCHDOG_PID", None)
        environ.update(env or {})
        environ["PYTHONUNBUFFERED"] = "1"
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "--config", str(config), "run"],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
                env=environ,
            )

    def events(self) -> list[dict[str, Any]]:
        """The JSON log lines so far (other lines, e.g. a traceback, skipped)."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def named(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.events() if e.get("event") == event]

    def wait_for_event(self, event: str, timeout: float = 10, count: int = 1) -> None:
        wait_until(
            lambda: len(self.named(event)) >= count or not self.alive,
            timeout,
            f"log event {event}",
        )
        assert self.alive, f"daemon exited:\n{self.tail()}"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def stop(self, timeout: float = 10) -> tuple[int, float]:
        """SIGTERM; the exit code and the seconds it took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.alive:
            self.process.kill()
        self.process.wait(10)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
