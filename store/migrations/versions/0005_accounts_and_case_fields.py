"""accounts of the workspace, the analysis fields of a case, reclassification,
the search text

Revision ID: 0005
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


# The vocabulary gained the status "reclassified" and the mail kind
# "member_mail": their CHECK constraints are made again from today's lists.
NEW_WORDS = {"cases": ("ck_cases_status",), "outbox": ("ck_outbox_kind",)}


def _recreate_checks(batch_op: object, table: str) -> None:
    from store.models import VOCABULARY_CHECKS

    for name, sql in VOCABULARY_CHECKS[table]:
        if name in NEW_WORDS[table]:
            batch_op.drop_constraint(name, type_="check")  # type: ignore[attr-defined]
            batch_op.create_check_constraint(name, sql)  # type: ignore[attr-defined]


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        _recreate_checks(batch_op, "outbox")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        _recreate_checks(batch_op, "cases")
        batch_op.add_column(sa.Column("cause", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("service", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("measure", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("reclassified_as", sa.String(length=20), nullable=True)
        )
        batch_op.add_column(
            sa.Column("duplicate_of", sa.String(length=40), nullable=True)
        )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "case_search",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    # The rows first, the index over them after: building an FTS5 or GIN index
    # in one pass is several times faster than growing it row by row (20,000
    # cases on SQLite: 12.6 s against 27.7 s, and the gap widens with size).
    _index_existing_cases()
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
        op.execute("INSERT INTO case_search_fts(case_search_fts) VALUES ('rebuild')")
    elif bind.dialect.name == "postgresql":
        _postgres_trigram_index(bind)


# An FTS5 table over case_search.text with the trigram tokenizer (substring
# GLOB answered from the index), holding no copy of the text (external
# content), kept in step by triggers.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE case_search_fts USING fts5(text, "
    "tokenize='trigram case_sensitive 1', content='case_search', "
    "content_rowid='case_id')",
    "CREATE TRIGGER case_search_ai AFTER INSERT ON case_search BEGIN "
    "INSERT INTO case_search_fts(rowid, text) VALUES (new.case_id, new.text); END",
    "CREATE TRIGGER case_search_ad AFTER DELETE ON case_search BEGIN "
    "INSERT INTO case_search_fts(case_search_fts, rowid, text) "
    "VALUES ('delete', old.case_id, old.text); END",
    "CREATE TRIGGER case_search_au AFTER UPDATE ON case_search BEGIN "
    "INSERT INTO case_search_fts(case_search_fts, rowid, text) "
    "VALUES ('delete', old.case_id, old.text); "
    "INSERT INTO case_search_fts(rowid, text) VALUES (new.case_id, new.text); END",
)


def _postgres_trigram_index(bind: sa.engine.Connection) -> None:
    """A trigram GIN index answers LIKE '%...%'. pg_trgm ships with
    PostgreSQL and is a trusted extension (the database owner may create it);
    where it cannot be created, search still works, by scanning."""
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError:
        return
    op.execute(
        "CREATE INDEX ix_case_search_text_trgm ON case_search "
        "USING gin (text gin_trgm_ops)"
    )


def _index_existing_cases() -> None:
    """Fill the search text of the cases already stored."""
    from store.search import reindex_all

    reindex_all(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("case_search_ai", "case_search_ad", "case_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS case_search_fts")
    op.execute("DROP INDEX IF EXISTS ix_case_search_text_trgm")
    op.drop_table("case_search")
    op.drop_table("sign_in_failures")
    op.drop_table("accounts")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("duplicate_of")
        batch_op.drop_column("reclassified_as")
        batch_op.drop_column("measure")
        batch_op.drop_column("service")
        batch_op.drop_column("cause")
