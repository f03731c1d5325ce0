"""Who holds a claim or a lease, and whether that holder is gone.

A holder is written "host:pid[:start[:more]]": the host name, the process id
and, where the system tells it, the process's start time (in clock ticks
since boot, from /proc). A holder on this host whose process no longer runs
is gone: its outbox rows and job leases can be taken back at once instead of
when their lease runs out. The start time tells a reused process id from
the original process. A holder on another host is never judged gone here:
only its lease's end frees what it holds.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def process_holder(pid: int | None = None) -> str:
    """The holder string of process `pid` (default: this one)."""
    pid = os.getpid() if pid is None else pid
    start = _start_time(pid)
    suffix = f":{start}" if start is not None else ""
    return f"{socket.gethostname()}:{pid}{suffix}"


def is_gone(holder: str) -> bool:
    """True when `holder` names a process of this host that no longer runs.

    A zombie (dead, not yet reaped by its parent) is gone; a process with the
    same id but another start time is a newcomer, so the holder is gone too.
    """
    host, _, rest = holder.partition(":")
    pid_text, _, rest = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        pass
    except (OverflowError, OSError):  # not a process id this system knows
        return False
    state = _stat(pid)
    if state is None:
        return False
    if state[0] == "Z":
        return True
    start = rest.partition(":")[0]
    return start.isdigit() and state[19] != start


def _start_time(pid: int) -> str | None:
    state = _stat(pid)
    return state[19] if state is not None else None


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first),
    or None where there is no /proc (not Linux) or the process just ended."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return fields if len(fields) > 19 else None
