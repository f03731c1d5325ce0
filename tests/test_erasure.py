"""Erasure and retention in the store (issue 19), on SQLite and PostgreSQL:
what goes, what stays, the keyed hashes that keep erased mail out, and the
yearly report's figures unchanged."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from store.db import transaction
from store.erasure import erase_cases, erase_member
from store.errors import UserError
from store.inbound import register_inbound
from store.lifecycle import close
from store.member_lookup import member_query
from store.models import Attachment, Case, Event, FormFieldValue, Message, OutboxMail
from store.privacy_keys import known_secret
from store.reclassify import reclassify
from store.registration import case_by_number
from store.registration_input import CaseRules, InboundRecord
from store.registration_rows import acknowledgement_row
from store.retention import purge
from store.workspace import search_cases
from tests.casefactory import mail_case
from tests.test_report import build_year

TZ = "Europe/Brussels"


def _two_cases_of_anna(sessions) -> tuple[str, str, str]:
    first = mail_case(
        sessions, 1, email="Anna@Example.be", insz="85.07.30-033.28",
        attachment=b"%PDF-1.4 formulier", fields=(("name", "Anna Peeters"),),
    )  # fmt: skip
    second = mail_case(sessions, 2, email="anna@example.be", body="Nog steeds niets.")
    other = mail_case(sessions, 3, email="bert@example.be", name="Bert Claes")
    return first, second, other


def _close(sessions, *numbers: str) -> None:
    with transaction(sessions) as session:
        for number in numbers:
            close(session, number, "els")


def _erase(sessions, force: bool = False, **who: str):
    with transaction(sessions) as session:
        query = member_query(who.get("email"), who.get("insz"))
        return erase_member(
            session, query, reason="verzoek 12", actor="els", force=force
        )


def test_erasure_removes_the_members_data_and_keeps_the_facts(sessions) -> None:
    first, second, other = _two_cases_of_anna(sessions)
    _close(sessions, first, second)
    done = _erase(sessions, email="ANNA@example.BE")
    assert done.cases == (first, second)
    with transaction(sessions) as session:
        case = case_by_number(session, first)
        assert case.member_name is None and case.member_email is None
        assert case.member_insz is None and case.description is None
        assert case.subject is None and "erased" in case.flags
        assert case.member_pseudonym and len(case.member_pseudonym) == 64
        assert (case.channel, case.status) == ("email", "closed")
        assert case.closed_at is not None
        messages = session.scalars(select(Message).where(Message.case_id == case.id))
        for message in messages:
            assert message.raw == b"" and message.sender is None
            assert message.body_text is None and message.message_id is None
            assert message.dedupe_key.startswith("erased:")
            assert message.klass == "complaint"
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0
        assert session.scalar(select(func.count()).select_from(FormFieldValue)) == 0
        events = session.scalars(select(Event).where(Event.case_id == case.id)).all()
        erased = [e for e in events if e.kind == "erased"]
        assert [(e.actor, e.details) for e in erased] == [
            ("els", {"how": "request", "reason": "verzoek 12"})
        ]
        trail = json.dumps([e.details for e in events])
        assert "anna" not in trail.lower()
        assert search_cases(session, "Anna", TZ) == []
        assert [c["number"] for c in search_cases(session, "Bert", TZ)] == [other]
        kept = case_by_number(session, other)
        assert kept.member_email == "bert@example.be"


def test_open_cases_are_refused_without_force(sessions) -> None:
    first, second, _ = _two_cases_of_anna(sessions)
    _close(sessions, first)
    with pytest.raises(UserError, match=f"open cases {second}"):
        _erase(sessions, email="anna@example.be")
    with transaction(sessions) as session:
        assert case_by_number(session, first).member_email == "Anna@Example.be"
        assert known_secret(session) is None  # nothing written, not even that
    done = _erase(sessions, force=True, email="anna@example.be")
    assert done.cases == (first, second)


@pytest.mark.parametrize(
    "typed", ["85.07.30-033.28", "85073003328", "850730 033 28", "85/07/30-03328"]
)
def test_a_national_number_in_any_formatting(sessions, typed: str) -> None:
    first, _, _ = _two_cases_of_anna(sessions)
    _close(sessions, first)
    assert _erase(sessions, insz=typed).cases == (first,)


@pytest.mark.parametrize(
    ("who", "fragment"),
    [
        ({"email": "nobody@example.be"}, "no case or message"),
        ({"insz": "12345"}, "11 digits"),
        ({"email": "not an address"}, "not an e-mail address"),
    ],
)
def test_unknown_or_bad_member(sessions, who: dict[str, str], fragment: str) -> None:
    _two_cases_of_anna(sessions)
    with pytest.raises(UserError, match=fragment):
        _erase(sessions, **who)


def _record_of(sessions, number: str) -> InboundRecord:
    """The mail as intake would see it again (same Message-ID, same bytes)."""
    with transaction(sessions) as session:
        message = session.scalars(
            select(Message).join(Case).where(Case.number == number)
        ).first()
        raw, mid, received = message.raw, message.message_id, message.received_at
    return InboundRecord(
        raw=raw, sha256=hashlib.sha256(raw).hexdigest(), source="import",
        received_at=received, klass="complaint", reason="again", message_id=mid,
        sender="anna@example.be", subject="x", body_text="x",
    )  # fmt: skip


def test_an_erased_mail_never_comes_back_through_intake(sessions) -> None:
    first, _, _ = _two_cases_of_anna(sessions)
    again = _record_of(sessions, first)
    _close(sessions, first)
    _erase(sessions, insz="85073003328")
    with transaction(sessions) as session:
        before = session.scalar(select(func.count()).select_from(Message))
        result = register_inbound(session, CaseRules(), again)
        assert result.case_number == first
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Message)) == before


def _report(cli, config, year: int) -> dict[str, Any]:
    result = cli("--config", config, "report", "--year", str(year), "--format", "json")
    assert result.code == 0, result.err
    body = result.json()
    body.pop("generated_at", None)
    body.pop("cutoff", None)  # "now" for the current year: moves with the clock
    return body


MEASURE = "Brief over de terugbetaling herschreven"


def _measure_and_pending_ack(sessions, measured: str, waiting: str) -> None:
    """Case `measured` gets a cause, service and measure; the acknowledgement
    of case `waiting` still waits in the outbox."""
    with transaction(sessions) as session:
        case = case_by_number(session, measured)
        case.cause, case.service, case.measure = "communicatie", "onthaal", MEASURE
        row = session.scalars(
            select(OutboxMail).join(Case).where(Case.number == waiting)
        ).one()
        row.status = "pending"


def test_the_yearly_report_is_the_same_after_erasing_everything(
    db_url, sessions, make_config, cli
) -> None:
    numbers = build_year(sessions)
    _measure_and_pending_ack(sessions, numbers["A"], numbers["G"])
    config = make_config(db_url)
    before = {year: _report(cli, config, year) for year in (2023, 2024)}
    assert before[2024]["repeat_members"] == 3
    assert [m["measure"] for m in before[2024]["analysis"]["measures"]] == [MEASURE]
    with transaction(sessions) as session:
        cases = list(session.scalars(select(Case).order_by(Case.id)))
        # Half the cases first: erased and not erased cases side by side.
        erase_cases(session, cases[::2], actor="t", reason="r", how="request")
    assert {year: _report(cli, config, year) for year in (2023, 2024)} == before
    with transaction(sessions) as session:
        erase_cases(
            session, list(session.scalars(select(Case))), actor="t", reason="r",
            how="request",
        )  # fmt: skip
        emails = select(func.count()).where(Case.member_email.is_not(None))
        assert session.scalar(emails) == 0
        # The waiting acknowledgement can no longer go out: skipped, no address.
        pending = select(func.count()).where(OutboxMail.status == "pending")
        assert session.scalar(pending) == 0
        assert case_by_number(session, numbers["A"]).measure == MEASURE
    assert {year: _report(cli, config, year) for year in (2023, 2024)} == before


def test_retention_purges_cases_closed_long_ago(
    db_url, sessions, make_config, cli
) -> None:
    now = datetime.now(UTC)
    old = mail_case(
        sessions, 1, email="a@example.be", received=now - timedelta(days=2300)
    )
    recent = mail_case(
        sessions, 2, email="a@example.be", received=now - timedelta(days=400)
    )
    still_open = mail_case(
        sessions, 3, email="c@example.be", received=now - timedelta(days=3000)
    )
    with transaction(sessions) as session:
        close(session, old, "els", now=now - timedelta(days=2200))
        close(session, recent, "els", now=now - timedelta(days=300))
        case = case_by_number(session, old)
        case.cause, case.service, case.measure = "communicatie", "onthaal", MEASURE
        # Closed with its acknowledgement still waiting (an SMTP outage).
        waiting = acknowledgement_row(
            CaseRules(), case.id, case.number, case.language, "a@example.be"
        )
        session.execute(insert(OutboxMail.__table__), [waiting])
    config = make_config(db_url)
    year = (now - timedelta(days=2300)).astimezone().year
    before = _report(cli, config, year)
    assert [m["measure"] for m in before["analysis"]["measures"]] == [MEASURE]
    with transaction(sessions) as session:
        dry = purge(session, now=now, years=5, dry_run=True)
        assert dry.cases == (old,)
        assert case_by_number(session, old).member_email == "a@example.be"
    with transaction(sessions) as session:
        assert purge(session, now=now, years=5).cases == (old,)
    with transaction(sessions) as session:
        assert case_by_number(session, old).member_email is None
        assert case_by_number(session, recent).member_email == "a@example.be"
        assert case_by_number(session, still_open).member_email == "c@example.be"
        assert purge(session, now=now, years=5).cases == ()  # idempotent
        event = session.scalars(select(Event).where(Event.kind == "erased")).one()
        assert (event.actor, event.details["how"]) == ("retention", "retention")
        assert case_by_number(session, old).measure == MEASURE
    assert _report(cli, config, year) == before


def _loose(sessions, key: str, klass: str, received: datetime) -> InboundRecord:
    """A mail of no case (quarantine, spam, ...) stored through intake."""
    raw = f"From: x@example.be\r\nMessage-ID: <{key}@x>\r\n\r\n{key}\r\n".encode()
    record = InboundRecord(
        raw=raw, sha256=hashlib.sha256(raw).hexdigest(), source="import",
        received_at=received, klass=klass, reason="test", message_id=f"{key}@x",
        sender="x@example.be", subject=key, body_text=key,
    )  # fmt: skip
    with transaction(sessions) as session:
        assert register_inbound(session, CaseRules(), record).case_number is None
    return record


def _reclassified(sessions, n: int, at: datetime) -> str:
    number = mail_case(sessions, n, email=f"r{n}@example.be", received=at)
    with transaction(sessions) as session:
        reclassify(session, number, "question", "els")
        event = session.scalars(
            select(Event)
            .join(Case)
            .where(Case.number == number, Event.kind == "reclassified")
        ).one()
        event.at = at + timedelta(days=1)
    return number


def test_retention_reaches_reclassified_cases_and_mail_of_no_case(
    db_url, sessions, make_config, cli
) -> None:
    now = datetime.now(UTC)
    long_ago, lately = now - timedelta(days=2300), now - timedelta(days=400)
    old_question = _reclassified(sessions, 1, long_ago)
    new_question = _reclassified(sessions, 2, lately)
    old_mail = _loose(sessions, "old", "quarantined", long_ago)
    _loose(sessions, "new", "spam", lately)
    config = make_config(db_url)
    year = long_ago.astimezone().year
    before = _report(cli, config, year)
    with transaction(sessions) as session:
        dry = purge(session, now=now, years=5, dry_run=True)
        assert dry.cases == (old_question,)
        assert [(m.klass, m.received_at) for m in dry.messages] == [
            ("quarantined", long_ago)
        ]
        assert session.get(Message, dry.messages[0].id).sender == "x@example.be"
    with transaction(sessions) as session:
        done = purge(session, now=now, years=5)
        assert (done.cases, done.messages) == (dry.cases, dry.messages)
    with transaction(sessions) as session:
        erased = case_by_number(session, old_question)
        assert erased.member_email is None and "erased" in erased.flags
        assert case_by_number(session, new_question).member_email == "r2@example.be"
        message = session.get(Message, dry.messages[0].id)
        assert (message.raw, message.sender, message.body_text) == (b"", None, None)
        assert message.dedupe_key.startswith("erased:")
        assert message.klass == "quarantined"
        loose = session.scalars(select(Message).where(Message.case_id.is_(None)))
        assert sorted(m.sender or "-" for m in loose) == ["-", "x@example.be"]
        event = session.scalars(
            select(Event).where(Event.kind == "erased", Event.message_id.is_not(None))
        ).one()
        assert event.details == {
            "how": "retention",
            "reason": "received more than 5 years ago",
        }
        again = purge(session, now=now, years=5)  # idempotent
        assert (again.cases, again.messages) == ((), ())
        before_count = session.scalar(select(func.count()).select_from(Message))
        register_inbound(session, CaseRules(), old_mail)  # never comes back
        assert session.scalar(select(func.count()).select_from(Message)) == (
            before_count
        )
    assert _report(cli, config, year) == before
