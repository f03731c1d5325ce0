"""The workspace at scale: N cases (default 100,000), then the cases page,
the search and the case page are timed through the whole application
(middleware, sign-on, store, templates), with Starlette's TestClient.

The cases are those of bench_store_scale (ten years of a fund's complaints,
the last weeks mostly open), with their search rows built as the migration
builds them. Targets of the issue: cases page and search p95 < 300 ms, case
page < 200 ms.

    python -m bench.bench_web [--n 100000] [--db sqlite|URL] [--repeat 30]
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.bench_store_scale import generate
from bench.common import (
    database,
    db_label,
    emit,
    machine,
    median,
    note,
    parser,
    percentile,
    scratch,
)

PERSON = "bench@libmutov.be"


def index_and_account(url: str) -> float:
    """Search rows for every case (as migration 0005 fills them) and the
    account the requests sign on as; returns the seconds of the indexing."""
    from store import accounts, search
    from store.db import make_engine, session_factory, transaction

    engine = make_engine(url)
    sessions = session_factory(engine)
    started = time.perf_counter()
    with transaction(sessions) as session:
        search.rebuild_all(session)
    seconds = time.perf_counter() - started
    with transaction(session_factory(engine)) as session:
        accounts.add_account(session, PERSON, "Bench", "coordinator", None, "bench")
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return seconds


def client_for(url: str, folder: Path) -> Any:
    from starlette.testclient import TestClient

    from config import load_settings
    from web.app import create_app

    key = folder / "web.key"
    key.write_text("b" * 48)
    settings = load_settings(
        None,
        environ={
            "KLACHTEN_STORE__URL": url,
            "KLACHTEN_WEB__SECRET_KEY_FILE": str(key),
            "KLACHTEN_WEB__TRUSTED_USER_HEADER": "X-Remote-User",
            "KLACHTEN_WEB__BASE_URL": "http://testserver",
        },
    )
    client = TestClient(create_app(settings, environ={}), client=("127.0.0.1", 1))
    client.headers["X-Remote-User"] = PERSON
    return client


def sample(url: str, count: int) -> tuple[list[str], list[str]]:
    """Random case numbers and member names to ask for."""
    from sqlalchemy import select

    from store.db import make_engine
    from store.models import Case

    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(select(Case.number, Case.member_name)).all()
    engine.dispose()
    picked = random.Random(7).sample(rows, min(count, len(rows)))
    return [r[0] for r in picked], [r[1] for r in picked]


def measure(label: str, get: Callable[[int], Any], repeat: int) -> None:
    """Time `get(i)` `repeat` times (after one warm-up); emit p95 and median of
    the wall time, and the p95 of this process's CPU time (the application
    and SQLite run in it), which other work on a shared machine inflates
    far less than the wall time."""
    get(0)
    times, cpu = [], []
    for i in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = get(i)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{label}: HTTP {response.status_code}")
    emit(f"{label}_p95", percentile(times, 0.95), "ms")
    emit(f"{label}_median", median(times), "ms")
    emit(f"{label}_cpu_p95", percentile(cpu, 0.95), "ms")


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], n=100_000)
    p.add_argument("--repeat", type=int, default=30)
    args = p.parse_args(argv)
    machine()
    emit("machine.load1", os.getloadavg()[0])
    with database(args.db) as url, scratch() as folder:
        label = f"web.{db_label(url)}"
        emit(f"{label}.n", args.n, "cases")
        emit(f"{label}.generate_seconds", generate(url, args.n, 0.005), "s")
        emit(f"{label}.index_seconds", index_and_account(url), "s")
        numbers, names = sample(url, args.repeat + 1)
        client = client_for(url, folder)
        note("timing")
        pages = [1, 2, 3, 5, 8]
        measure(
            f"{label}.cases_page",
            lambda i: client.get("/cases", params={"page": pages[i % 5]}),
            args.repeat,
        )
        measure(
            f"{label}.cases_filtered",
            lambda i: client.get(
                "/cases",
                params={"status": "all", "category": "andere", "page": pages[i % 5]},
            ),
            args.repeat,
        )
        measure(
            f"{label}.search_name",
            lambda i: client.get("/cases", params={"q": names[i]}),
            args.repeat,
        )
        measure(
            f"{label}.search_number",
            lambda i: client.get("/cases", params={"q": numbers[i]}),
            args.repeat,
        )
        measure(
            f"{label}.search_text",
            lambda i: client.get("/cases", params={"q": "klacht 4711"}),
            args.repeat,
        )
        measure(
            f"{label}.case_page",
            lambda i: client.get(f"/cases/{numbers[i]}"),
            args.repeat,
        )
        measure(
            f"{label}.api_case",
            lambda i: client.get(f"/api/cases/{numbers[i]}"),
            args.repeat,
        )
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
