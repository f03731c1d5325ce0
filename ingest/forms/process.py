"""One form worker process seen from the service: its pipes and its end.

Both pipes are non-blocking: a worker still starting, or a 25 MB scan on its
way, never holds the caller (and so the heartbeat of ingest/forms/pool.py).
The worker runs in its own process group, so a kill takes the pdftoppm or
Tesseract it started along. It dies with the thread that started it
(PR_SET_PDEATHSIG): start workers from a thread that lives as long as the
pool, as the intake's loop does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from typing import Any

from ingest.forms.wire import (
    HEADER_BYTES,
    MAX_ANSWER_BYTES,
    WireError,
    decode,
    encode,
    frame,
    frame_length,
)

PIPE_CHUNK = 1 << 16
# A worker parses what strangers send: it gets no secrets and no way to
# speak to systemd.
_WITHHELD = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "CREDENTIALS_DIRECTORY")


def worker_environment() -> dict[str, str]:
    """The service's environment without its settings, secrets and sockets."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KLACHTEN_") and key not in _WITHHELD
    }


class WorkerGone(Exception):
    """The worker ended (or broke the protocol) before it answered."""


class WorkerProcess:
    """One worker process and the bytes of its answer read so far."""

    def __init__(self, memory_bytes: int) -> None:
        argv = [sys.executable, "-m", "ingest.forms.worker"]
        self.memory_bytes = memory_bytes
        self.process = subprocess.Popen(
            [*argv, str(os.getpid()), str(memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its OCR programs die with it
            env=worker_environment(),
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin = self.process.stdin
        self.stdout = self.process.stdout
        os.set_blocking(self.stdout.fileno(), False)
        # Requests are written without blocking too: a worker still starting
        # (or a 25 MB scan) must not stop the heartbeat.
        os.set_blocking(self.stdin.fileno(), False)
        self._buffer = bytearray()
        self._out = memoryview(b"")

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, request: dict[str, Any], data: bytes) -> None:
        """Start writing one request; WorkerGone when the worker is gone."""
        self._out = memoryview(frame(encode(request)) + frame(data))
        self.write_some()

    @property
    def writing(self) -> bool:
        return len(self._out) > 0

    def write_some(self) -> None:
        """Write what the pipe takes now; WorkerGone when the worker is gone."""
        while self._out:
            try:
                written = os.write(self.stdin.fileno(), self._out[:PIPE_CHUNK])
            except BlockingIOError:
                return
            except OSError as exc:  # BrokenPipeError: it died between two files
                raise WorkerGone from exc
            self._out = self._out[written:]

    def answer(self) -> dict[str, Any] | None:
        """The answer once it is complete; None while it is still coming."""
        while True:
            try:
                chunk = self.stdout.read(1 << 16)
            except BlockingIOError:
                chunk = None
            if chunk is None:
                break
            if not chunk:
                raise WorkerGone
            self._buffer += chunk
        if len(self._buffer) < HEADER_BYTES:
            return None
        length = frame_length(bytes(self._buffer[:HEADER_BYTES]))
        if length > MAX_ANSWER_BYTES:
            raise WorkerGone
        if len(self._buffer) < HEADER_BYTES + length:
            return None
        payload = bytes(self._buffer[HEADER_BYTES : HEADER_BYTES + length])
        del self._buffer[: HEADER_BYTES + length]
        try:
            reply = decode(payload)
        except WireError as exc:
            raise WorkerGone from exc
        if not isinstance(reply, dict):
            raise WorkerGone
        return reply

    def exit_status(self, wait: float = 2.0) -> int | None:
        try:
            return self.process.wait(wait)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """SIGKILL to the worker and everything it started."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self._close_pipes()
        self.exit_status(5.0)

    def close(self) -> None:
        """End of input: the worker exits; killed when it does not."""
        with contextlib.suppress(OSError):
            self.stdin.close()
        if self.exit_status(2.0) is None:
            self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                pipe.close()
