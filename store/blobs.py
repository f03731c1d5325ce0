"""Inserting rows with large blobs (raw mail, attachments) without copies.

pysqlite binds a blob by copying it into the prepared statement and keeps the
copy until that statement runs again: after a 34 MB message is stored, the
process holds it twice for as long as the connection lives. On SQLite a row
whose blob is large is therefore inserted with zeroblob(n) in its place, and
the bytes are written through incremental blob I/O in the same transaction.

SQLite still builds the row in memory (its zeroblob made real) while a later
column of the row holds data, as messages.created_at and attachments.flags
do: that INSERT peaks at twice the blob, but nothing stays. With the blob
the last column holding data, it would cost nothing. PostgreSQL takes the
rows as given.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Table, func, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from store.sealed import seal_bytes

# Blobs from this size go in through blob I/O (SQLite only).
LARGE = 256 * 1024
# They are written this much at a time.
CHUNK = 1 << 20


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    blob: str,
    key: Any = None,
) -> dict[Any, int]:
    """INSERT `rows` into `table` in their order; ids by column `key` if given.

    Rows go in one multi-row statement, except that on SQLite a row whose
    `blob` value is LARGE or more goes alone, its bytes written after it. Ids
    therefore still ascend in the order of `rows`.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    ids: dict[Any, int] = {}
    for group, large in _groups(rows, blob, sqlite):
        if large:
            ids.update(_insert_large(session, table, group[0], blob, key))
        elif key is None:
            session.execute(insert(table), group)
        else:
            statement = insert(table).returning(table.c.id, key)
            ids.update((row[1], row[0]) for row in session.execute(statement, group))
    return ids


def _groups(
    rows: Sequence[dict[str, Any]], blob: str, sqlite: bool
) -> Iterator[tuple[list[dict[str, Any]], bool]]:
    """Runs of small rows, and each large row alone, in order."""
    small: list[dict[str, Any]] = []
    for row in rows:
        if sqlite and len(row[blob]) >= LARGE:
            if small:
                yield small, False
                small = []
            yield [row], True
        else:
            small.append(row)
    if small:
        yield small, False


def _insert_large(
    session: Session, table: Table, row: dict[str, Any], blob: str, key: Any
) -> dict[Any, int]:
    # Written past the column's type: sealed here when the store is encrypted.
    data = seal_bytes(session.get_bind().dialect, row[blob])
    assert data is not None
    values = {**row, blob: func.zeroblob(len(data))}
    columns = [table.c.id] if key is None else [table.c.id, key]
    found = session.execute(insert(table).values(values).returning(*columns)).one()
    write_blob(session, table.name, blob, found[0], data)
    return {} if key is None else {found[1]: found[0]}


def write_blob(
    session: Session, table: str, column: str, rowid: int, data: bytes
) -> None:
    """Fill the zeroblob of `table`.`column` in row `rowid` with `data`.

    A failure (disk full) comes out as SQLAlchemy's DBAPIError like any other
    statement's, so the intake can tell a database trouble from a bad message.
    """
    connection = session.connection().connection.driver_connection
    view = memoryview(data)
    try:
        with connection.blobopen(table, column, rowid) as handle:
            for start in range(0, len(view), CHUNK):
                handle.write(view[start : start + CHUNK])
    except sqlite3.Error as exc:
        statement = f"blob write {table}.{column}"
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc
