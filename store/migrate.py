"""Schema migrations with Alembic: the only way the schema is made."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from store.errors import MigrationRefused, SchemaOutdated

MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Apply migrations up to `revision`; returns (before, after)."""
    return _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> tuple[str | None, str]:
    """Undo migrations down to `revision`; returns (before, after)."""
    return _migrate(engine, command.downgrade, revision)


def _migrate(
    engine: Engine, step: Callable[[Config, str], None], revision: str
) -> tuple[str | None, str]:
    before = current_revision(engine)
    cfg = _config()
    try:
        with (
            engine.connect() as connection,
            _foreign_keys_deferred(connection),
            connection.begin(),
        ):
            cfg.attributes["connection"] = connection
            step(cfg, revision)
            _check_foreign_keys(connection)
    except IntegrityError as exc:
        # A row the new constraints refuse: one line for the operator.
        first = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
        raise MigrationRefused(
            f"migration to {revision} refused, nothing changed: {first}"
        ) from None
    return before, current_revision(engine) or ""


@contextmanager
def _foreign_keys_deferred(connection: Connection) -> Iterator[None]:
    """On SQLite, foreign keys off while a migration copies tables.

    SQLite changes a table by copying it (Alembic's batch mode): dropping the
    old copy would fail on the rows that refer to it. The pragma only works
    outside a transaction, so it is set on the driver's connection before the
    migration's BEGIN, and set back afterwards.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a SQLite migration that left a dangling reference."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid = broken[0][0], broken[0][1]
        raise MigrationRefused(
            f"migration refused, nothing changed: {len(broken)} broken foreign "
            f"key(s), the first in {table} row {rowid}"
        )


def require_current(engine: Engine) -> None:
    """Refuse to run on a schema older (or newer) than this code."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        shown = current or "empty"
        raise SchemaOutdated(
            f"database schema is {shown}, this version needs {head}: "
            "run `klachten db upgrade`"
        )
