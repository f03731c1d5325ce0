"""Engines and sessions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on, and every transaction starts with
BEGIN IMMEDIATE so that two writers queue on the lock instead of failing half
way with "database is locked" when a read turns into a write.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from store.errors import UserError
from store.nul import without_nul

SQLITE_BUSY_TIMEOUT_MS = 30_000
CHECKPOINT_WAIT_MS = 2_000  # forget_old_pages: a best effort, not worth more


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url` with the pragmas and pool settings we rely on."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError(f"store url is not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        _configure_sqlite(engine)
        _strip_nul(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername in (
        "postgresql",
        "postgres",
    ):
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"connect_timeout": 10})
    engine = create_engine(parsed, **kwargs)
    _strip_nul(engine)
    return engine


def missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite `url` when it does not exist, else None.

    SQLite creates an empty file on first connect; only `klachten db upgrade`
    may make a store, so every other command asks this first.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # make_engine says what is wrong with it
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):  # a URI filename: SQLite's own rules
        return None
    path = Path(database)
    return None if path.exists() else path


def _strip_nul(engine: Engine) -> None:
    """No NUL reaches a text column, on either engine (store/nul.py)."""

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _before(
        _conn: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> tuple[str, Any]:
        return statement, without_nul(parameters)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "do_connect")
    def _create_private(_dialect: Any, _record: Any, cargs: Any, _kw: Any) -> None:
        create_private(engine.url.database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN below control transactions, not pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Zeroes what a DELETE or UPDATE frees (erasure must not leave the
        # member's data in free pages); on in Debian's build, not everywhere.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def forget_old_pages(engine: Engine) -> None:
    """After an erasure: SQLite in WAL mode keeps the images of the pages as
    they were before a write in the -wal file until they are overwritten,
    and those hold the erased values. Copy the WAL into the database and
    truncate it. Best effort: a reader holding an older snapshot (the daemon
    in a transaction) stops it early, and SQLite's own checkpoints and the
    next erasure do the rest. Nothing to do on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    # The driver's connection: outside the BEGIN IMMEDIATE every session
    # opens, inside which a checkpoint cannot run.
    # It waits for readers on older snapshots: not the full busy timeout.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        connection.close()


def create_private(database: str | None) -> None:
    """Create a missing SQLite file readable by the service's user only (0600),
    before SQLite creates it with the umask (0644 by default): the store holds
    complaints and national numbers. Its -wal and -shm files take the same
    mode from it. An existing file is left as it is.
    """
    if database in (None, "", ":memory:") or database.startswith("file:"):
        return
    try:
        handle = os.open(Path(database), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:
        return  # SQLite says what is wrong with the path when it connects
    os.close(handle)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll back on any error."""
    session = factory()
    try:
        with session.begin():
            yield session
    finally:
        session.close()


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = (
        session_or_engine.get_bind()
        if isinstance(session_or_engine, Session)
        else session_or_engine
    )
    return bind.dialect.name == "postgresql"
