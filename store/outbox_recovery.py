"""Outbox rows left behind by a process that died, and mail still due.

A delivery worker claims at most `MAX_CLAIM` rows at a time, each claim
naming its process ("host:pid:start:token", store/holders.py). When that
process is killed its rows stay "sending". Waiting for the lease
(`[service] outbox_lease`, minutes) would leave those members without their
acknowledgement for that long, and a `run --once` started after the kill
would finish without sending them. So every claim first takes back the rows
of processes of this host that are gone; rows claimed on another host still
wait for their lease, as nothing here can tell whether that host's process
lives.

A row taken back goes out again with its own Message-ID: the killed process
may have handed it to the SMTP server just before it died (delivery is at
least once, store/outbox.py). No attempt is counted: the mail did nothing
wrong.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from store.db import is_postgres
from store.holders import is_gone
from store.models import OutboxMail
from store.vocabulary import MailStatus

# The most rows one claim takes: what a killed worker can hold back from
# others, and what a crash may send twice.
MAX_CLAIM = 20
OUTBOX = OutboxMail.__table__


def take_back_orphans(session: Session) -> int:
    """Give the rows of gone processes of this host back ("pending"), at once.

    Returns how many rows were taken back. Reads only the claimers of rows
    "sending" (a few per live worker), through the (status, ...) index.
    """
    claimers = session.scalars(
        select(OUTBOX.c.claimed_by)
        .where(OUTBOX.c.status == MailStatus.SENDING, OUTBOX.c.claimed_by.is_not(None))
        .distinct()
    )
    gone = sorted(holder for holder in claimers if is_gone(holder))
    if not gone:
        return 0
    query = select(OUTBOX.c.id).where(
        OUTBOX.c.status == MailStatus.SENDING, OUTBOX.c.claimed_by.in_(gone)
    )
    if is_postgres(session):  # two workers taking back: neither waits
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if ids:
        session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(ids))
            .values(status=MailStatus.PENDING, claimed_by=None, claimed_until=None)
        )
    return len(ids)


def due_now(session: Session, now: datetime) -> int:
    """Mails that could be sent now and are not being sent by a live worker.

    Pending rows whose time has come, and claimed rows whose lease ran out.
    Mail waiting for a retry time (or held back later than `now` for any
    other reason) does not count.
    """
    status = OUTBOX.c.status
    query = select(func.count()).where(
        or_(
            and_(status == MailStatus.PENDING, OUTBOX.c.next_attempt_at <= now),
            and_(status == MailStatus.SENDING, OUTBOX.c.claimed_until < now),
        )
    )
    return int(session.scalar(query) or 0)
