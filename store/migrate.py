"""Schema migrations with Alembic: the only way the schema is made."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from store.errors import SchemaOutdated

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
    before = current_revision(engine)
    cfg = _config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
    return before, current_revision(engine) or ""


def require_current(engine: Engine) -> None:
    """Refuse to run on a schema older (or newer) than this code."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        shown = current or "empty"
        raise SchemaOutdated(
            f"database schema is {shown}, this version needs {head}: "
            "run `klachten db upgrade`"
        )
