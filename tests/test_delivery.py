"""Outbox delivery against a real SMTP server (aiosmtpd) and real databases."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from service.commands.cases import render_case_text
from store.inbound import register_inbound
from store.lifecycle import Answer, answer
from store.member import Member
from store.models import Case, Event, OutboxMail
from store.queries import show_case
from store.registration_input import InboundRecord, NewCase
from tests.servers.smtp import SmtpServer

SENDER = "anna.peeters@example.be"
COORDINATOR = "klachtencoordinator@libmutov.be"
LATER = timedelta(hours=3)  # past any backoff of the first attempts


def utc_now() -> datetime:
    return datetime.now(UTC)


def smtp_section(server: SmtpServer, **extra: Any) -> dict[str, Any]:
    values = {"host": server.host, "port": server.port, "security": "none"}
    return {**values, **extra}


@pytest.fixture
def app_with(
    make_config: Callable[..., Path], app_for: Callable[[Path], Any], db_url: str
) -> Callable[..., Any]:
    """An App on `db_url` whose [smtp] points at the given test server."""

    def build(server: SmtpServer, smtp: dict[str, Any] | None = None, **sections):
        path = make_config(
            db_url, smtp=smtp_section(server, **(smtp or {})), **sections
        )
        return app_for(path)

    return build


def complaint(
    n: int,
    sender: str = SENDER,
    language: str = "nl",
    flags: tuple[str, ...] = (),
) -> InboundRecord:
    """An e-mail complaint as intake hands it to registration."""
    raw = f"Message-ID: <c{n}@example.be>\r\nSubject: klacht {n}\r\n\r\ntekst\r\n"
    received = utc_now() - timedelta(minutes=5)
    return InboundRecord(
        raw=raw.encode(),
        sha256=hashlib.sha256(raw.encode()).hexdigest(),
        source="import",
        received_at=received,
        klass="complaint",
        reason="test",
        message_id=f"c{n}@example.be",
        sender=sender,
        subject=f"klacht {n}",
        references="<earlier@example.be>",
        new_case=NewCase(
            channel="email",
            received_at=received,
            language=language,
            member=Member(name="Anna Peeters", email=sender),
            subject="Terugbetaling kinesitherapie",
            flags=flags,
        ),
        acknowledge_to=sender,
        # Its From, verified by DMARC: the acknowledgement may quote and thread.
        acknowledge_verified=True,
    )


def register(app: Any, *records: InboundRecord) -> list[str]:
    numbers = []
    for record in records:
        with app.transaction() as session:
            numbers.append(register_inbound(session, app.rules, record).case_number)
    return numbers


def rows(app: Any, **where: Any) -> list[OutboxMail]:
    with app.transaction() as session:
        query = session.query(OutboxMail).filter_by(**where).order_by(OutboxMail.id)
        return list(query)


def case_and_events(app: Any, number: str) -> tuple[Case, list[str]]:
    with app.transaction() as session:
        case = session.query(Case).filter_by(number=number).one()
        kinds = [
            e.kind
            for e in session.query(Event).filter_by(case_id=case.id).order_by(Event.id)
        ]
        return case, kinds


def events_of(app: Any, number: str, kind: str) -> list[dict[str, Any]]:
    with app.transaction() as session:
        case = session.query(Case).filter_by(number=number).one()
        found = session.query(Event).filter_by(case_id=case.id, kind=kind)
        return [e.details for e in found]


def test_one_acknowledgement_with_threading_headers(smtp_server, app_with) -> None:
    app = app_with(smtp_server, {"reply_to": "antwoord@libmutov.be"})
    (number,) = register(app, complaint(1))

    report = app.delivery.deliver_pending()

    assert (report.sent, report.retried, report.failed, report.skipped) == (1, 0, 0, 0)
    (received,) = smtp_server.wait_for(1)
    (row,) = rows(app)
    mail = received.message
    assert received.mail_from == "klachten@libmutov.be"
    assert received.rcpt_tos == (SENDER,)
    assert mail["Subject"] == f"Ontvangstmelding van uw klacht [{number}]"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["In-Reply-To"] == "<c1@example.be>"
    assert mail["References"] == "<earlier@example.be> <c1@example.be>"
    assert mail["Message-ID"] == f"<{row.message_id}>"
    assert mail["From"].addresses[0].display_name == "LM Klachtendienst"
    assert mail["From"].addresses[0].addr_spec == "klachten@libmutov.be"
    assert mail["Reply-To"] == "antwoord@libmutov.be"
    assert mail["X-Klachten-Case"] == number
    assert mail.get_content_type() == "multipart/alternative"
    assert number in mail.get_body(("plain",)).get_content()
    assert row.status == "sent" and row.sent_at is not None
    assert row.smtp_reply == "250 2.0.0 Message accepted"

    case, kinds = case_and_events(app, number)
    assert case.status == "acknowledged" and case.acknowledged_at is not None
    assert kinds == ["registered", "acknowledgement_sent"]

    again = app.delivery.deliver_pending(now=utc_now() + LATER)
    assert again.handled == 0
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize(
    ("language", "subject", "word"),
    [
        ("nl", "Ontvangstmelding van uw klacht", "dossiernummer"),
        ("fr", "Accusé de réception de votre plainte", "plainte"),
        ("de", "Eingangsbestätigung Ihrer Beschwerde", "Aktenzeichen"),
        ("en", "Acknowledgement of your complaint", "complaint"),
    ],
)
def test_acknowledgement_in_the_member_language(
    smtp_server, app_with, language: str, subject: str, word: str
) -> None:
    app = app_with(smtp_server)
    (number,) = register(app, complaint(1, language=language))
    app.delivery.deliver_pending()
    (received,) = smtp_server.wait_for(1)
    assert received.message["Subject"] == f"{subject} [{number}]"
    assert word in received.message.get_body(("plain",)).get_content()
    assert received.message["Content-Language"] == language


def test_temporary_failures_are_retried_with_backoff(smtp_server, app_with) -> None:
    app = app_with(smtp_server)
    register(app, complaint(1))
    smtp_server.fail_next(2, code=421)
    start = utc_now()

    first = app.delivery.deliver_pending(now=start)
    (row,) = rows(app)
    assert (first.retried, row.status, row.attempts) == (1, "pending", 1)
    assert row.last_error.startswith("421")
    # retry_base 30 s: the next try waits 30 to 33 seconds.
    assert timedelta(seconds=30) <= row.next_attempt_at - start <= timedelta(seconds=33)

    assert app.delivery.deliver_pending(now=start).handled == 0  # still backing off
    second = app.delivery.deliver_pending(now=start + timedelta(minutes=1))
    (row,) = rows(app)
    assert (second.retried, row.attempts) == (1, 2)
    assert row.next_attempt_at - (start + timedelta(minutes=1)) >= timedelta(seconds=60)

    third = app.delivery.deliver_pending(now=start + LATER)
    assert third.sent == 1
    assert len(smtp_server.wait_for(1)) == 1
    assert rows(app)[0].status == "sent"


def test_gives_up_after_max_attempts(smtp_server, app_with) -> None:
    app = app_with(smtp_server, {"max_attempts": 2})
    (number,) = register(app, complaint(1))
    smtp_server.fail_next(5, code=451)
    app.delivery.deliver_pending()
    last = app.delivery.deliver_pending(now=utc_now() + LATER)
    assert last.failed == 1
    ack = rows(app, kind="acknowledgement")[0]
    assert ack.status == "failed" and ack.attempts == 2
    assert "gave up after 2 attempts" in ack.last_error
    assert events_of(app, number, "acknowledgement_failed")


def test_permanent_failure_notifies_coordinators_once(smtp_server, app_with) -> None:
    app = app_with(smtp_server)
    (number,) = register(app, complaint(1))
    smtp_server.reject_recipient(SENDER, 550, "5.1.1 No such user")

    report = app.delivery.deliver_pending()

    assert report.failed == 1
    # The coordinator's notice was queued by the failure and sent in the same run.
    assert report.sent == 1
    (notice,) = smtp_server.wait_for(1)
    assert notice.rcpt_tos == (COORDINATOR,)
    assert notice.message["Subject"] == "[Klachten] 1 e-mail aan leden niet afgeleverd"
    assert notice.message["Auto-Submitted"] == "auto-generated"
    text = notice.message.get_body(("plain",)).get_content()
    assert f"{number}  ontvangstmelding  (550 5.1.1)" in text
    # Greeted by name (made from the address: no account), not by a role.
    assert text.splitlines()[0] == "Beste Klachtencoordinator,"
    # Nothing the receiving server or the address chose: only the code.
    assert "No such user" not in text and SENDER not in text
    ack = rows(app, kind="acknowledgement")[0]
    assert ack.status == "failed" and ack.last_error == "550 5.1.1 No such user"
    (details,) = events_of(app, number, "acknowledgement_failed")
    assert details["reply"] == "550 5.1.1 No such user"
    case, _ = case_and_events(app, number)
    assert case.status == "registered" and case.acknowledged_at is None
    failed = rows(app, status="failed")
    assert [(f.case_id, f.kind) for f in failed] == [(ack.case_id, "acknowledgement")]

    assert app.delivery.deliver_pending(now=utc_now() + LATER).handled == 0
    assert len(smtp_server.received) == 1


def test_per_address_limit(smtp_server, app_with) -> None:
    app = app_with(smtp_server, responder={"per_address_limit": 5})
    numbers = register(app, *(complaint(n) for n in range(6)))

    report = app.delivery.deliver_pending()

    assert (report.sent, report.skipped) == (5, 1)
    assert len(smtp_server.wait_for(5)) == 5
    last = numbers[-1]
    (details,) = events_of(app, last, "acknowledgement_skipped")
    assert details["reason"].startswith("per-address limit reached (5")
    case, _ = case_and_events(app, last)
    assert case.status == "registered" and "ack_not_sent" in case.flags
    skipped = rows(app, status="skipped")
    assert [r.skip_reason for r in skipped] == [details["reason"]]
    # Another address is not held back by Anna's limit.
    register(app, complaint(7, sender="bert@example.be"))
    assert app.delivery.deliver_pending().sent == 1


def test_limit_counts_only_the_last_24_hours(smtp_server, app_with) -> None:
    app = app_with(smtp_server, responder={"per_address_limit": 1})
    register(app, complaint(1))
    assert app.delivery.deliver_pending().sent == 1
    register(app, complaint(2))
    assert app.delivery.deliver_pending(now=utc_now() + timedelta(hours=25)).sent == 1
    assert len(smtp_server.wait_for(2)) == 2


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("noreply@example.be", "suppressed address (pattern noreply@*)"),
        ("MAILER-DAEMON@mx.example.be", "suppressed address (pattern mailer-daemon@*)"),
        ("klachten@libmutov.be", "own address"),
        (COORDINATOR, "coordinator address"),
    ],
)
def test_no_acknowledgement_to_machines_or_ourselves(
    smtp_server, app_with, address: str, reason: str
) -> None:
    app = app_with(smtp_server)
    (number,) = register(app, complaint(1, sender=address))
    report = app.delivery.deliver_pending()
    assert (report.sent, report.skipped) == (0, 1)
    assert smtp_server.received == []
    # What `klachten case show` prints (the CLI itself is tested on SQLite
    # below: it does not dispose its engine, which PostgreSQL reports).
    with app.transaction() as session:
        shown = render_case_text(show_case(session, number, app.timezone))
    assert "acknowledgement_skipped" in shown and reason in shown


def test_dmarc_failure_gets_no_acknowledgement(smtp_server, app_with) -> None:
    app = app_with(smtp_server)
    flags = ("needs_review", "sender_unverified")
    (number,) = register(app, complaint(1, flags=flags))
    assert app.delivery.deliver_pending().skipped == 1
    assert smtp_server.received == []
    (details,) = events_of(app, number, "acknowledgement_skipped")
    assert details["reason"] == "sender not verified (DMARC failed)"
    case, _ = case_and_events(app, number)
    assert set(case.flags) == {"needs_review", "sender_unverified", "ack_not_sent"}


def test_server_down_loses_nothing(smtp_server, app_with) -> None:
    app = app_with(smtp_server)
    register(app, complaint(1), complaint(2, sender="bert@example.be"))
    smtp_server.stop()
    start = utc_now()

    down = app.delivery.deliver_pending(now=start)

    assert down.outage and "Connection" in down.outage
    assert (down.sent, down.retried) == (0, 2)
    assert all(r.status == "pending" and r.next_attempt_at > start for r in rows(app))
    smtp_server.start()
    back = app.delivery.deliver_pending(now=start + LATER)
    assert back.sent == 2
    assert len(smtp_server.wait_for(2)) == 2


def test_expired_lease_is_resent_with_the_same_message_id(
    smtp_server, app_with
) -> None:
    from store.outbox import claim_due

    app = app_with(smtp_server)
    register(app, complaint(1))
    start = utc_now()
    with app.transaction() as session:  # a worker claims the row, then dies
        claim_due(
            session, worker="crashed", now=start, lease=timedelta(minutes=15), limit=9
        )
    assert app.delivery.deliver_pending(now=start + timedelta(minutes=5)).handled == 0
    later = app.delivery.deliver_pending(now=start + timedelta(minutes=16))
    assert later.sent == 1
    (received,) = smtp_server.wait_for(1)
    assert received.message["Message-ID"] == f"<{rows(app)[0].message_id}>"


def test_logs_carry_ids_not_addresses(smtp_server, app_with) -> None:
    app = app_with(smtp_server)
    (number,) = register(app, complaint(1), complaint(2, sender="noreply@x.be"))[:1]
    with capture_logs() as logs:
        app.delivery.deliver_pending()
    events = {entry["event"]: entry for entry in logs}
    assert events["outbox.sent"]["case"] == number
    assert "outbox_id" in events["outbox.skipped"]
    assert SENDER not in repr(logs) and "noreply@x.be" not in repr(logs)


def test_case_register_sends_the_acknowledgement_at_once(
    smtp_server, make_config, sqlite_url, cli
) -> None:
    path = make_config(sqlite_url, smtp=smtp_section(smtp_server))
    result = cli(
        "--config", path, "case", "register",
        "--channel", "contact-form", "--received-at", utc_now().date().isoformat(),
        "--name", "Anna Peeters", "--email", SENDER, "--language", "fr",
        "--description", "Remboursement refusé",
    )  # fmt: skip
    assert result.code == 0, result.err
    number = result.out.splitlines()[0]
    (received,) = smtp_server.wait_for(1)
    assert received.message["Subject"] == (
        f"Accusé de réception de votre plainte [{number}]"
    )
    assert received.message["In-Reply-To"] is None


def test_a_second_acknowledgement_is_refused_by_the_database(
    smtp_server, app_with
) -> None:
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from store.models import OutboxMail
    from store.registration import case_by_number
    from store.registration_rows import acknowledgement_row

    app = app_with(smtp_server)
    (number,) = register(app, complaint(1))
    with pytest.raises(IntegrityError), app.transaction() as session:
        case = case_by_number(session, number)
        again = acknowledgement_row(
            app.rules, case.id, case.number, case.language, SENDER
        )
        session.execute(insert(OutboxMail.__table__), [again])
    assert len(rows(app, kind="acknowledgement")) == 1


def test_limit_counts_neither_skipped_nor_other_addresses(
    smtp_server, app_with
) -> None:
    # One batch decides all of these from one read: a skipped acknowledgement
    # earlier in the batch must not count towards the address's limit.
    app = app_with(smtp_server, responder={"per_address_limit": 2})
    register(
        app,
        complaint(1, flags=("sender_unverified",)),
        complaint(2, sender="bert@example.be"),
        complaint(3),
        complaint(4, sender=" Anna.Peeters@EXAMPLE.be"),
        complaint(5),
    )
    report = app.delivery.deliver_pending()
    assert (report.sent, report.skipped) == (3, 2)
    reasons = [r.skip_reason for r in rows(app, status="skipped")]
    assert reasons[0] == "sender not verified (DMARC failed)"
    assert reasons[1].startswith("per-address limit reached (2")


def test_the_answer_is_a_persons_mail_the_acknowledgement_is_not(
    smtp_server, app_with
) -> None:
    """Only acknowledgements, notices and reminders say they are automatic."""
    app = app_with(smtp_server)
    (number,) = register(app, complaint(1))
    app.delivery.deliver_pending()
    with app.transaction() as session:
        reply = Answer("founded", "Wij betalen het verschil terug.", "email")
        answer(session, app.rules, number, reply, actor="coordinator")
    app.delivery.deliver_pending()

    ack, answered = (m.message for m in smtp_server.wait_for(2))
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert number in answered["Subject"]
    assert answered["Auto-Submitted"] is None
    assert answered["X-Auto-Response-Suppress"] is None


@pytest.mark.parametrize(
    ("cases", "language", "promised", "not_promised"),
    [
        ({"day_kind": "business"}, "nl", "binnen 45 werkdagen", "45 dagen"),
        ({"answer_days": 30}, "nl", "binnen 30 dagen", "45"),
        ({"day_kind": "business"}, "fr", "les 45 jours ouvrables", "45 jours suivant"),
        ({"day_kind": "business"}, "de", "innerhalb von 45 Werktagen", "45 Tagen"),
        ({"answer_days": 30}, "en", "within 30 days", "45"),
    ],
)
def test_the_acknowledgement_promises_the_configured_terms(
    smtp_server, app_with, cases, language, promised, not_promised
) -> None:
    """The number and the kind of days come from [cases], like the date."""
    app = app_with(smtp_server, cases=cases)
    (number,) = register(app, complaint(1, language=language))
    app.delivery.deliver_pending()
    (received,) = smtp_server.wait_for(1)
    text = received.message.get_body(("plain",)).get_content()
    html = received.message.get_body(("html",)).get_content()
    assert promised in " ".join(text.split())
    assert promised in " ".join(html.split())
    assert not_promised not in text.replace(number, "")
