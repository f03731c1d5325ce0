"""The hourly limit on mails to members, in the store (SQLite and PostgreSQL):
what a claim takes, what waits, and that mail to others is never held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from store.db import transaction
from store.models import OutboxMail
from store.outbox import claim_due
from store.outbox_limit import held_by_limit, member_room
from store.registration import enqueue_mail
from store.registration_input import CaseRules

RULES = CaseRules()
LEASE = timedelta(minutes=5)


def queue(sessions, audience: str, n: int) -> None:
    with transaction(sessions) as session:
        for i in range(n):
            enqueue_mail(
                session,
                RULES,
                kind="acknowledgement" if audience == "member" else "digest",
                audience=audience,
                template="x",
                language="nl",
                recipients=[f"{audience}{i}@example.be"],
            )


def claim(sessions, now: datetime, limit: int = 50, hourly: int | None = 3):
    with transaction(sessions) as session:
        room = None if hourly is None else member_room(session, now, hourly)
        return claim_due(
            session, worker="w", now=now, lease=LEASE, limit=limit, member_room=room
        )


def test_members_beyond_the_limit_wait_and_others_pass(sessions) -> None:
    now = datetime.now(UTC) + timedelta(seconds=1)
    queue(sessions, "member", 5)
    queue(sessions, "coordinator", 2)
    with transaction(sessions) as session:
        assert held_by_limit(session, now, 3) == 2
    claimed = claim(sessions, now, limit=4)  # 4 rows: 3 members, then others
    assert [m.audience for m in claimed] == ["member"] * 3 + ["coordinator"]
    with transaction(sessions) as session:
        # Three on their way count against the hour: nothing more for members.
        assert member_room(session, now, 3) == 0
        assert held_by_limit(session, now, 3) == 2
    assert [m.audience for m in claim(sessions, now)] == ["coordinator"]
    with transaction(sessions) as session:
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.status == "sending")
            .values(status="sent", sent_at=now)
        )
    assert claim(sessions, now) == []
    later = now + timedelta(minutes=61)
    assert [m.audience for m in claim(sessions, later)] == ["member"] * 2
    with transaction(sessions) as session:
        assert held_by_limit(session, later, 3) == 0


def test_no_limit_claims_everything(sessions) -> None:
    queue(sessions, "member", 5)
    now = datetime.now(UTC) + timedelta(seconds=1)
    assert len(claim(sessions, now, hourly=None)) == 5
