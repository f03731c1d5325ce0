"""The store on SQLite and PostgreSQL: numbers, registration, idempotence."""

from __future__ import annotations

import hashlib
import multiprocessing
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from store.db import make_engine, session_factory, transaction
from store.inbound import register_inbound, register_many
from store.member import Member
from store.migrate import current_revision, head_revision, require_current
from store.models import Case, Event, Message, OutboxMail
from store.registration import register_case
from store.registration_input import CaseRules, InboundRecord, NewCase
from store.registration_rows import acknowledgement_row

RULES = CaseRules()
BRUSSELS = ZoneInfo("Europe/Brussels")


def complaint(n: int, received: datetime | None = None, **kw) -> InboundRecord:
    raw = f"Message-ID: <m{n}@example.be>\r\n\r\nKlacht {n}\r\n".encode()
    received = received or datetime(2026, 5, 4, 10, 0, tzinfo=BRUSSELS)
    defaults = {
        "raw": raw,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "source": "test",
        "received_at": received,
        "klass": "complaint",
        "reason": "no other rule matched",
        "message_id": f"m{n}@example.be",
        "new_case": NewCase(
            channel="email",
            received_at=received,
            language="nl",
            member=Member(name="An Peeters", email="an@example.be"),
            subject=f"Klacht {n}",
        ),
        "acknowledge_to": "an@example.be",
    }
    defaults.update(kw)
    return InboundRecord(**defaults)


def test_schema_is_at_head(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
        require_current(engine)
    finally:
        engine.dispose()


def test_register_gives_number_dates_event_and_one_outbox_row(sessions) -> None:
    factory = sessions
    with transaction(factory) as session:
        result = register_inbound(session, RULES, complaint(1))
    assert result.outcome == "case"
    assert result.case_number == "KL-2026-00001"
    with transaction(factory) as session:
        case = session.scalars(select(Case)).one()
        assert case.ack_due == datetime(2026, 5, 14, 23, 59, 59, tzinfo=BRUSSELS)
        assert case.answer_due == datetime(2026, 6, 18, 23, 59, 59, tzinfo=BRUSSELS)
        assert case.received_at.tzinfo is not None
        assert [e.kind for e in session.scalars(select(Event))] == ["registered"]
        outbox = session.scalars(select(OutboxMail)).one()
        assert outbox.recipients == ["an@example.be"]
        assert outbox.in_reply_to == "<m1@example.be>"
        assert outbox.dedupe_key == f"ack:{case.number}"


def test_same_message_twice_is_one_case(sessions) -> None:
    factory = sessions
    with transaction(factory) as session:
        register_inbound(session, RULES, complaint(1))
    with transaction(factory) as session:
        again = register_inbound(session, RULES, complaint(1, uid=7))
    assert again.outcome == "duplicate"
    assert again.case_number == "KL-2026-00001"
    with transaction(factory) as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        assert session.scalar(select(func.count()).select_from(Message)) == 1


def test_second_acknowledgement_is_refused_by_the_database(sessions) -> None:
    factory = sessions
    with transaction(factory) as session:
        register_inbound(session, RULES, complaint(1))
    with pytest.raises(IntegrityError), transaction(factory) as session:
        case = session.scalars(select(Case)).one()
        again = acknowledgement_row(
            RULES, case.id, case.number, case.language, "an@example.be"
        )
        session.execute(insert(OutboxMail.__table__), [again])


def test_number_uses_year_of_local_received_date(sessions) -> None:
    factory = sessions
    # Received 31 Dec 23:30 UTC = 1 Jan 00:30 in Brussels: the new year's number.
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    letter = datetime(2026, 12, 28, 12, 0, tzinfo=BRUSSELS)
    with transaction(factory) as session:
        first = register_inbound(session, RULES, complaint(1, received=late))
        case = register_case(
            session,
            RULES,
            NewCase(channel="post", received_at=letter, language="nl"),
        )
        assert case.number == "KL-2026-00001"
    assert first.case_number == "KL-2027-00001"


def test_rollback_returns_the_number(sessions) -> None:
    factory = sessions
    with pytest.raises(RuntimeError), transaction(factory) as session:
        register_inbound(session, RULES, complaint(1))
        raise RuntimeError("crash before commit")
    with transaction(factory) as session:
        result = register_inbound(session, RULES, complaint(2))
    assert result.case_number == "KL-2026-00001"


def _register_many(url: str, start: int, count: int) -> None:
    engine = make_engine(url)
    factory = session_factory(engine)
    for n in range(start, start + count):
        with transaction(factory) as session:
            register_case(
                session,
                RULES,
                NewCase(
                    channel="post",
                    received_at=datetime(2026, 3, 1, 12, tzinfo=BRUSSELS),
                    language="nl",
                    subject=f"brief {n}",
                ),
            )
    engine.dispose()


def test_two_processes_register_gapless_distinct_numbers(
    db_url: str,
    sessions,
) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_register_many, args=(db_url, i * 1000, 200))
        for i in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
        assert worker.exitcode == 0
    with transaction(sessions) as session:
        seqs = sorted(session.scalars(select(Case.seq)))
        numbers = set(session.scalars(select(Case.number)))
    assert seqs == list(range(1, 401))
    assert len(numbers) == 400


