"""store.lifecycle on SQLite and PostgreSQL: transitions, outbox, refusals."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from store import lifecycle
from store.db import transaction
from store.errors import UserError, WrongState
from store.inbound import register_inbound
from store.member import Member
from store.models import Case, Event, OutboxMail
from store.registration import register_case
from store.registration_input import CaseRules, InboundRecord, NewCase

RULES = CaseRules()
BRUSSELS = ZoneInfo("Europe/Brussels")
RECEIVED = datetime(2026, 9, 1, 10, 0, tzinfo=BRUSSELS)


def mailed_case(sessions: Any) -> str:
    """A complaint that came by e-mail, so the answer can thread to it."""
    raw = b"Message-ID: <klacht-1@example.be>\r\n\r\nKlacht\r\n"
    record = InboundRecord(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        source="test",
        received_at=RECEIVED,
        klass="complaint",
        reason="test",
        message_id="klacht-1@example.be",
        new_case=NewCase(
            channel="email",
            received_at=RECEIVED,
            language="fr",
            member=Member(name="Anne", email="anne@example.be"),
        ),
    )
    with transaction(sessions) as session:
        return register_inbound(session, RULES, record).case_number or ""


def postal_case(sessions: Any) -> str:
    new = NewCase(channel="post", received_at=RECEIVED, language="nl")
    with transaction(sessions) as session:
        return register_case(session, RULES, new).number


def test_answer_by_mail_threads_and_can_be_given_again_after_reopen(
    sessions: Any,
) -> None:
    number = mailed_case(sessions)
    reply = lifecycle.Answer("founded", "Madame,\n\nVous avez raison.\n", "email")
    with transaction(sessions) as session:
        lifecycle.answer(session, RULES, number, reply, "els")
    with transaction(sessions) as session:
        lifecycle.reopen(session, number, "nouvelle lettre", "els")
        lifecycle.answer(session, RULES, number, reply, "els")
    with transaction(sessions) as session:
        mails = session.scalars(
            select(OutboxMail)
            .where(OutboxMail.kind == "answer")
            .order_by(OutboxMail.id)
        ).all()
        case = session.scalars(select(Case).where(Case.number == number)).one()
        assert [m.dedupe_key for m in mails] == [
            f"answer:{case.id}:1",
            f"answer:{case.id}:2",
        ]
    first = mails[0]
    assert first.language == "fr" and first.recipients == ["anne@example.be"]
    assert first.in_reply_to == "<klacht-1@example.be>"
    assert first.context == {"answer_text": "Madame,\n\nVous avez raison.\n"}


def test_refused_answer_leaves_nothing_behind(sessions: Any) -> None:
    number = postal_case(sessions)
    reply = lifecycle.Answer("founded", "Beste,\n", "email")
    with (
        pytest.raises(UserError, match="no e-mail address"),
        transaction(sessions) as session,
    ):
        lifecycle.note(session, number, "eerst een nota", "els")
        lifecycle.answer(session, RULES, number, reply, "els")
    with transaction(sessions) as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        assert (case.status, case.outcome, case.answered_at) == (
            "registered",
            None,
            None,
        )
        kinds = session.scalars(select(Event.kind).where(Event.case_id == case.id))
        assert list(kinds) == ["registered"]
        assert session.scalars(select(OutboxMail)).all() == []


def test_state_rules(sessions: Any) -> None:
    number = postal_case(sessions)
    with transaction(sessions) as session:
        with pytest.raises(WrongState):
            lifecycle.reopen(session, number, "reden", "els")
        with pytest.raises(WrongState):
            lifecycle.confirm(session, number, RECEIVED, [], "els")
        lifecycle.refer(session, number, RECEIVED, "els")
        with pytest.raises(WrongState, match="already referred"):
            lifecycle.refer(session, number, RECEIVED, "els")
        lifecycle.assign(session, number, "els@libmutov.be", "els")
        lifecycle.close(session, number, "els")
        # A closed case keeps its status when it is (re)assigned.
        case = lifecycle.assign(session, number, "jan@libmutov.be", "els")
        assert case.status == "closed"
    with transaction(sessions) as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        assert case.flags == ["ombudsdienst"]
        assert case.referred_at == RECEIVED


def test_a_follow_up_mail_can_confirm_an_oral_complaint(sessions: Any) -> None:
    new = NewCase(
        channel="oral",
        received_at=RECEIVED,
        language="nl",
        status="awaiting_confirmation",
    )
    with transaction(sessions) as session:
        case = register_case(session, RULES, new)
        lifecycle.confirm_case(session, case, RECEIVED, "klachten", via="mail")
        assert case.status == "registered"
        # Only once: a second mail changes nothing.
        lifecycle.confirm_case(session, case, RECEIVED, "klachten", via="mail")
        session.flush()
        events = session.scalars(
            select(Event).where(Event.case_id == case.id).order_by(Event.id)
        ).all()
    assert [e.kind for e in events] == ["registered", "confirmed"]
    assert events[1].details["via"] == "mail"
