"""Scale of the store: N cases (default 1,000,000) bulk-generated through the
models, then the reminder job's query and `cases list --overdue` are timed.

The spread is that of a fund with N/10 complaints a year over ten years:
received times uniform over the years, deadlines from the configured days,
nearly every old case answered or closed, a small share left open past its
deadline (--overdue-share), and the last weeks' cases mostly still open.

    python -m bench.bench_store_scale [--n 1000000] [--db sqlite|URL]
        [--repeat 3] [--overdue-share 0.005]
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import (
    database,
    db_label,
    emit,
    machine,
    median,
    note,
    parser,
    scratch,
)
from store.vocabulary import OPEN_STATUSES, Channel, Status

YEARS = 10
BATCH = 10_000
# Mostly e-mail; letters and e-Loket forms too (the CHECK on cases.channel
# refuses words outside the vocabulary).
CHANNELS = (Channel.EMAIL,) * 3 + (Channel.POST, Channel.ORAL, Channel.E_LOKET)
CATEGORIES = ("terugbetaling", "dossierbehandeling", "onthaal en medewerkers",
              "facturatie en bijdragen", "arbeidsongeschiktheid", "andere")  # fmt: skip


def case_rows(
    n: int, now: datetime, overdue_share: float, seed: int = 1
) -> Iterator[list[dict]]:
    """Batches of Case rows (dicts for `insert(Case)`), numbered per year."""
    rng = random.Random(seed)
    span = timedelta(days=365 * YEARS)
    start = now - span
    # Sorted receipt times give gapless, ordered numbers per year, as in life.
    offsets = sorted(rng.random() for _ in range(n))
    seq_by_year: dict[int, int] = {}
    batch: list[dict] = []
    for index, offset in enumerate(offsets):
        received = start + span * offset
        seq = seq_by_year[received.year] = seq_by_year.get(received.year, 0) + 1
        batch.append(_row(rng, index, received, seq, now, overdue_share))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _row(
    rng: random.Random,
    index: int,
    received: datetime,
    seq: int,
    now: datetime,
    overdue_share: float,
) -> dict:
    ack_due = received + timedelta(days=10)
    answer_due = received + timedelta(days=45)
    status, answered, closed = _fate(rng, received, answer_due, now, overdue_share)
    acknowledged = received + timedelta(hours=rng.randint(0, 72))
    return {
        "number": f"KL-{received.year}-{seq:05d}",
        "year": received.year,
        "seq": seq,
        "status": status,
        "channel": rng.choice(CHANNELS),
        "received_at": received,
        "ack_due": ack_due,
        "answer_due": answer_due,
        "acknowledged_at": acknowledged if acknowledged < now else None,
        "answered_at": answered,
        "closed_at": closed,
        "member_name": f"Lid {index}",
        "member_email": f"lid{index}@leden.example",
        "subject": f"Klacht {index}",
        "language": "nl" if rng.random() < 0.6 else "fr",
        "category": rng.choice(CATEGORIES),
        "flags": [],
        "created_at": received,
    }


def _fate(
    rng: random.Random,
    received: datetime,
    answer_due: datetime,
    now: datetime,
    overdue_share: float,
) -> tuple[str, datetime | None, datetime | None]:
    """(status, answered_at, closed_at) for a case received at `received`."""
    if answer_due < now and rng.random() >= overdue_share:
        answered = received + timedelta(days=rng.randint(3, 44))
        closed = answered + timedelta(days=rng.randint(1, 30))
        return (
            (Status.CLOSED, answered, closed)
            if closed < now
            else (Status.ANSWERED, answered, None)
        )
    if answer_due >= now and rng.random() < 0.3:
        answered = min(now, received + timedelta(days=rng.randint(1, 20)))
        return Status.ANSWERED, answered, None
    return rng.choice(OPEN_STATUSES), None, None


def generate(url: str, n: int, overdue_share: float) -> float:
    """Insert n cases through the models; returns seconds taken."""
    from sqlalchemy import insert

    from store.db import make_engine, session_factory, transaction
    from store.models import Case, CaseCounter

    engine = make_engine(url)
    sessions = session_factory(engine)
    started = time.perf_counter()
    last: dict[int, int] = {}
    for done, rows in enumerate(case_rows(n, datetime.now(UTC), overdue_share), 1):
        with transaction(sessions) as session:
            session.execute(insert(Case), rows)
        for row in rows:
            last[row["year"]] = row["seq"]
        if done % 10 == 0:
            note(f"{done * BATCH} cases")
    with transaction(sessions) as session:
        session.execute(
            insert(CaseCounter), [{"year": y, "last_seq": s} for y, s in last.items()]
        )
    seconds = time.perf_counter() - started
    _analyze(engine)
    engine.dispose()
    return seconds


def _analyze(engine) -> None:
    """Fresh planner statistics, as autovacuum or `ANALYZE` would give."""
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def timed(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return median(times), result


def bench_reminders(app, repeat: int) -> None:
    """The reminder job's read: open cases, what was sent, the plan (preview)."""
    from responder.reminder_job import preview
    from store import reminder_records as store

    label = f"scale.{db_label(app.settings.store.url)}"

    def query() -> int:
        with app.transaction() as session:
            cases = store.open_cases(session)
            store.sent_keys(session, [c.id for c in cases])
        return len(cases)

    seconds, count = timed(query, repeat)
    emit(f"{label}.open_cases", count, "cases")
    emit(f"{label}.reminders_query_seconds", seconds, "s")
    seconds, plan = timed(lambda: preview(app), repeat)
    emit(f"{label}.reminders_preview_seconds", seconds, "s")
    emit(f"{label}.reminders_preview_mails", len(plan.mails), "mails")


def bench_overdue(config: Path, url: str, repeat: int) -> None:
    """`cases list --overdue --format json` in this process, stdout to /dev/null."""
    from service.cli import main

    label = f"scale.{db_label(url)}"
    argv = ["--config", str(config), "cases", "list", "--overdue", "--format", "json"]
    codes = []

    def run() -> None:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            codes.append(main(argv))

    seconds, _ = timed(run, repeat)
    if set(codes) != {0}:
        raise SystemExit(f"cases list exited {codes}")
    emit(f"{label}.cases_list_overdue_seconds", seconds, "s")


def count_overdue(url: str) -> int:
    from sqlalchemy import func, select

    from store.db import make_engine
    from store.models import Case

    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.status.in_(OPEN_STATUSES), Case.answer_due < datetime.now(UTC))
        )
    engine.dispose()
    return int(count or 0)


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], n=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--overdue-share", type=float, default=0.005)
    args = p.parse_args(argv)
    machine()
    from config import load_settings
    from service.app import App
    from tests.conftest import base_sections, write_config

    with database(args.db) as url, scratch() as folder:
        label = f"scale.{db_label(url)}"
        emit(f"{label}.n", args.n, "cases")
        emit(
            f"{label}.generate_seconds", generate(url, args.n, args.overdue_share), "s"
        )
        emit(f"{label}.overdue", count_overdue(url), "cases")
        config = write_config(folder / "klachten.toml", base_sections(url))
        app = App(load_settings(config, environ={}), config, actor="bench")
        try:
            bench_reminders(app, args.repeat)
        finally:
            app.close()
        bench_overdue(config, url, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
