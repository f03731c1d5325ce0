"""What every benchmark shares: arguments, databases, servers, config, output.

A benchmark prints one line per measurement, "name value unit", so that runs
can be compared with `diff` or collected by a script. Progress and notes go to
stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.complaints import make_complaints

REPO = Path(__file__).resolve().parents[1]
PG_BENCH_DB = "klachten_bench"
__all__ = ["make_complaints"]


def parser(description: str, *, n: int | None = None) -> argparse.ArgumentParser:
    """The common options: --db, and --n when the benchmark has a size."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--db",
        default="sqlite",
        help="sqlite (a temporary file, the default) or a PostgreSQL URL; the "
        f"database named in the URL is replaced by {PG_BENCH_DB}, created and "
        "dropped by the benchmark",
    )
    if n is not None:
        p.add_argument("--n", type=int, default=n, help=f"size (default {n})")
    return p


def emit(name: str, value: float | int | str, unit: str = "") -> None:
    """One measurement line on stdout."""
    if isinstance(value, float):
        value = f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    print(f"{name} {value} {unit}".rstrip(), flush=True)


def note(text: str) -> None:
    """Progress for the person watching; not a measurement."""
    print(f"# {text}", file=sys.stderr, flush=True)


def machine() -> None:
    """The lines that say where and when the figures were taken."""
    emit("machine.nproc", os.cpu_count() or 0)
    emit("machine.python", platform.python_version())
    emit("machine.date", datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"))


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (0 < fraction <= 1)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.4999)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# -- databases ---------------------------------------------------------------------


@contextlib.contextmanager
def database(spec: str) -> Iterator[str]:
    """A migrated, empty database for `spec` ("sqlite" or a PostgreSQL URL);
    removed afterwards."""
    if spec == "sqlite":
        with tempfile.TemporaryDirectory(prefix="kbench-") as folder:
            url = f"sqlite:///{folder}/klachten.db"
            _migrate(url)
            yield url
        return
    with _postgres_database(spec) as url:
        _migrate(url)
        yield url


@contextlib.contextmanager
def _postgres_database(spec: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    given = make_url(spec)
    # Beside the database named (one per developer), so that two benchmarks
    # on one server do not drop each other's.
    name = f"{given.database}_bench" if given.database else PG_BENCH_DB
    url = given.set(database=name)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    drop = text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    try:
        with admin.connect() as connection:
            connection.execute(drop)
            connection.execute(text(f"CREATE DATABASE {name}"))
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(drop)
        admin.dispose()


def _migrate(url: str) -> None:
    from store.db import make_engine
    from store.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def db_label(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


# -- servers and config ------------------------------------------------------------


@contextlib.contextmanager
def servers() -> Iterator[tuple[Any, Any]]:
    """A private Dovecot and an aiosmtpd server, both on loopback."""
    from tests.servers.dovecot import DovecotServer, dovecot_available

    reason = dovecot_available()
    if reason:
        raise SystemExit(f"cannot run: {reason}")
    with DovecotServer() as imap, lean_smtp_server() as smtp:
        yield imap, smtp


def write_config(
    folder: Path, db_url: str, imap: Any, smtp: Any, /, **sections: dict[str, Any]
) -> Path:
    """A klachten.toml for the servers and database; `sections` override."""
    from tests.conftest import write_config as write_toml

    merged: dict[str, dict[str, Any]] = {
        "imap": {
            "host": imap.host,
            "port": imap.port,
            "security": "none",
            "username": imap.username,
            "password": imap.password,
            "idle": True,
        },
        "smtp": {"host": smtp.host, "port": smtp.port, "security": "none"},
        "store": {"url": db_url},
        "cases": {"timezone": "Europe/Brussels"},
        "reminders": {"coordinators": ["klachtencoordinator@libmutov.be"]},
        "service": {"log_level": "INFO"},
    }
    for name, values in sections.items():
        merged.setdefault(name, {}).update(values)
    return write_toml(folder / "klachten.toml", merged)


# -- running klachten ----------------------------------------------------------------


def klachten_argv(*args: str) -> list[str]:
    """`klachten ARGS` as a subprocess of this interpreter, from the checkout."""
    return [sys.executable, "-m", "service.cli", *args]


def run_measured(argv: Sequence[str], **popen: Any) -> tuple[int, float, int]:
    """Run a subprocess to its end: (exit status, wall seconds, peak RSS in KiB).

    The peak is the VmHWM of the child's own address space, read from /proc
    every few milliseconds. Not wait4's ru_maxrss: Linux folds the RSS of the
    forked copy of this (large) benchmark process into it at exec.
    """
    popen.setdefault("cwd", REPO)
    popen.setdefault("stdout", subprocess.DEVNULL)
    started = time.perf_counter()
    process = subprocess.Popen(list(argv), **popen)
    peak = 0
    while True:
        pid, status, _usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _vm_hwm_kib(process.pid))
        time.sleep(0.005)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, seconds, peak


def _vm_hwm_kib(pid: int) -> int:
    """The resident-set high-water mark of `pid` (0 when unreadable)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder for configs and outputs."""
    folder = Path(tempfile.mkdtemp(prefix="kbench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def quiet_smtp_server() -> None:
    """aiosmtpd logs every SMTP command at INFO: not what is being measured."""
    import logging

    logging.getLogger("mail.log").setLevel(logging.WARNING)


def lean_smtp_server() -> Any:
    """The tests' aiosmtpd server, minus the parse of every received mail.

    The server shares the two cores with what is measured, and the tests'
    server parses each message with the email package: about 0.7 ms a mail,
    more than aiosmtpd spends on the whole SMTP dialogue. Here `received`
    holds the raw bytes only (`message` is None); `parse_received` reads one
    back when a benchmark wants to check.
    """
    from tests.servers.smtp import Received, SmtpServer

    class LeanSmtpServer(SmtpServer):
        def _store(self, session: Any, envelope: Any) -> None:
            received = Received(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=envelope.content,
                message=None,  # type: ignore[arg-type]
            )
            with self._changed:
                self._received.append(received)
                self._changed.notify_all()

    return LeanSmtpServer()


def parse_received(data: bytes) -> Any:
    """One received mail as the email package reads it (policy.default)."""
    import email
    import email.policy

    return email.message_from_bytes(data, policy=email.policy.default)
