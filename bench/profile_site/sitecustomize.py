"""Profile every Python process of a run: `run --once`, the delivery process
it spawns and the form workers (bench/README.md, session 4).

    KPROF_DIR=/tmp/prof PYTHONPATH=bench/profile_site python -m bench.bench_backlog \
        --mode subprocess

Each process writes `<pid>.prof` (cProfile; read with `pstats`) and
`<pid>.txt` (its command line, CPU and wall seconds) into KPROF_DIR when it
exits. `KPROF_ON=0` skips the profiler and keeps the CPU figures, which the
profiler inflates. Without KPROF_DIR this file does nothing.
"""

from __future__ import annotations

import atexit
import os
import resource
import sys
import time

_DIR = os.environ.get("KPROF_DIR")


def _start(folder: str) -> None:
    import cProfile

    profiler = cProfile.Profile() if os.environ.get("KPROF_ON") != "0" else None
    started = time.perf_counter()

    def dump() -> None:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(f"{folder}/{os.getpid()}.prof")
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime
        wall = time.perf_counter() - started
        with open(f"{folder}/{os.getpid()}.txt", "w") as out:
            out.write(f"{' '.join(sys.argv)[:200]}\ncpu {cpu:.3f} wall {wall:.3f}\n")

    atexit.register(dump)
    if profiler is not None:
        profiler.enable()


if _DIR:
    _start(_DIR)
