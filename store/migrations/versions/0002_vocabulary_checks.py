"""vocabulary checks: statuses, channels, classes, outcomes and mail words

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 01:40:00

The columns that hold a word of store/vocabulary.py get a CHECK constraint
listing its values, as store/models.py declares them (`VOCABULARY_CHECKS`).
SQLite cannot add a constraint to a table, so batch mode copies each table;
store/migrate.py runs migrations on SQLite with foreign keys off for that copy
and checks them before it commits.

The lists are read from the vocabulary as it is when the migration runs. A
later migration that changes a list drops the constraint by name and creates
it again from the vocabulary of that day.
"""

from alembic import op

from store.models import VOCABULARY_CHECKS

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table, checks in VOCABULARY_CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, sql in checks:
                batch_op.create_check_constraint(name, sql)


def downgrade() -> None:
    for table, checks in VOCABULARY_CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _sql in checks:
                batch_op.drop_constraint(name, type_="check")
