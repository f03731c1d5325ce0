"""The models and the migrations describe the same schema.

`alembic upgrade head` on a fresh database (the `db_url` fixture: SQLite,
then PostgreSQL), then Alembic's autogenerate comparison against
store.models: no table, column, type, nullability, default, index, unique
or foreign key differs. A model changed without its migration (or the other
way round) fails here, on both databases.
"""

from __future__ import annotations

import pprint

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from store.db import make_engine
from store.migrate import current_revision, head_revision
from store.models import Base
from store.search import MIGRATION_ONLY


def _in_models(obj, name, type_, reflected, compare_to) -> bool:
    """Leave aside what indexes the search text: made by migration 0005 per
    engine (FTS5 table and its shadow tables on SQLite, a trigram GIN index
    on PostgreSQL), by design not in the models (store/search.py)."""
    return not (reflected and name and name.startswith(MIGRATION_ONLY))


OPTIONS = {
    "compare_type": True,
    "compare_server_default": True,
    "include_object": _in_models,
}


def differences(url: str) -> list:
    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts=OPTIONS)
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_models_and_migrations_agree(db_url: str) -> None:
    found = differences(db_url)
    assert found == [], pprint.pformat(found)
