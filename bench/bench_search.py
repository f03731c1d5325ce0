"""Search and the workspace's case list with N cases (default 100,000).

Each case gets a member (name, e-mail, phone, national number), a message of
about 600 characters of text and, for a third of them, two form fields; the
search rows are built as the migration builds them. Then `cases search`'s
query and the workspace's reads are timed, each many times:

- search by name, e-mail, national number (another formatting), phone
  (another formatting), case number, a word of the text, and a miss;
- the open cases by answer deadline, first page of 50 (`find_cases`);
- the same page filtered by a search;
- the overview's counts.

    python -m bench.bench_search [--n 100000] [--db sqlite|URL] [--repeat 20]

With a PostgreSQL URL, the database `<its name>_bench` is created and dropped.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from bench.common import emit, machine, note, parser, percentile

BATCH = 5_000
WORDS = [
    "terugbetaling",
    "kinesitherapie",
    "tandarts",
    "bril",
    "ziekenhuis",
    "factuur",
    "brief",
    "loket",
    "wachttijd",
    "medewerker",
    "telefoon",
    "dossier",
    "uitkering",
    "attest",
    "arbeidsongeschiktheid",
    "formulier",
    "premie",
    "bijdrage",
    "aansluiting",
    "kind",
    "geboorte",
    "hospitalisatie",
    "remboursement",
    "dentiste",
    "lunettes",
    "hôpital",
    "facture",
    "guichet",
    "attente",
    "indemnité",
    "incapacité",
    "formulaire",
    "cotisation",
    "naissance",
    "erreur",
    "retard",
    "nooit",
    "altijd",
    "opnieuw",
    "maanden",
    "weken",
    "dagen",
    "waarom",
    "niemand",
    "antwoord",
    "mail",
]
FIRST = [
    "Anna",
    "Jan",
    "Els",
    "Marie",
    "Luc",
    "Sofie",
    "Pieter",
    "Élodie",
    "Zoë",
    "Karim",
    "Noah",
    "Lotte",
]
LAST = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Dupont",
    "Dubois",
    "Lambert",
    "Claes",
    "Wouters",
]


def _insz(rng: random.Random) -> str:
    base = f"{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    base += f"{rng.randint(1, 997):03d}"
    return f"{base}{97 - int(base) % 97:02d}"


def rows(n: int, now: datetime, seed: int = 7) -> Iterator[tuple[list, list, list]]:
    """Batches of (cases, messages, form fields) as dicts, ids given."""
    rng = random.Random(seed)
    cases, messages, fields = [], [], []
    for i in range(1, n + 1):
        received = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 3))
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}{i}"
        status = "registered" if rng.random() < 0.1 else "closed"
        cases.append(
            {
                "id": i,
                "number": f"KL-{received.year}-{i:06d}",
                "year": received.year,
                "seq": i,
                "status": status,
                "channel": "email",
                "received_at": received,
                "ack_due": received + timedelta(days=10),
                "answer_due": received + timedelta(days=45),
                "member_name": name,
                "member_email": f"lid{i}@leden.example",
                "member_phone": f"+32470{i:06d}",
                "member_insz": _insz(rng),
                "subject": " ".join(rng.choices(WORDS, k=4)),
                "description": " ".join(rng.choices(WORDS, k=40)),
                "language": "nl",
                "flags": [],
                "created_at": received,
            }
        )
        body = " ".join(rng.choices(WORDS, k=90))
        messages.append(
            {
                "id": i,
                "case_id": i,
                "dedupe_key": f"sha256:{i}",
                "sha256": f"{i:064d}",
                "source": "import",
                "received_at": received,
                "sender": f"lid{i}@leden.example",
                "subject": cases[-1]["subject"],
                "klass": "complaint",
                "reason": "bench",
                "body_text": body,
                "size": len(body),
                "raw_complete": True,
                "attempts": 0,
                "created_at": received,
                "raw": body.encode(),
            }
        )
        if i % 3 == 0:
            for key in ("description", "desired_solution"):
                fields.append(
                    {
                        "case_id": i,
                        "key": key,
                        "value": " ".join(rng.choices(WORDS, k=12)),
                        "source": "pdf",
                        "origin": "formulier.pdf",
                    }
                )
        if len(cases) == BATCH:
            yield cases, messages, fields
            cases, messages, fields = [], [], []
    if cases:
        yield cases, messages, fields


def generate(url: str, n: int) -> tuple[float, float]:
    """Insert n cases; build their search rows. Seconds for each."""
    from sqlalchemy import insert

    from store import search
    from store.db import make_engine, session_factory, transaction
    from store.models import Case, FormFieldValue, Message

    engine = make_engine(url)
    sessions = session_factory(engine)
    started = time.perf_counter()
    for done, (cases, messages, fields) in enumerate(rows(n, datetime.now(UTC)), 1):
        with transaction(sessions) as session:
            session.execute(insert(Case), cases)
            session.execute(insert(Message), messages)
            session.execute(insert(FormFieldValue), fields)
        if done % 5 == 0:
            note(f"{done * BATCH} cases")
    inserted = time.perf_counter() - started
    started = time.perf_counter()
    with transaction(sessions) as session:
        search.rebuild_all(session)
    indexed = time.perf_counter() - started
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return inserted, indexed


def measure(url: str, n: int, repeat: int) -> None:
    from sqlalchemy import select

    from store.db import make_engine, session_factory, transaction
    from store.models import Case
    from store.queries import CaseFilter
    from store.workspace import find_cases, overview, search_cases

    engine = make_engine(url)
    sessions = session_factory(engine)
    i = n // 2 + 1
    with transaction(sessions) as session:
        case = session.scalars(select(Case).where(Case.id == i)).one()
        name, insz, number = case.member_name, case.member_insz, case.number
    selective = {
        "name": name.split()[-1].upper(),
        "email": f"lid{i}@leden.example",
        "insz": f"{insz[:2]}.{insz[2:4]}.{insz[4:6]}-{insz[6:9]}.{insz[9:]}",
        "phone": f"0470 {i:06d}"[:8] + " " + f"{i:06d}"[3:],
        "number": number,
        "miss": "onbestaandwoord",
    }
    words = {"text": f"{WORDS[3]} {WORDS[20]}", "text_rare": "hôpital incapacité"}
    tz = "Europe/Brussels"
    timings: dict[str, list[float]] = {}

    def run(label: str, action) -> None:
        for _ in range(repeat):
            started = time.perf_counter()
            with transaction(sessions) as session:
                action(session)
            timings.setdefault(label, []).append(time.perf_counter() - started)

    for label, text in selective.items():
        found: list = []
        run(
            f"search.{label}",
            lambda s, t=text, f=found: f.append(search_cases(s, t, tz)),
        )
        emit(f"found.search.{label}", len(found[-1]), "cases")
    for label, text in {**selective, **words}.items():
        pages: list = []
        run(
            f"page.q.{label}",
            lambda s, t=text, f=pages: f.append(find_cases(s, CaseFilter(q=t), tz)),
        )
        emit(f"found.page.q.{label}", pages[-1].total, "cases")
    run(
        "page.open_by_deadline",
        lambda s: find_cases(s, CaseFilter(open=True), tz, order="answer_due"),
    )
    run("overview", lambda s: overview(s, tz))
    engine.dispose()
    for label, values in timings.items():
        emit(f"{label}.p50", percentile(values, 0.5) * 1000, "ms")
        emit(f"{label}.p95", percentile(values, 0.95) * 1000, "ms")


@contextlib.contextmanager
def own_database(spec: str) -> Iterator[str]:
    """A migrated empty database: a temporary SQLite file, or `<name>_bench`."""
    import tempfile

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bench.common import _migrate

    if spec == "sqlite":
        with tempfile.TemporaryDirectory(prefix="kbench-") as folder:
            url = f"sqlite:///{folder}/klachten.db"
            _migrate(url)
            yield url
        return
    given = make_url(spec)
    name = f"{given.database}_bench"
    admin = create_engine(given, isolation_level="AUTOCOMMIT")
    drop = text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    with admin.connect() as connection:
        connection.execute(drop)
        connection.execute(text(f"CREATE DATABASE {name}"))
    url = given.set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(drop)
        admin.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], n=100_000)
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args(argv)
    machine()
    with own_database(args.db) as url:
        emit("db", "sqlite" if url.startswith("sqlite") else "postgresql")
        emit("cases", args.n)
        inserted, indexed = generate(url, args.n)
        emit("generate", inserted, "s")
        emit("rebuild_all", indexed, "s")
        measure(url, args.n, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
