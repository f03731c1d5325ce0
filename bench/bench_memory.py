"""Memory: peak RSS of `klachten run --once` (a subprocess; VmHWM read
from /proc while it runs).

(a) one complaint with a 25 MB attachment, under a size limit above it;
(b) the backlog of N complaints (default 2,000);
(c) a complaint over the size limit: the peak stays low, and what is stored
    is the header only (raw_complete false), so it was never fetched whole.

    python -m bench.bench_memory [--n 2000] [--db sqlite|URL] [--only a|b|c]
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

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
from bench.complaints import complaint

BIG_ATTACHMENT = 25 * 1024 * 1024
MIB = 1024 * 1024


def big_complaint() -> bytes:
    """A complaint with a 25 MB binary attachment (about 34 MB as base64)."""
    rng = random.Random(25)
    data = rng.randbytes(BIG_ATTACHMENT)
    attachment = ("scan-dossier.bin", "application/octet-stream", data)
    return complaint(rng, 700_000, datetime.now(UTC), attachment=attachment)


def run_once_peak(
    raws: list[bytes], db: str, limit: int
) -> tuple[float, int, dict[str, object]]:
    """Append `raws`, run `run --once` once: (peak MiB, acks, stored facts)."""
    with database(db) as url, servers() as (imap, smtp), scratch() as folder:
        config = write_config(folder, url, imap, smtp, imap={"max_message_size": limit})
        imap.append_many(raws)
        argv = klachten_argv("--config", str(config), "run", "--once")
        log = folder / "run.log"
        with log.open("wb") as err:
            code, seconds, peak_kib = run_measured(argv, stderr=err)
        if code != 0:
            note(log.read_text(errors="replace")[-2000:])
            raise SystemExit(f"run --once exited {code}")
        note(f"run --once took {seconds:.2f} s")
        return peak_kib / 1024, len(smtp.received), stored_facts(url)


def stored_facts(url: str) -> dict[str, object]:
    """What the store holds of the largest message: class, sizes, completeness."""
    from sqlalchemy import func, select

    from store.db import make_engine
    from store.models import Message

    engine = make_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            select(
                Message.klass,
                Message.size,
                Message.raw_complete,
                func.length(Message.raw),
            )
            .order_by(Message.size.desc())
            .limit(1)
        ).one()
    engine.dispose()
    return {"class": row[0], "size": row[1], "complete": row[2], "raw_len": row[3]}


def case_a(db: str, label: str) -> None:
    raw = big_complaint()
    peak, acks, facts = run_once_peak([raw], db, limit=64 * MIB)
    emit(f"{label}.big_attachment.message_bytes", len(raw), "B")
    emit(f"{label}.big_attachment.peak_rss", peak, "MiB")
    emit(f"{label}.big_attachment.acks", acks, "mails")
    emit(f"{label}.big_attachment.stored_raw_bytes", int(facts["raw_len"]), "B")


def case_b(db: str, label: str, n: int) -> None:
    raws = make_complaints(n)
    peak, acks, _facts = run_once_peak(raws, db, limit=25 * MIB)
    emit(f"{label}.backlog.n", n, "messages")
    emit(f"{label}.backlog.peak_rss", peak, "MiB")
    emit(f"{label}.backlog.acks_after_one_run", acks, "mails")


def case_c(db: str, label: str) -> None:
    raw = big_complaint()
    limit = 10 * MIB
    peak, acks, facts = run_once_peak([raw], db, limit=limit)
    emit(f"{label}.over_limit.message_bytes", len(raw), "B")
    emit(f"{label}.over_limit.limit", limit, "B")
    emit(f"{label}.over_limit.peak_rss", peak, "MiB")
    emit(f"{label}.over_limit.stored_class", str(facts["class"]))
    emit(f"{label}.over_limit.stored_raw_bytes", int(facts["raw_len"]), "B")
    emit(f"{label}.over_limit.raw_complete", str(facts["complete"]).lower())
    emit(f"{label}.over_limit.acks", acks, "mails")


def baseline_peak() -> float:
    """Peak RSS of `klachten --help`: the interpreter and the CLI alone."""
    _code, _seconds, kib = run_measured(klachten_argv("--help"))
    return kib / 1024


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], n=2000)
    p.add_argument("--only", choices=("a", "b", "c"), action="append")
    args = p.parse_args(argv)
    quiet_smtp_server()
    machine()
    label = f"memory.{db_label(args.db)}"
    emit("memory.baseline_help.peak_rss", baseline_peak(), "MiB")
    only = set(args.only or ("a", "b", "c"))
    if "a" in only:
        case_a(args.db, label)
    if "b" in only:
        case_b(args.db, label, args.n)
    if "c" in only:
        case_c(args.db, label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
