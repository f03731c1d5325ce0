"""A fetched batch is registered together: one multi-row write, in order.

Against the real Dovecot and SQLite: the messages of one fetch are stored in
one transaction; a message answering one earlier in the same batch still
joins its case; a message repeated within a batch is stored once.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from service.runner import run_once
from store.models import Case, Message, OutboxMail
from tests.intake_mail import complaint, config_for


@pytest.fixture
def app(imap, sqlite_url, make_config, app_for):
    return app_for(config_for(make_config, sqlite_url, imap))


def _count_message_inserts(app) -> list[int]:
    inserts: list[int] = []

    @event.listens_for(app.engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO messages"):
            inserts.append(1)

    return inserts


def _stored(app, *columns) -> list[tuple]:
    """(uid, case number, *columns) of every stored message."""
    query = select(Message.uid, Case.number, *columns).outerjoin(Message.case)
    with app.transaction() as session:
        return [tuple(row) for row in session.execute(query)]


def test_a_fetched_batch_is_one_write_with_numbers_in_arrival_order(imap, app) -> None:
    uids = imap.append_many(
        [
            complaint(subject=f"Klacht {n}", sender=f"lid{n}@example.be")
            for n in range(6)
        ]
    )
    inserts = _count_message_inserts(app)
    summary = run_once(app)
    assert dict(summary.intake.outcomes) == {"case": 6}
    assert len(inserts) == 1
    by_uid = sorted(_stored(app))
    assert [uid for uid, _ in by_uid] == uids
    assert [case for _, case in by_uid] == [f"KL-2026-{n:05d}" for n in range(1, 7)]
    assert all(
        flags == {"$Klachten", "\\Seen"} for flags in imap.fetch_flags().values()
    )


def test_a_reply_to_a_message_of_the_same_batch_joins_its_case(imap, app) -> None:
    first = complaint(message_id="eerste@example.be")
    reply = complaint(
        subject="Re: Klacht over mijn terugbetaling",
        body="Nog een factuur erbij.",
        headers={"In-Reply-To": "<eerste@example.be>"},
    )
    imap.append_many([complaint(sender="ander@example.be"), first, reply])
    summary = run_once(app)
    assert dict(summary.intake.outcomes) == {"case": 2, "follow_up": 1}
    stored = _stored(app, Message.message_id, Message.klass)
    cases = {message_id: number for _, number, message_id, _ in stored}
    assert cases["eerste@example.be"] == "KL-2026-00002"
    [joined] = [number for *_, number, _, klass in stored if klass == "follow_up"]
    assert joined == "KL-2026-00002"


def test_a_message_repeated_within_a_batch_is_stored_once(imap, app) -> None:
    twice = complaint(message_id="twee-keer@example.be")
    uids = imap.append_many([twice, complaint(), twice])
    summary = run_once(app)
    assert dict(summary.intake.outcomes) == {"case": 2, "duplicate": 1}
    with app.transaction() as session:
        acks = session.scalars(select(OutboxMail.dedupe_key)).all()
    assert sorted(acks) == ["ack:KL-2026-00001", "ack:KL-2026-00002"]
    assert set(imap.fetch_flags()) == set(uids)
    assert all(
        flags == {"$Klachten", "\\Seen"} for flags in imap.fetch_flags().values()
    )
