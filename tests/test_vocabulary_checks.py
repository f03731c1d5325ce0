"""The database keeps the vocabulary's columns to its words (migration 0002).

On SQLite and PostgreSQL: every word is accepted, anything else is refused by
the database itself; and rows written under 0001 survive 0002 and its undo.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from store.db import make_engine
from store.migrate import current_revision, downgrade, head_revision, upgrade
from store.vocabulary import (
    Audience,
    Channel,
    MailKind,
    MailStatus,
    MessageClass,
    Outcome,
    Status,
)
from tests.conftest import own_postgres

COLUMNS: list[tuple[str, str, type[StrEnum]]] = [
    ("cases", "status", Status),
    ("cases", "channel", Channel),
    ("cases", "outcome", Outcome),
    ("messages", "class", MessageClass),
    ("outbox", "kind", MailKind),
    ("outbox", "audience", Audience),
    ("outbox", "status", MailStatus),
]
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _seed(engine: Engine) -> None:
    """One case with a message, an acknowledgement and a reminder row."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO cases (id, number, year, seq, status, channel, "
                "received_at, ack_due, answer_due, language, flags, created_at) "
                "VALUES (1, 'KL-2026-00001', 2026, 1, 'registered', 'email', "
                ":at, :at, :at, 'nl', '[\"needs_review\"]', :at)"
            ),
            {"at": AT},
        )
        connection.execute(
            text(
                "INSERT INTO messages (id, case_id, dedupe_key, sha256, source, "
                'received_at, "class", reason, size, raw_complete, attempts, '
                "created_at, raw) VALUES (1, 1, 'mid:a@b', 'ab', 'imap', :at, "
                "'complaint', 'no rule matched', 3, TRUE, 0, :at, :raw)"
            ),
            {"at": AT, "raw": b"raw"},
        )
        connection.execute(
            text(
                "INSERT INTO outbox (id, kind, case_id, dedupe_key, audience, "
                "template, language, recipients, context, message_id, status, "
                "attempts, next_attempt_at, created_at) VALUES (1, "
                "'acknowledgement', 1, 'ack:KL-2026-00001', 'member', "
                "'acknowledgement', 'nl', '[\"lid@example.be\"]', '{}', "
                "'m1@libmutov.be', 'sent', 1, :at, :at)"
            ),
            {"at": AT},
        )
        connection.execute(
            text(
                "INSERT INTO reminders_sent (case_id, kind, threshold, recipient, "
                "outbox_id, sent_at) VALUES (1, 'ack_due', '3', 'c@x.be', 1, :at)"
            ),
            {"at": AT},
        )


def _contents(engine: Engine) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(connection.execute(text(query)).one())
            for query in (
                "SELECT number, status, channel, flags FROM cases",
                'SELECT case_id, "class", raw FROM messages',
                "SELECT case_id, kind, audience, status FROM outbox",
                "SELECT case_id, outbox_id FROM reminders_sent",
            )
        ]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database of its own, without any schema yet."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    with own_postgres(f"klachten_v{os.getpid()}") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_rows_of_0001_survive_the_checks_and_their_undo(empty_engine) -> None:
    upgrade(empty_engine, "0001")
    _seed(empty_engine)
    before = _contents(empty_engine)
    assert upgrade(empty_engine, "0002") == ("0001", "0002")
    assert _contents(empty_engine) == before
    with pytest.raises(IntegrityError):
        _set(empty_engine, "cases", "status", "open")
    assert downgrade(empty_engine, "0001") == ("0002", "0001")
    assert _contents(empty_engine) == before
    _set(empty_engine, "cases", "status", "open")  # no check under 0001
    assert current_revision(empty_engine) == "0001"


def test_db_upgrade_refuses_data_outside_the_vocabulary_in_one_line(
    empty_engine, make_config, cli
) -> None:
    upgrade(empty_engine, "0001")
    _seed(empty_engine)
    _set(empty_engine, "cases", "channel", "letter")  # never a channel
    url = empty_engine.url.render_as_string(hide_password=False)
    result = cli("--config", make_config(url), "db", "upgrade")
    assert result.code == 2
    assert result.err.startswith("klachten: migration to head refused, nothing")
    assert "ck_cases_channel" in result.err and len(result.err.splitlines()) == 1
    assert current_revision(empty_engine) == "0001"
    assert _contents(empty_engine)[0][2] == "letter"
    _set(empty_engine, "cases", "channel", "post")
    assert cli("--config", make_config(url), "db", "upgrade").code == 0
    assert current_revision(empty_engine) == head_revision()


def test_sqlite_keeps_foreign_keys_on_after_a_migration(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    upgrade(engine, "0001")
    _seed(engine)
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.exec_driver_sql("UPDATE messages SET case_id = 99")
    engine.dispose()


@pytest.mark.parametrize(("table", "column", "words"), COLUMNS)
def test_every_word_is_accepted_and_nothing_else(db_url, table, column, words):
    engine = make_engine(db_url)
    _seed(engine)
    for word in words:
        _set(engine, table, column, word.value)
    for wrong in ("", "Closed", "letter", "unknown"):
        with pytest.raises(IntegrityError):
            _set(engine, table, column, wrong)
    engine.dispose()


def _set(engine: Engine, table: str, column: str, value: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(f'UPDATE {table} SET "{column}" = :v'), {"v": value})
