"""Real servers for tests (Dovecot IMAP, aiosmtpd SMTP) and their small helpers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import NoReturn

import pytest

# In CI every real server the tests speak to must be there: a missing one
# fails the run instead of quietly skipping the tests that need it.
IN_CI = bool(os.environ.get("KLACHTEN_CI"))


def unavailable(reason: str) -> NoReturn:
    """A server or tool the test needs is missing: skip with `reason` on a
    developer's machine, fail in CI (KLACHTEN_CI=1)."""
    if IN_CI:
        pytest.fail(f"{reason} (required when KLACHTEN_CI is set)", pytrace=False)
    pytest.skip(reason)


def free_port(exclude: Collection[int] = ()) -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in exclude:
            return port


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.02
) -> None:
    """Poll *condition* until true; raise TimeoutError naming *what* after *timeout*.

    The interval grows to at most 0.2 s so fast conditions are seen fast and slow
    ones do not burn a core.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not done after {timeout:g} s")
        time.sleep(interval)
        interval = min(interval * 2, 0.2)


def descendants(pid: int) -> list[int]:
    """PIDs of all processes below *pid*, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        stat = _stat(int(entry.name)) if entry.name.isdigit() else None
        if stat is not None:
            children.setdefault(stat[1], []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found.extend(below)
        todo.extend(below)
    return found


def alive(pid: int) -> bool:
    """True unless *pid* is gone, a zombie (Z) or dead (X).

    Zombies linger in this sandbox (nobody reaps orphans) but hold no sockets or
    files, so for a restart they count as gone.
    """
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def terminate(pids: Iterable[int], title_prefix: str, timeout: float) -> None:
    """SIGTERM the live *pids* whose title starts with *title_prefix*; wait for
    them, SIGKILL what is left after *timeout*."""
    ours = [pid for pid in pids if _title(pid).startswith(title_prefix.encode())]
    _signal_all(ours, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        wait_until(lambda: not any(map(alive, ours)), timeout, "processes to end")
    _signal_all(ours, signal.SIGKILL)


def _signal_all(pids: Iterable[int], signum: int) -> None:
    for pid in filter(alive, pids):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _title(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, ppid) from /proc/PID/stat, or None when the process is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])
