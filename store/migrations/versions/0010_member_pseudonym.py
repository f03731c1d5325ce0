"""erasure: cases.member_pseudonym, a keyed hash of an erased member

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-07 04:40:00

Erasure (store/erasure.py) empties a case's member details and keeps only
this keyed hash (HMAC-SHA256 with the installation's secret), so the yearly
report still counts members with more than one complaint. The new flags
`erased` and `restored` need no constraint change: flags are a JSON list
without a CHECK.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_pseudonym", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("member_pseudonym")
