"""Reminders against real servers: two job processes on one database, and the
grouped mail as the SMTP server receives it."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from store.models import OutboxMail, ReminderSent
from tests.test_reminders import COORDINATORS, DEADLINE, RECEIVED, at, register


def _job(config: str, now: str, barrier: Any) -> None:
    """One instance of the service: its own App, engine and connections."""
    from config import load_settings
    from responder.reminder_job import run_due
    from service.app import App

    app = App(load_settings(Path(config), environ={}), Path(config), actor="test")
    try:
        # Connect before the barrier, so that both jobs really start together.
        with app.transaction() as session:
            session.execute(select(1))
        barrier.wait(timeout=60)
        run_due(app, datetime.fromisoformat(now))
    finally:
        app.close()


def test_two_instances_at_once_send_one_set(
    db_url: str, make_config: Callable[..., Path], app_for: Callable[[Path], Any]
) -> None:
    config = make_config(db_url, reminders={"coordinators": COORDINATORS})
    app = app_for(config)
    for n in range(1, 4):
        register(app, n)  # due at 7 days on the first day below
    register(app, 4, RECEIVED - timedelta(days=20))  # overdue: daily
    context = multiprocessing.get_context("spawn")
    for offset in (7, 6, 5, 4, 3):
        now = at(DEADLINE - timedelta(days=offset)).isoformat()
        barrier = context.Barrier(2)
        workers = [
            context.Process(target=_job, args=(str(config), now, barrier))
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
            # A lost race would end in a unique-key error: exit code 1.
            assert worker.exitcode == 0
    with app.transaction() as session:
        contexts = session.scalars(
            select(OutboxMail.context).where(OutboxMail.kind == "reminder")
        ).all()
        sent = session.scalar(
            select(func.count())
            .select_from(ReminderSent)
            .where(ReminderSent.outbox_id.is_not(None))
        )
    # Per coordinator one mail a day: the first lists the three cases at 7
    # days and the overdue one, the next four the overdue one.
    assert len(contexts) == 5 * 2
    kinds = Counter(line["kind"] for context in contexts for line in context["cases"])
    assert kinds == {"answer_due": 6, "overdue": 10}
    assert sent == 3 * 2 + 5 * 2


def test_grouped_reminder_arrives_at_the_smtp_server(
    sqlite_url: str,
    make_config: Callable[..., Path],
    app_for: Callable[[Path], Any],
    smtp_server: Any,
) -> None:
    from responder.reminder_job import run_due

    config = make_config(
        sqlite_url,
        smtp={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
        reminders={"coordinators": COORDINATORS},
    )
    app = app_for(config)
    numbers = [register(app, n) for n in range(1, 4)]
    run_due(app, at(DEADLINE - timedelta(days=7)))
    app.delivery.deliver_pending()
    received = smtp_server.wait_for(2)
    assert sorted(r for mail in received for r in mail.rcpt_tos) == COORDINATORS
    message = received[0].message
    assert "3 klachten" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    for number in numbers:
        assert number in body
        assert f"klachten case show {number}" in body
    assert "29 mei 2026" in body
    with app.transaction() as session:
        statuses = session.scalars(select(OutboxMail.status)).all()
    assert statuses == ["sent", "sent"]
