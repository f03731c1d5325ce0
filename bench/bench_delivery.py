"""Delivery: N acknowledgements waiting in the outbox, `deliver_pending` sends them.

The outbox is filled through the real registration path (`register_inbound`,
one transaction per complaint; Dutch and French members, a third with
accented names); then `App.delivery.deliver_pending` runs once in this
process, logging JSON lines to /dev/null as the delivery process of `run
--once` does, against aiosmtpd in a process of its own (so this process's CPU
time is the delivery's alone). Reported: mails per second (wall), CPU
milliseconds per mail of the delivery and of the SMTP server, and a check that
the server holds N acknowledgements that parse back.

    python -m bench.bench_delivery [--n 2000] [--db sqlite|URL] [--profile FILE]
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.common import (
    database,
    db_label,
    emit,
    lean_smtp_server,
    machine,
    note,
    parse_received,
    parser,
    quiet_smtp_server,
    scratch,
)

NAMES = ("Anna Peeters", "Zoë Ünal", "François Dubois-Lefèvre", "Jan Janssens")


def serve_smtp(pipe: Any) -> None:
    """The SMTP server's process: answers "count", "sample" and "stop"."""
    quiet_smtp_server()
    with lean_smtp_server() as smtp:
        pipe.send((smtp.host, smtp.port))
        while True:
            command = pipe.recv()
            if command == "count":
                pipe.send((len(smtp.received), time.process_time()))
            elif command == "sample":
                got = smtp.received
                pipe.send([got[0].data, got[len(got) // 2].data, got[-1].data])
            else:
                return


class SmtpProcess:
    """aiosmtpd (lean, see bench.common) in a child process."""

    def __enter__(self) -> SmtpProcess:
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=serve_smtp, args=(child,), daemon=True)
        self.process.start()
        self.host, self.port = self.pipe.recv()
        return self

    def ask(self, command: str) -> Any:
        self.pipe.send(command)
        return self.pipe.recv()

    def __exit__(self, *exc_info: object) -> None:
        self.pipe.send("stop")
        self.process.join(timeout=10)


def complaint(index: int) -> Any:
    """One e-mail complaint as the intake hands it to registration: the tests'
    complaint with a distinct sender (the per-address limit), a third in
    French and some accented names."""
    from tests.test_delivery import complaint as test_complaint

    record = test_complaint(
        index,
        sender=f"lid{index}@example.be",
        language="fr" if index % 3 == 1 else "nl",
    )
    case = record.new_case
    member = replace(case.member, name=NAMES[index % len(NAMES)])
    subject = "Terugbetaling kinésithérapie – dossier"
    return replace(record, new_case=replace(case, member=member, subject=subject))


def fill_outbox(app: Any, n: int) -> None:
    """Registered as the tests do: one transaction per complaint."""
    from tests.test_delivery import register

    register(app, *(complaint(index) for index in range(n)))


def make_app(folder: Path, url: str, smtp: SmtpProcess) -> Any:
    from config import load_settings
    from service.app import App
    from tests.conftest import base_sections, write_config

    sections = base_sections(url)
    sections["smtp"].update(host=smtp.host, port=smtp.port)
    path = write_config(folder / "klachten.toml", sections)
    return App(load_settings(path, environ={}), path, actor="bench")


def deliver(app: Any, profile: str | None) -> tuple[Any, float, float, float]:
    """(report, wall, user CPU, system CPU seconds) of one `deliver_pending`."""
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
    wall, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    report = app.delivery.deliver_pending()
    after = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter() - wall
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    if profiler is not None and profile:
        profiler.stop()
        text = profiler.output_text(show_all=False)
        Path(profile).write_text(text)
        print(text, file=sys.stderr)
    return report, wall, user, system


def check(smtp: SmtpProcess, n: int) -> int:
    """The number the server holds; a few of them must parse back as ours."""
    received, _cpu = smtp.ask("count")
    if received:
        for data in smtp.ask("sample"):
            mail = parse_received(data)
            if mail["Auto-Submitted"] != "auto-replied" or not mail["Message-ID"]:
                raise SystemExit("the server holds something else than our mails")
    return int(received)


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], n=2000)
    p.add_argument("--profile", help="write a pyinstrument profile (text) here")
    args = p.parse_args(argv)
    from service.log_setup import configure_logging

    machine()
    with (
        database(args.db) as url,
        SmtpProcess() as smtp,
        scratch() as folder,
        open(os.devnull, "w") as devnull,
    ):
        label = f"delivery.{db_label(url)}"
        app = make_app(folder, url, smtp)
        note(f"registering {args.n} complaints")
        started = time.perf_counter()
        fill_outbox(app, args.n)
        emit(f"{label}.fill_seconds", time.perf_counter() - started, "s")
        configure_logging(level="INFO", json=True, stream=devnull)
        _count, server_cpu = smtp.ask("count")
        report, wall, user, system = deliver(app, args.profile)
        _count, server_after = smtp.ask("count")
        app.close()
        received = check(smtp, args.n)
        emit(f"{label}.n", args.n, "mails")
        emit(f"{label}.sent", report.sent, "mails")
        emit(f"{label}.server_received", received, "mails")
        emit(f"{label}.seconds", wall, "s")
        emit(f"{label}.rate", args.n / wall, "mails/s")
        emit(f"{label}.cpu_per_mail", (user + system) * 1000 / args.n, "ms")
        emit(f"{label}.system_cpu_per_mail", system * 1000 / args.n, "ms")
        emit(
            f"{label}.server_cpu_per_mail",
            (server_after - server_cpu) * 1000 / args.n,
            "ms",
        )
    if received != args.n or report.sent != args.n:
        raise SystemExit(f"sent {report.sent}, server holds {received} of {args.n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
