"""Start-up: wall time of `klachten --help`, median of N runs (default 20).

The installed console script is timed when it exists (what an operator
types), else `python -m service.cli`. The bare interpreter (`python -c pass`)
is the floor. With --importtime the slowest imports of one run go to stderr.

    python -m bench.bench_startup [--n 20] [--importtime]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.common import (
    REPO,
    emit,
    klachten_argv,
    machine,
    median,
    note,
    parser,
    run_measured,
)


def klachten_command() -> list[str]:
    script = Path(sys.executable).with_name("klachten")
    if script.exists():
        return [str(script)]
    found = shutil.which("klachten")
    return [found] if found else klachten_argv()


def wall_times(argv: list[str], n: int) -> list[float]:
    times = []
    for _ in range(n):
        code, seconds, _rss = run_measured(argv)
        if code != 0:
            raise SystemExit(f"{' '.join(argv)} exited {code}")
        times.append(seconds)
    return times


def slowest_imports(argv: list[str], top: int = 15) -> None:
    """`-X importtime` of one run: the imports with the largest cumulative time."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv[1:]]
        if argv[0] == sys.executable
        else [sys.executable, "-X", "importtime", "-m", "service.cli", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    for micros, name in sorted(rows, reverse=True)[:top]:
        note(f"import {micros / 1000:8.1f} ms cumulative  {name}")


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], n=20)
    p.add_argument("--importtime", action="store_true")
    args = p.parse_args(argv)
    machine()
    command = [*klachten_command(), "--help"]
    note(f"timing {' '.join(command)}")
    floor = wall_times([sys.executable, "-c", "pass"], args.n)
    times = wall_times(command, args.n)
    emit("startup.n", args.n, "runs")
    emit("startup.python_bare_median", median(floor), "s")
    emit("startup.help_median", median(times), "s")
    emit("startup.help_max", max(times), "s")
    if args.importtime:
        slowest_imports(command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
