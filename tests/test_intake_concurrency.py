"""Two intake processes on one mailbox and one database register each message once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from tests.intake_mail import complaint, config_for

MESSAGES = 40


def _intake_in_child(config: str, queue, barrier) -> None:
    """Runs in a spawned process: one full intake pass.

    Both processes meet at the barrier after their search, so both are sure
    to see every message waiting: the race the store must settle.
    """
    from config import load_settings
    from ingest.imap_source import ImapSource
    from service.app import App
    from service.runner import run_once

    search = ImapSource.waiting

    def waiting_then_meet(self, after_uid):
        found = search(self, after_uid)
        barrier.wait(60)
        return found

    ImapSource.waiting = waiting_then_meet

    app = App(load_settings(Path(config), environ={}), Path(config), actor="test")
    try:
        summary = run_once(app)
        queue.put(dict(summary.intake.outcomes))
    finally:
        app.close()


def test_two_processes_register_each_message_once(
    imap, db_url, make_config, app_for
) -> None:
    path = config_for(make_config, db_url, imap)
    imap.append_many([complaint() for _ in range(MESSAGES)])
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    barrier = context.Barrier(2)
    workers = [
        context.Process(target=_intake_in_child, args=(str(path), queue, barrier))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    results = [queue.get(timeout=5) for _ in workers]
    queue.close()
    queue.join_thread()
    opened = sum(r.get("case", 0) for r in results)
    assert opened == MESSAGES
    # Each process handled every message: a case, or a duplicate of the other's.
    assert [r.get("case", 0) + r.get("duplicate", 0) for r in results] == [
        MESSAGES,
        MESSAGES,
    ]
    assert all(r.get("failed", 0) == 0 for r in results)
    app = app_for(path)
    from store.queries import CaseFilter, list_cases

    with app.transaction() as session:
        cases = list_cases(session, CaseFilter(), app.timezone)
        from store.models import Message, OutboxMail

        assert session.query(Message).count() == MESSAGES
        assert session.query(OutboxMail).count() == MESSAGES
    numbers = sorted(c["number"] for c in cases)
    assert numbers == [f"KL-2026-{n:05d}" for n in range(1, MESSAGES + 1)]
    assert all("$Klachten" in f for f in imap.fetch_flags().values())
