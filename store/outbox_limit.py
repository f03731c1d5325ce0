"""The global limit on mails to members per hour ([responder] hourly_limit).

The room left is counted once per delivery run (`member_room`: one query
over the hour's sent mail) and used up by the run's claims, not counted again
for every batch; a second process sending at the same time can overshoot the
limit by what it claims in one run, which a limit against floods allows.

A flood of complaints with forged reply addresses must not turn the fund into
a mail cannon, and an outage's backlog must still flow: beyond the limit,
mails to members wait in the outbox ("pending", due, no attempt counted) and
go out as the hour's window moves on. Nothing is dropped. Rows held back this
way are not stored as such; they are counted when asked (`held_by_limit`), so
the notion cannot go stale: `status` shows it, and `run --once` does not count
such mail as mail that could be sent now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from store.models import OutboxMail
from store.vocabulary import Audience, MailStatus

HOUR = timedelta(hours=1)
MEMBER = Audience.MEMBER
_SENT, _SENDING, _PENDING = MailStatus.SENT, MailStatus.SENDING, MailStatus.PENDING


def member_room(session: Session, now: datetime, hourly_limit: int) -> int:
    """How many more mails to members may leave now: the limit less those
    sent in the last hour and those on their way (claimed, lease running)."""
    used = session.scalar(
        select(func.count()).where(
            OutboxMail.audience == MEMBER,
            or_(
                and_(OutboxMail.status == _SENT, OutboxMail.sent_at > now - HOUR),
                and_(OutboxMail.status == _SENDING, OutboxMail.claimed_until >= now),
            ),
        )
    )
    return max(hourly_limit - int(used or 0), 0)


def due_to_members(now: datetime) -> Any:
    """Mails to members due now (the claim's condition, for members)."""
    return and_(
        OutboxMail.audience == MEMBER,
        or_(
            and_(OutboxMail.status == _PENDING, OutboxMail.next_attempt_at <= now),
            and_(OutboxMail.status == _SENDING, OutboxMail.claimed_until < now),
        ),
    )


def held_by_limit(session: Session, now: datetime, hourly_limit: int) -> int:
    """Mails to members that are due but wait for the hourly limit."""
    due = int(session.scalar(select(func.count()).where(due_to_members(now))) or 0)
    if not due:
        return 0
    return max(due - member_room(session, now, hourly_limit), 0)


def within_limit(
    rows: list[tuple[int, str]], room: int | None
) -> tuple[list[int], bool]:
    """Of the due (id, audience) rows, the ids that may be claimed with `room`
    mails to members left (None: no limit), and whether mails to members were
    held back (the caller then looks further for mail to others, which no
    limit holds)."""
    ids = [id_ for id_, _ in rows]
    members = [id_ for id_, audience in rows if audience == MEMBER]
    if room is None or len(members) <= room:
        return ids, False
    held = set(members[max(room, 0) :])
    return [id_ for id_ in ids if id_ not in held], True
