"""Latency: the daemon waits in IDLE; time from APPEND to the acknowledgement.

`klachten run` runs as a subprocess. Each complaint is appended over one
client connection (the clock starts just before APPEND), and the next one is
appended only after the SMTP server received the acknowledgement of the
previous one. A warm-up complaint goes first and is not counted.

    python -m bench.bench_latency [--n 100] [--db sqlite|URL]
        [--outbox-interval SECONDS]
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.common import (
    REPO,
    database,
    db_label,
    emit,
    klachten_argv,
    machine,
    median,
    note,
    parser,
    percentile,
    quiet_smtp_server,
    scratch,
    servers,
    write_config,
)
from bench.complaints import complaint

WARM_UP_TIMEOUT = 60.0
ACK_TIMEOUT = 60.0


def start_daemon(
    config: Path, log: Path, entry: str | None = None
) -> subprocess.Popen[bytes]:
    """`klachten run`; `entry` names a script to run in place of the CLI (a
    what-if experiment that patches the daemon before calling the CLI)."""
    argv = klachten_argv("--config", str(config), "run")
    if entry:
        argv[1:3] = [entry]
    with log.open("wb") as out:
        return subprocess.Popen(
            argv,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_daemon(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(10)


def measure(imap, smtp, n: int, seed: int = 99) -> list[float]:
    """Append complaints one by one; seconds from APPEND to ack for each."""
    rng = random.Random(seed)
    latencies: list[float] = []
    with imap.client() as client:
        for index in range(n + 1):
            raw = complaint(rng, 500_000 + index, datetime.now(UTC))
            expected = len(smtp.received) + 1
            started = time.perf_counter()
            client.append("INBOX", raw)
            smtp.wait_for(
                expected, timeout=WARM_UP_TIMEOUT if not index else ACK_TIMEOUT
            )
            if index:  # the first one is the warm-up
                latencies.append(time.perf_counter() - started)
    return latencies


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], n=100)
    p.add_argument(
        "--outbox-interval",
        type=int,
        help="service.outbox_interval for the daemon (default: the config "
        "default, 15 s)",
    )
    p.add_argument("--entry", help="a script to run instead of `-m service.cli`")
    args = p.parse_args(argv)
    quiet_smtp_server()
    machine()
    with database(args.db) as url, servers() as (imap, smtp), scratch() as folder:
        label = f"latency.{db_label(url)}"
        service = {}
        if args.outbox_interval is not None:
            service["outbox_interval"] = args.outbox_interval
        config = write_config(folder, url, imap, smtp, service=service)
        daemon = start_daemon(config, folder / "daemon.log", args.entry)
        try:
            latencies = measure(imap, smtp, args.n)
        except TimeoutError:
            note((folder / "daemon.log").read_text(errors="replace")[-3000:])
            raise
        finally:
            code = stop_daemon(daemon)
        emit(f"{label}.n", len(latencies), "complaints")
        emit(f"{label}.outbox_interval", args.outbox_interval or 15, "s")
        emit(f"{label}.median", median(latencies), "s")
        emit(f"{label}.p95", percentile(latencies, 0.95), "s")
        emit(f"{label}.min", min(latencies), "s")
        emit(f"{label}.max", max(latencies), "s")
        emit(f"{label}.daemon_exit", code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
