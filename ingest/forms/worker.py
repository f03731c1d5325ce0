"""A form worker: `python -m ingest.forms.worker`, one attachment at a time.

Started by the pool (ingest/forms/pool.py) with pipes on stdin and stdout.
It limits its own address space once (RLIMIT_AS, inherited by pdftoppm and
Tesseract) and its CPU time before every attachment (RLIMIT_CPU: SIGXCPU ends
it). It dies with the service (PR_SET_PDEATHSIG), and stops at the end of its
input. It writes nothing else: a hostile file's text never reaches a log.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import resource
import signal
import sys
from typing import Any, BinaryIO

from ingest.forms.wire import WireError, decode, encode, frame, read_frame

PR_SET_PDEATHSIG = 1
# Limits of a request's header; the attachment's bytes come as their own frame.
MAX_HEADER_BYTES = 64 * 1024
MAX_DATA_BYTES = 1024 * 1024 * 1024
# Exit status after a MemoryError: the heap may be in pieces, start afresh.
EXIT_MEMORY = 3


def die_with_parent(parent: int) -> None:
    """Ask Linux to kill us when the service goes (a kill -9 included)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it went before the request above
        os._exit(0)


def limit_memory(max_bytes: int) -> None:
    """Cap the address space of this process and of the programs it runs."""
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def cpu_used() -> float:
    """CPU seconds of this process and of the programs it waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def limit_cpu(seconds: float) -> None:
    """SIGXCPU (which ends this process) after `seconds` more of CPU time."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    used = own.ru_utime + own.ru_stime
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(used + max(seconds, 1.0))
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def warm_up() -> None:
    """Import the readers now, not while the first attachment's clock runs."""
    import ingest.forms.pdf
    import ingest.forms.word  # noqa: F401


def answer(request: dict[str, Any], data: bytes) -> dict[str, Any]:
    """Read one attachment as the request says; the answer to send back."""
    from ingest.forms import OcrTools, read_attachment
    from ingest.forms.wire import result_to_json

    limit_cpu(float(request["cpu_seconds"]))
    started = cpu_used()
    try:
        result = read_attachment(
            str(request["filename"]),
            str(request["content_type"]),
            data,
            ocr_timeout=float(request["ocr_timeout"]),
            max_pages=int(request["max_pages"]),
            ocr=OcrTools(**request.get("ocr", {})),
            max_unpacked=int(request["max_unpacked"]),
        )
    except MemoryError:
        return {"limit": "memory", "cpu": cpu_used() - started}
    except Exception as exc:  # a reader's bug must not end the worker
        return {"error": type(exc).__name__, "cpu": cpu_used() - started}
    return {"result": result_to_json(result), "cpu": cpu_used() - started}


def serve(stdin: BinaryIO, stdout: BinaryIO) -> int:
    """Answer requests until stdin ends; the exit status."""
    while True:
        try:
            request = decode(read_frame(stdin, MAX_HEADER_BYTES))
            data = read_frame(stdin, MAX_DATA_BYTES)
        except WireError:
            return 0
        reply = answer(request, data)
        del data
        stdout.write(frame(encode(reply)))
        stdout.flush()
        if reply.get("limit") == "memory":
            return EXIT_MEMORY


def main(argv: list[str]) -> int:
    """`worker PARENT_PID MEMORY_BYTES`."""
    parent, memory = int(argv[0]), int(argv[1])
    die_with_parent(parent)
    # The pool stops us with SIGKILL; SIGINT from a terminal is the service's.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_memory(memory)
    warm_up()
    return serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
