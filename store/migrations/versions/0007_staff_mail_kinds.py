"""staff by mail: three new outbox kinds and the outbox's sent-copy time

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 05:00:00

The CHECK on outbox.kind lists the words of MailKind; it is dropped by name
and created again with answer_incomplete, member_replied and command_reply
(batch mode, so SQLite rebuilds the table). outbox.copied_at records when
a sent mail's copy was appended to [imap] sent_copy_mailbox.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from store.vocabulary import MailKind

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_NAME = "ck_outbox_kind"
_NEW = (MailKind.ANSWER_INCOMPLETE, MailKind.MEMBER_REPLIED, MailKind.COMMAND_REPLY)


def _recreate(batch_op: Any, words: list[str]) -> None:
    batch_op.drop_constraint(_NAME, type_="check")
    listed = ", ".join(f"'{word}'" for word in words)
    batch_op.create_check_constraint(_NAME, f'"kind" IN ({listed})')


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        _recreate(batch_op, [str(k) for k in MailKind])
        batch_op.add_column(
            sa.Column("copied_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("copied_at")
        _recreate(batch_op, [str(k) for k in MailKind if k not in _NEW])
