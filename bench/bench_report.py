"""The yearly report over a big year: N cases (default 100,000) bulk-inserted
through the models, with their messages and acknowledgement rows, then
`klachten report --format json` and `--format html` timed as the operator
runs them (a fresh process each).

    python -m bench.bench_report [--n 100000] [--db sqlite|URL] [--repeat 3]

Prints one line per measurement, e.g. "report_json_100k_seconds 3.2".
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.common import (
    database,
    db_label,
    emit,
    klachten_argv,
    machine,
    median,
    note,
    parser,
    run_measured,
    scratch,
)
from store.deadlines import due
from store.vocabulary import (
    NON_COMPLAINT_CLASSES,
    Audience,
    Channel,
    Flag,
    MailKind,
    MailStatus,
    MessageClass,
    Outcome,
    Status,
)

YEAR = 2024
BATCH = 10_000
ZONE = "Europe/Brussels"
CHANNELS = (Channel.EMAIL,) * 6 + (
    Channel.FORM,
    Channel.POST,
    Channel.ORAL,
    Channel.E_LOKET,
    Channel.CONTACT_FORM,
)
CATEGORIES = ("terugbetaling", "dossierbehandeling", "onthaal en medewerkers",
              "facturatie en bijdragen", "arbeidsongeschiktheid", "andere")  # fmt: skip
OUTCOMES = tuple(Outcome)


def case_rows(n: int, seed: int = 1) -> Iterator[list[dict]]:
    """Batches of Case rows received in YEAR, numbered in receipt order."""
    rng = random.Random(seed)
    start = datetime(YEAR, 1, 1, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)
    span = timedelta(days=365)
    offsets = sorted(rng.random() for _ in range(n))
    batch: list[dict] = []
    for seq, offset in enumerate(offsets, start=1):
        batch.append(_case(rng, seq, start + span * offset))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _case(rng: random.Random, seq: int, received: datetime) -> dict:
    answered = received + timedelta(days=rng.triangular(2, 80, 25))
    done = rng.random() < 0.93 and answered < datetime(YEAR + 1, 3, 1, tzinfo=UTC)
    return {
        "number": f"KL-{YEAR}-{seq:06d}",
        "year": YEAR,
        "seq": seq,
        "status": Status.ANSWERED if done else Status.IN_PROGRESS,
        "channel": rng.choice(CHANNELS),
        "received_at": received,
        "ack_due": due(received, 10, ZONE),
        "answer_due": due(received, 45, ZONE),
        "acknowledged_at": received + timedelta(days=rng.triangular(0, 14, 2)),
        "answered_at": answered if done else None,
        "closed_at": None,
        "member_email": f"member{rng.randrange(80_000)}@example.be",
        "member_name": f"Lid {seq}",
        "subject": "Klacht",
        "language": "nl" if rng.random() < 0.6 else "fr",
        "category": rng.choice(CATEGORIES),
        "regional_office": rng.choice(("Gent", "Antwerpen", "Luik", None)),
        "flags": [Flag.OMBUDSDIENST.value] if rng.random() < 0.01 else [],
        "outcome": rng.choice(OUTCOMES) if done else None,
        "created_at": received,
    }


def seed(url: str, n: int) -> None:
    """Cases, one acknowledgement row each (most sent), follow-ups, other mail."""
    from sqlalchemy import insert, select

    from store.db import make_engine, session_factory, transaction
    from store.models import Case, CaseCounter, Message, OutboxMail

    engine = make_engine(url)
    sessions = session_factory(engine)
    rng = random.Random(2)
    for batch in case_rows(n):
        with transaction(sessions) as session:
            session.execute(insert(Case), batch)
    with transaction(sessions) as session:
        session.execute(insert(CaseCounter), [{"year": YEAR, "last_seq": n}])
        ids = list(session.scalars(select(Case.id)))
    stamp = datetime(YEAR, 6, 1, tzinfo=UTC)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        with transaction(sessions) as session:
            session.execute(insert(OutboxMail), [_ack(rng, i, stamp) for i in chunk])
            follow = [i for i in chunk if rng.random() < 0.2]
            others = [None] * (len(chunk) // 10)
            session.execute(
                insert(Message),
                [_message(rng, f"{start}-{k}", c, stamp)
                 for k, c in enumerate(follow + others)],
            )  # fmt: skip
    engine.dispose()


def _ack(rng: random.Random, case_id: int, stamp: datetime) -> dict:
    status = rng.choices(
        (MailStatus.SENT, MailStatus.SKIPPED, MailStatus.FAILED), (97, 2, 1)
    )[0]
    return {
        "kind": MailKind.ACKNOWLEDGEMENT,
        "case_id": case_id,
        "dedupe_key": f"ack:{case_id}",
        "audience": Audience.MEMBER,
        "template": "acknowledgement",
        "language": "nl",
        "recipients": ["member@example.be"],
        "context": {},
        "message_id": f"ack{case_id}@bench",
        "status": status,
        "attempts": 1,
        "next_attempt_at": stamp,
        "skip_reason": "suppressed: noreply" if status == MailStatus.SKIPPED else None,
        "last_error": "550 user unknown" if status == MailStatus.FAILED else None,
        "created_at": stamp,
    }


def _message(rng: random.Random, key: str, case_id: int | None, at: datetime) -> dict:
    klass = MessageClass.FOLLOW_UP if case_id else rng.choice(NON_COMPLAINT_CLASSES)
    return {
        "case_id": case_id,
        "dedupe_key": f"mid:{key}@bench",
        "message_id": f"{key}@bench",
        "sha256": f"{key:0>64}"[-64:],
        "source": "import",
        "received_at": at + timedelta(days=rng.randrange(180)),
        "klass": klass,
        "reason": "bench",
        "size": 10,
        "raw": b"bench mail",
        "raw_complete": True,
        "attempts": 0,
        "created_at": at,
    }


def main() -> None:
    p = parser(__doc__.splitlines()[0], n=100_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    size = f"{args.n // 1000}k" if args.n >= 1000 else str(args.n)
    machine()
    with database(args.db) as url, scratch() as folder:
        emit("db", db_label(url))
        started = time.perf_counter()
        seed(url, args.n)
        emit(f"seed_{size}_seconds", time.perf_counter() - started)
        config = folder / "klachten.toml"
        config.write_text(
            f'[store]\nurl = "{url}"\n[cases]\ntimezone = "{ZONE}"\n', encoding="utf-8"
        )
        for fmt in ("json", "html"):
            times = []
            for _ in range(args.repeat):
                argv = klachten_argv(
                    "--config", str(config), "report", "--year", str(YEAR),
                    "--format", fmt, "--output", str(folder / f"report.{fmt}"),
                )  # fmt: skip
                code, seconds, _rss = run_measured(argv)
                if code != 0:
                    raise SystemExit(f"report --format {fmt} exited {code}")
                times.append(seconds)
            note(f"{fmt}: {', '.join(f'{t:.2f}' for t in times)} s")
            emit(f"report_{fmt}_{size}_seconds", median(times))
    note(f"done ({date.today().isoformat()})")


if __name__ == "__main__":
    main()
