"""Backlog: N complaints waiting in Dovecot, `klachten run --once` takes them in.

Measures, end to end, from the start of `run --once` until the real SMTP server
holds all N acknowledgements; and, in the same process, the bare parse of the
same bytes with mail-parser (the floor). When one `run --once` does not
acknowledge everything (delivery stops at its per-run limit), it is run again
until all acknowledgements arrived, and the number of runs is reported.

    python -m bench.bench_backlog [--n 2000] [--db sqlite|URL]
        [--mode inprocess|subprocess] [--profile FILE] [--compare-key [ROUNDS]]

--compare-key measures the backlog without and with `[privacy] key_file`
(encryption at rest) in the same run, alternating, ROUNDS times each (fresh
database and servers every time), and reports the ratio of the medians.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.common import (
    database,
    db_label,
    emit,
    klachten_argv,
    machine,
    make_complaints,
    note,
    parser,
    quiet_smtp_server,
    run_measured,
    scratch,
    servers,
    write_config,
)

MAX_RUNS = 50
DEVNULL = open(os.devnull, "w")  # noqa: SIM115  # for the process's life


def bare_parse_seconds(raws: Sequence[bytes]) -> float:
    """Seconds mail-parser needs for all `raws`, in this process."""
    import mailparser

    started = time.perf_counter()
    for raw in raws:
        mailparser.parse_from_bytes(raw)
    return time.perf_counter() - started


class OnceRunner:
    """Runs `klachten --config C run --once`, in this process or a child.

    In this process the two phases are timed too: the runner's intake pass and
    its outbox delivery (by wrapping the functions it looks up, not by
    changing them).
    """

    def __init__(self, config: Path, mode: str, profile: str | None) -> None:
        self.argv = ["--config", str(config), "run", "--once"]
        self.mode = mode
        self.profile = profile
        self.profiler = None
        self.peak_rss_kib = 0
        self.phases: dict[str, float] = {"intake": 0.0, "delivery": 0.0}
        if mode == "inprocess":
            self._wrap_phases()
        if profile:
            from pyinstrument import Profiler

            self.profiler = Profiler(interval=0.001)

    def _wrap_phases(self) -> None:
        import responder.delivery_run
        import service.runner

        service.runner.intake_pass = self._timed("intake", service.runner.intake_pass)
        delivery = responder.delivery_run.OutboxDelivery
        delivery.deliver_pending = self._timed(  # type: ignore[method-assign]
            "delivery", delivery.deliver_pending
        )

    def _timed(self, phase: str, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.phases[phase] += time.perf_counter() - started

        return timed

    def run(self) -> int:
        if self.mode == "subprocess":
            code, _seconds, rss = run_measured(
                klachten_argv(*self.argv), stderr=subprocess.DEVNULL
            )
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            return code
        from service.cli import main

        out = io.StringIO()
        # run --once logs JSON lines to stderr (as under systemd): formatted,
        # then thrown away, so their cost counts but the terminal stays calm.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(DEVNULL):
            if self.profiler is not None:
                self.profiler.start()
            try:
                code = main(self.argv)
            finally:
                if self.profiler is not None:
                    self.profiler.stop()
        note(f"run --once: {out.getvalue().strip()}")
        return code

    def report_profile(self) -> None:
        if self.profiler is None or not self.profile:
            return
        Path(self.profile).write_text(self.profiler.output_text(show_all=False))
        print(self.profiler.output_text(show_all=False), file=sys.stderr)


def drain(runner: OnceRunner, smtp, n: int) -> tuple[float, int, int]:
    """(seconds until n acknowledgements, runs needed, acks after the first)."""
    started = time.perf_counter()
    first = 0
    for runs in range(1, MAX_RUNS + 1):
        code = runner.run()
        if code != 0:
            raise SystemExit(f"run --once exited {code}")
        if runs == 1:
            first = len(smtp.received)
        if len(smtp.received) >= n:
            return time.perf_counter() - started, runs, first
    raise SystemExit(f"only {len(smtp.received)} of {n} acks after {MAX_RUNS} runs")


def count_cases(url: str) -> int:
    from sqlalchemy import func, select

    from store.db import make_engine
    from store.models import Case

    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(Case))
    engine.dispose()
    return int(count or 0)


def backlog_seconds(
    db: str, raws: Sequence[bytes], key_file: Path | None
) -> tuple[float, float]:
    """One backlog through `run --once` (in this process): its seconds, and
    the CPU seconds of this process (less disturbed by a loaded machine)."""
    extra = {"privacy": {"key_file": str(key_file)}} if key_file else {}
    with database(db) as url, servers() as (imap, smtp), scratch() as folder:
        config = write_config(folder, url, imap, smtp, **extra)
        imap.append_many(raws)
        cpu = time.process_time()
        seconds, _runs, _first = drain(
            OnceRunner(config, "inprocess", None), smtp, len(raws)
        )
        cpu = time.process_time() - cpu
        if count_cases(url) != len(raws):
            raise SystemExit("not every complaint became a case")
    return seconds, cpu


def compare_key(db: str, raws: Sequence[bytes], rounds: int) -> None:
    """Without and with a key, alternating; the ratio of the medians."""
    from statistics import median

    from store.crypto import new_key

    with scratch() as folder:
        key_file = folder / "privacy.key"
        key_file.write_text(new_key() + "\n")
        backlog_seconds(db, raws[:50], key_file)  # imports, templates: not timed
        plain, keyed, plain_cpu, keyed_cpu = [], [], [], []
        for _ in range(rounds):
            for times, cpus, key in (
                (plain, plain_cpu, None),
                (keyed, keyed_cpu, key_file),
            ):
                seconds, cpu = backlog_seconds(db, raws, key)
                times.append(seconds)
                cpus.append(cpu)
            note(
                f"round: plain {plain[-1]:.2f} s ({plain_cpu[-1]:.2f} cpu), "
                f"keyed {keyed[-1]:.2f} s ({keyed_cpu[-1]:.2f} cpu)"
            )
    label = f"backlog_key.{'sqlite' if db == 'sqlite' else 'postgresql'}"
    emit(f"{label}.n", len(raws), "messages")
    emit(f"{label}.plain_rate", len(raws) / median(plain), "msg/s")
    emit(f"{label}.keyed_rate", len(raws) / median(keyed), "msg/s")
    emit(f"{label}.cost", median(keyed) / median(plain) - 1, "fraction")
    emit(f"{label}.cpu_cost", median(keyed_cpu) / median(plain_cpu) - 1, "fraction")


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], n=2000)
    p.add_argument("--mode", choices=("inprocess", "subprocess"), default="inprocess")
    p.add_argument(
        "--profile", help="write a pyinstrument profile (text) here; inprocess"
    )
    p.add_argument("--compare-key", type=int, nargs="?", const=3, metavar="ROUNDS")
    args = p.parse_args(argv)
    quiet_smtp_server()
    machine()
    note(f"making {args.n} complaints")
    raws = make_complaints(args.n)
    if args.compare_key:
        compare_key(args.db, raws, args.compare_key)
        return 0
    floor = bare_parse_seconds(raws)
    with database(args.db) as url, servers() as (imap, smtp), scratch() as folder:
        label = f"backlog.{db_label(url)}"
        config = write_config(folder, url, imap, smtp)
        started = time.perf_counter()
        imap.append_many(raws)
        emit(f"{label}.append_seconds", time.perf_counter() - started, "s")
        runner = OnceRunner(config, args.mode, args.profile)
        seconds, runs, first = drain(runner, smtp, args.n)
        emit(f"{label}.n", args.n, "messages")
        emit(f"{label}.mode", args.mode)
        emit(f"{label}.cases", count_cases(url), "cases")
        emit(f"{label}.acks_after_first_run", first, "mails")
        emit(f"{label}.runs_needed", runs, "runs")
        emit(f"{label}.seconds", seconds, "s")
        emit(f"{label}.rate", args.n / seconds, "msg/s")
        emit(f"{label}.bare_parse_rate", args.n / floor, "msg/s")
        emit(f"{label}.ratio_to_bare_parse", seconds / floor, "x")
        if runner.peak_rss_kib:
            emit(f"{label}.peak_rss", runner.peak_rss_kib / 1024, "MiB")
        for phase, spent in runner.phases.items():
            if spent:
                emit(f"{label}.{phase}_seconds", spent, "s")
                emit(f"{label}.{phase}_rate", args.n / spent, "msg/s")
    runner.report_profile()
    return 0


if __name__ == "__main__":
    sys.exit(main())
