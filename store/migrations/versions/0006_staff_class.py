"""staff class: mail from the fund's own people is stored as class "staff"

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 03:20:00

The CHECK on messages.class lists the words of MessageClass; this drops it by
name and creates it again with "staff" (batch mode: SQLite copies the table).
Downgrade restores the list without "staff"; it fails while staff messages
are stored, rather than losing them.
"""

from alembic import op

from store.vocabulary import MessageClass

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_NAME = "ck_messages_class"


def _recreate(words: list[str]) -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(_NAME, type_="check")
        listed = ", ".join(f"'{word}'" for word in words)
        batch_op.create_check_constraint(_NAME, f'"class" IN ({listed})')


def upgrade() -> None:
    _recreate([str(c) for c in MessageClass])


def downgrade() -> None:
    _recreate([str(c) for c in MessageClass if c is not MessageClass.STAFF])
