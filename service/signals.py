"""Signals for the daemon: SIGTERM/SIGINT stop it, SIGHUP asks for a reload.

The handlers only set flags. The main loop looks at them between messages
and at least once a second while it waits for mail, so a stop never cuts a
message in half and still ends the process well inside systemd's 15 s. No
handler raises into the code it interrupts: an exception in the middle of a
database commit is exactly the half-done state we avoid.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Signals:
    """The stop flag and the reload request, safe to read from any thread."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._reload = threading.Event()
        self.stop_signal: str | None = None

    @property
    def stopping(self) -> bool:
        """True once a stop was asked for: take no new work."""
        return self._stop.is_set()

    def request_stop(self, reason: str = "request") -> None:
        """Ask the loop to stop (what SIGTERM does; tests and jobs may call it)."""
        if self.stop_signal is None:
            self.stop_signal = reason
        self._stop.set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking at once on a stop; True when stopping."""
        return self._stop.wait(max(0.0, seconds))

    def take_reload(self) -> bool:
        """True once per SIGHUP received since the last call."""
        if self._reload.is_set():
            self._reload.clear()
            return True
        return False

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        self.request_stop(signal.Signals(signum).name)

    def _on_reload(self, _signum: int, _frame: FrameType | None) -> None:
        self._reload.set()


Handler = Callable[[int, FrameType | None], object] | int | None


@contextmanager
def installed(signals: Signals) -> Iterator[Signals]:
    """Install the handlers for the block and restore the previous ones after.

    Must run in the main thread (Python delivers signals only there).
    """
    previous: dict[int, Handler] = {}
    for number in STOP_SIGNALS:
        previous[number] = signal.signal(number, signals._on_stop)
    previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, signals._on_reload)
    try:
        yield signals
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
