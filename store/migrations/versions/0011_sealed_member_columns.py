"""sealed member columns: room for encrypted phone, address and national number

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:40:00

With `[privacy] key_file` the member's phone, street, postcode, city and
national number are stored sealed (store/sealed.py): base64 text longer than
the VARCHAR lengths PostgreSQL enforced. They become TEXT (batch mode:
SQLite copies the table). Downgrade fails on a value that no longer fits,
rather than cutting it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("member_phone", 40),
    ("member_street", 300),
    ("member_postcode", 10),
    ("member_city", 120),
    ("member_insz", 40),
)


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name, length in _COLUMNS:
            batch_op.alter_column(
                name, existing_type=sa.String(length=length), type_=sa.Text()
            )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name, length in _COLUMNS:
            batch_op.alter_column(
                name, existing_type=sa.Text(), type_=sa.String(length=length)
            )
