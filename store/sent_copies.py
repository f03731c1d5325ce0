"""Which sent mails still need their copy in [imap] sent_copy_mailbox.

A mail's copy is appended after the SMTP server accepted it; `copied_at`
records that it is there. A row sent but not copied (the IMAP server was
away) is found again here and copied later: the copy is retried, the mail is
never sent again. Only mails sent within `WINDOW` are copied, so turning the
setting on does not copy years of mail.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import OutboxMail
from store.outbox import OUTBOX, ClaimedMail, with_cases
from store.vocabulary import MailStatus

WINDOW = timedelta(days=7)


def copies_due(
    session: Session, now: datetime, limit: int = 100
) -> list[tuple[ClaimedMail, datetime]]:
    """Sent mails without their copy yet, oldest first, with their send time."""
    rows = session.execute(
        select(OUTBOX)
        .where(
            OUTBOX.c.status == MailStatus.SENT,
            OUTBOX.c.copied_at.is_(None),
            OUTBOX.c.sent_at >= now - WINDOW,
        )
        .order_by(OUTBOX.c.id)
        .limit(limit)
    ).all()
    sent_at = {row.id: row.sent_at for row in rows}
    return [(mail, sent_at[mail.id]) for mail in with_cases(session, rows)]


def mark_copied(session: Session, ids: list[int], at: datetime) -> None:
    """The copies of these mails are in the sent-copy folder."""
    if ids:
        session.execute(
            update(OutboxMail).where(OutboxMail.id.in_(ids)).values(copied_at=at)
        )