def test_a_batch_is_numbered_in_order_and_repeats_are_duplicates(sessions) -> None:
    """register_many: consecutive numbers across two years, a repeated key
    and a repeated IMAP UID within the batch are duplicates of the first."""
    new_year = datetime(2027, 1, 1, 9, 0, tzinfo=BRUSSELS)
    records = [
        complaint(1, uid=1, mailbox="INBOX", uidvalidity=5),
        complaint(2, uid=2, mailbox="INBOX", uidvalidity=5, received=new_year),
        complaint(1, uid=3, mailbox="INBOX", uidvalidity=5),  # same Message-ID
        complaint(3, uid=2, mailbox="INBOX", uidvalidity=5),  # same UID as m2
        complaint(4, uid=4, mailbox="INBOX", uidvalidity=5),
    ]
    with transaction(sessions) as session:
        results = register_many(session, RULES, records)
    assert [(r.outcome, r.case_number) for r in results] == [
        ("case", "KL-2026-00001"),
        ("case", "KL-2027-00001"),
        ("duplicate", "KL-2026-00001"),
        ("duplicate", "KL-2027-00001"),
        ("case", "KL-2026-00002"),
    ]
    assert results[2].message_id == results[0].message_id
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 3
        kinds = [(e.case.number, e.kind) for e in session.scalars(select(Event))]
        assert kinds == [
            ("KL-2026-00001", "registered"),
            ("KL-2027-00001", "registered"),
            ("KL-2026-00002", "registered"),
        ]
        acks = sorted(m.dedupe_key for m in session.scalars(select(OutboxMail)))
        assert acks == ["ack:KL-2026-00001", "ack:KL-2026-00002", "ack:KL-2027-00001"]
    with transaction(sessions) as session:  # a second batch finds them stored
        again = register_many(session, RULES, records[:2])
    assert [r.outcome for r in again] == ["duplicate", "duplicate"]


def test_a_batch_keeps_attachments_fields_and_follow_ups(sessions) -> None:
    """The multi-row path stores what the one-message path stored: attachments
    on message and case, form fields with provenance, a follow-up's events."""
    from store.models import Attachment, FormFieldValue
    from store.registration_input import AttachmentRecord, EventRecord, FormFieldRecord

    with transaction(sessions) as session:
        register_inbound(session, RULES, complaint(1))
    pdf = AttachmentRecord("klacht.pdf", "application/pdf", b"%PDF-1.4", "ab" * 32)
    form = FormFieldRecord("member_number", "123", "pdf_form", "klacht.pdf")
    follow_up = complaint(
        3,
        klass="follow_up",
        new_case=None,
        follow_up_number="KL-2026-00001",
        acknowledge_to=None,
        events=(EventRecord("classified", {"reason": "reply"}),),
    )
    with transaction(sessions) as session:
        results = register_many(
            session,
            RULES,
            [complaint(2, attachments=(pdf,), form_fields=(form,)), follow_up],
        )
    assert [(r.outcome, r.case_number) for r in results] == [
        ("case", "KL-2026-00002"),
        ("follow_up", "KL-2026-00001"),
    ]
    with transaction(sessions) as session:
        attachment = session.scalars(select(Attachment)).one()
        assert (attachment.case.number, attachment.message.message_id) == (
            "KL-2026-00002",
            "m2@example.be",
        )
        assert attachment.data == b"%PDF-1.4"
        field = session.scalars(select(FormFieldValue)).one()
        assert (field.case.number, field.key, field.origin) == (
            "KL-2026-00002",
            "member_number",
            "klacht.pdf",
        )
        first = session.scalars(select(Case).where(Case.seq == 1)).one()
        assert [e.kind for e in first.events] == [
            "registered",
            "classified",
            "follow_up_received",
        ]
        assert len(first.messages) == 2


def _columns(row: object, skip: set[str]) -> dict[str, object]:
    table = type(row).__table__  # type: ignore[attr-defined]
    return {c.key: getattr(row, c.key) for c in table.columns if c.key not in skip}


def test_post_and_mail_take_one_write_path(sessions) -> None:
    """A letter and a mail with the same details give the same case and the
    same acknowledgement row: only the number, the channel and the mail's
    threading differ."""
    mail = complaint(1)
    assert mail.new_case is not None
    letter = replace(mail.new_case, channel="post")
    with transaction(sessions) as session:
        register_inbound(session, RULES, mail)
        register_case(session, RULES, letter, acknowledge_to="an@example.be")
    moving = {"id", "number", "seq", "channel", "created_at", "case_id"}
    with transaction(sessions) as session:
        by_mail, by_post = session.scalars(select(Case).order_by(Case.id)).all()
        assert by_post.number == "KL-2026-00002"
        assert _columns(by_mail, moving) == _columns(by_post, moving)
        acks = session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        threading = {"in_reply_to", "references", "message_id", "next_attempt_at"}
        skip = moving | threading | {"dedupe_key", "context"}
        assert _columns(acks[0], skip) == _columns(acks[1], skip)
        # A coordinator typed the letter's address: that one may be quoted; an
        # unverified mail's may not (responder/context.py).
        # The mail's acknowledgement names it by hash (reconcile reads it back
        # from a sent folder); a letter has no mail to name.
        sha = {"complaint_sha256": mail.sha256}
        assert (acks[0].context, acks[1].context) == (sha, {"recipient_verified": True})
        assert acks[1].dedupe_key == "ack:KL-2026-00002"
        assert (acks[1].in_reply_to, acks[1].references) == (None, None)
        kinds = [(e.case_id, e.kind, e.actor) for e in session.scalars(select(Event))]
        assert kinds == [
            (by_mail.id, "registered", "klachten"),
            (by_post.id, "registered", "klachten"),
        ]
