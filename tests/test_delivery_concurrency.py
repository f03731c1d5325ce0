"""Two delivery workers at once never send the same outbox row twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from store.db import make_engine, session_factory
from store.outbox import claim_due
from store.outbox_recovery import MAX_CLAIM
from tests.test_delivery import complaint, register, rows, smtp_section

ROWS = 50


@pytest.fixture
def two_apps(smtp_server, make_config, app_for, db_url):
    """Two Apps on the same database, each with its own engine."""
    path = make_config(db_url, smtp=smtp_section(smtp_server))
    first, second = app_for(path), app_for(path)
    register(first, *(complaint(n, sender=f"lid{n}@example.be") for n in range(ROWS)))
    return first, second


def test_two_workers_send_every_row_exactly_once(smtp_server, two_apps):
    start = threading.Barrier(2)
    sent: list[int] = []
    errors: list[BaseException] = []

    def work(app) -> None:
        try:
            start.wait()
            total = 0
            # Small runs, so the two workers really interleave their claims.
            while (report := app.delivery.deliver_pending(limit=4)).handled:
                total += report.sent
            sent.append(total)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(app,)) for app in two_apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sum(sent) == ROWS
    received = smtp_server.wait_for(ROWS)
    ids = Counter(r.message["Message-ID"] for r in received)
    assert len(ids) == ROWS and set(ids.values()) == {1}
    assert len(received) == ROWS
    assert {r.status for r in rows(two_apps[0])} == {"sent"}


def test_skip_locked_hands_a_second_claimer_other_rows(db_url, two_apps):
    if not db_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers")
    now = datetime.now(UTC)
    lease = timedelta(minutes=15)
    engines = [make_engine(db_url), make_engine(db_url)]
    try:
        first, second = (session_factory(e)() for e in engines)
        with first.begin(), second.begin():
            held = claim_due(first, worker="a", now=now, lease=lease, limit=3)
            # `first` has not committed: its rows are locked, not yet "sending".
            taken = claim_due(second, worker="b", now=now, lease=lease, limit=ROWS)
        # A claim never takes more than MAX_CLAIM rows, whatever it asks.
        assert len(held) == 3 and len(taken) == min(ROWS - 3, MAX_CLAIM)
        assert not {m.id for m in held} & {m.id for m in taken}
        first.close()
        second.close()
    finally:
        for engine in engines:
            engine.dispose()
