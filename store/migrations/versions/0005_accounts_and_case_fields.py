"""accounts of the workspace, the analysis fields of a case, reclassification,
the search text

Revision ID: 0005
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
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
        sa.Column("ident", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    _index_existing_cases()


def _index_existing_cases() -> None:
    """Fill the search text of the cases already stored."""
    from store.search import reindex_all

    reindex_all(op.get_bind())


def downgrade() -> None:
    op.drop_table("case_search")
    op.drop_table("sign_in_failures")
    op.drop_table("accounts")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("duplicate_of")
        batch_op.drop_column("reclassified_as")
        batch_op.drop_column("measure")
        batch_op.drop_column("service")
        batch_op.drop_column("cause")
