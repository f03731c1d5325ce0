"""The systemd notify protocol (sd_notify(3)), without dependencies.

With ``Type=notify`` systemd waits for ``READY=1`` before it calls the
service started, and with ``WatchdogSec=`` it restarts the service when the
``WATCHDOG=1`` pings stop.  Outside systemd (a terminal, the tests of other
modules) ``NOTIFY_SOCKET`` is unset and every method does nothing.

A failing notification must never take the service down: errors are logged
once and otherwise ignored.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

_log = logging.getLogger(__name__)


def _socket_address(value: str | None) -> str | None:
    """The address to send to: a path, or an abstract name ("@name")."""
    if not value or not value.startswith(("/", "@")):
        return None  # unset, or a form we do not speak (vsock)
    if value.startswith("@"):
        return "\0" + value[1:]
    return value


class Notifier:
    """Sends state changes to systemd over ``$NOTIFY_SOCKET``."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        """Read the protocol's variables from *environ* (default os.environ)."""
        env = os.environ if environ is None else environ
        self._address = _socket_address(env.get("NOTIFY_SOCKET"))
        self._watchdog_usec = env.get("WATCHDOG_USEC")
        self._watchdog_pid = env.get("WATCHDOG_PID")
        self._failed_before = False

    @property
    def enabled(self) -> bool:
        """True when systemd listens, i.e. NOTIFY_SOCKET is set."""
        return self._address is not None

    def notify(self, *assignments: str) -> bool:
        """Send ``KEY=value`` lines in one datagram; True when sent."""
        if self._address is None:
            return False
        message = "\n".join(assignments).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(message, self._address)
        except OSError as exc:
            # A watchdog ping every few seconds that fails would otherwise
            # fill the journal; the first failure says enough.
            if not self._failed_before:
                _log.warning("systemd.notify_failed: %s", exc)
                self._failed_before = True
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """Tell systemd that start-up is complete, optionally with a status."""
        if status is None:
            return self.notify("READY=1")
        return self.notify("READY=1", f"STATUS={status}")

    def status(self, text: str) -> bool:
        """Set the one-line status shown by ``systemctl status``."""
        return self.notify(f"STATUS={text}")

    def watchdog(self) -> bool:
        """Ping the watchdog: the service is alive and its loop turns."""
        return self.notify("WATCHDOG=1")

    def stopping(self) -> bool:
        """Tell systemd that the service is shutting down."""
        return self.notify("STOPPING=1")

    def reloading(self) -> bool:
        """Tell systemd that the service reloads its configuration.

        MONOTONIC_USEC lets systemd (253 and later) tell this reload from an
        earlier one; older versions ignore it.  Send ``ready()`` when done.
        """
        now_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.notify("RELOADING=1", f"MONOTONIC_USEC={now_usec}")

    def watchdog_interval(self) -> float | None:
        """The watchdog timeout in seconds, or None when there is none for us.

        None when WATCHDOG_USEC is unset or invalid, or when WATCHDOG_PID
        names another process.  Ping at least every half of this interval.
        """
        if self._watchdog_pid and self._watchdog_pid != str(os.getpid()):
            return None
        try:
            usec = int(self._watchdog_usec or "")
        except ValueError:
            return None
        return usec / 1_000_000 if usec > 0 else None
