"""The store side of bounces of our own mail: which of our mails a delivery
report names, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from store.db import transaction
from store.inbound import register_inbound
from store.member import Member
from store.models import Case, Message
from store.registration import case_by_number, enqueue_mail, register_case
from store.registration_input import CaseRules, InboundRecord, NewCase

RULES = CaseRules()
NOW = datetime.now(UTC)
MEMBER = "an@example.be"


def answered_case(sessions: Any, sent: datetime) -> tuple[str, str]:
    """A case whose answer mail went out at `sent`: (number, Message-ID)."""
    with transaction(sessions) as session:
        case = register_case(
            session,
            RULES,
            NewCase(
                channel="post",
                received_at=sent - timedelta(days=20),
                language="nl",
                member=Member(name="An", email=MEMBER),
            ),
        )
        mail = enqueue_mail(
            session, RULES, kind="answer", audience="member", template="answer",
            language="nl", recipients=[MEMBER], case=case,
        )  # fmt: skip
        mail.status, mail.sent_at = "sent", sent
        case.status, case.answered_at = "answered", sent
        session.flush()
        return case.number, mail.message_id


def report(failed: tuple[str, ...], ids: tuple[str, ...] = ()) -> InboundRecord:
    raw = f"Subject: Undelivered\r\n\r\n{failed}{ids}\r\n".encode()
    return InboundRecord(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        source="import",
        received_at=NOW,
        klass="bounce",
        reason="bounce subject",
        bounce_failed=failed,
        bounce_message_ids=ids,
    )


def flags(sessions: Any, number: str) -> list[str]:
    with transaction(sessions) as session:
        return list(case_by_number(session, number).flags)


def test_by_message_id_an_answer_bounced(sessions: Any) -> None:
    number, message_id = answered_case(sessions, NOW - timedelta(days=40))
    with transaction(sessions) as session:
        done = register_inbound(
            session, RULES, report(("other@example.org",), (f"<{message_id}>",))
        )
    assert done.case_number == number
    assert flags(sessions, number) == ["answer_bounced"]
    with transaction(sessions) as session:
        stored = session.get(Message, done.message_id)
        assert stored is not None and stored.case_id is not None
        events = session.scalars(select(Case).where(Case.number == number)).one()
        assert [e.kind for e in events.events][-1] == "bounced"


def test_by_address_only_a_recent_mail_of_ours(sessions: Any) -> None:
    old, _ = answered_case(sessions, NOW - timedelta(days=30))
    with transaction(sessions) as session:
        done = register_inbound(session, RULES, report(("AN@Example.be",)))
    assert done.case_number is None and flags(sessions, old) == []
    recent, _ = answered_case(sessions, NOW - timedelta(days=2))
    with transaction(sessions) as session:
        again = register_inbound(session, RULES, report(("an+x@example.be",), ("x@y",)))
    assert again.case_number == recent
    assert flags(sessions, recent) == ["answer_bounced"]
    assert flags(sessions, old) == []
