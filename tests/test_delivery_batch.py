"""One delivery batch end to end: what is sent, and what the store records."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from store.delivery_results import Sent, Skipped, record_batch
from store.models import OutboxMail
from store.outbox import claim_due
from store.registration import enqueue_mail
from tests.test_delivery import (
    COORDINATOR,
    case_and_events,
    complaint,
    events_of,
    register,
    rows,
    smtp_section,
)


@pytest.fixture
def app_on(make_config, app_for, db_url):
    def build(server, **sections: Any):
        return app_for(make_config(db_url, smtp=smtp_section(server), **sections))

    return build


def test_an_address_smtp_cannot_carry_fails_only_that_mail(smtp_server, app_on) -> None:
    # smtplib cannot put "zoë@..." in RCPT TO (no SMTPUTF8): the mail fails
    # for good instead of stopping every batch at the same row.
    app = app_on(smtp_server)
    register(app, complaint(1, sender="zoë@example.be"), complaint(2))
    report = app.delivery.deliver_pending()
    assert (report.sent, report.failed) == (2, 1)  # the ack, the notice
    got = {mail.rcpt_tos for mail in smtp_server.wait_for(2)}
    assert got == {("anna.peeters@example.be",), (COORDINATOR,)}
    acks = rows(app, kind="acknowledgement")
    assert [row.status for row in acks] == ["failed", "sent"]
    assert "ASCII" in (acks[0].last_error or "")


def test_a_claim_and_its_record_touch_rows_cases_and_events(smtp_server, app_on):
    app = app_on(smtp_server)
    first, second = register(app, complaint(1), complaint(2, sender="b@example.be"))
    with app.transaction() as session:
        enqueue_mail(
            session,
            app.rules,
            kind="digest",
            audience="coordinator",
            template="digest",
            language="nl",
            recipients=[COORDINATOR],
        )
        session.execute(update(OutboxMail).values(last_error="421 earlier attempt"))
    now = datetime.now(UTC)
    with app.transaction() as session:
        claimed = claim_due(
            session, worker="w1", now=now, lease=timedelta(minutes=5), limit=10
        )
    assert [mail.kind for mail in claimed] == ["acknowledgement"] * 2 + ["digest"]
    assert claimed[0].case is not None and claimed[0].case.number == first
    assert claimed[0].case.member.name == "Anna Peeters"
    assert claimed[2].case is None and claimed[2].recipients == (COORDINATOR,)
    assert {(r.status, r.claimed_by) for r in rows(app)} == {("sending", "w1")}

    ack, skipped, digest = claimed
    with app.transaction() as session:
        record_batch(
            session,
            [
                Sent(digest.id, "250 a"),
                Skipped(skipped.id, "limit"),
                Sent(ack.id, "250 b"),
            ],
            now=now,
        )
    found = {row.id: row for row in rows(app)}
    assert [found[m.id].status for m in claimed] == ["sent", "skipped", "sent"]
    assert found[ack.id].sent_at == now and found[ack.id].smtp_reply == "250 b"
    assert found[ack.id].last_error is None and found[skipped.id].skip_reason == "limit"
    assert all(row.claimed_until is None for row in found.values())

    case, kinds = case_and_events(app, first)
    assert case.status == "acknowledged" and case.acknowledged_at == now
    assert kinds == ["registered", "acknowledgement_sent"]
    (details,) = events_of(app, first, "acknowledgement_sent")
    assert details == {
        "outbox_id": ack.id,
        "message_id": ack.message_id,
        "smtp_reply": "250 b",
    }
    case, kinds = case_and_events(app, second)
    assert case.status == "registered" and "ack_not_sent" in case.flags
    assert kinds == ["registered", "acknowledgement_skipped"]
    assert events_of(app, second, "acknowledgement_skipped") == [
        {"outbox_id": skipped.id, "reason": "limit"}
    ]


def test_an_edited_override_template_counts_from_the_next_batch(
    smtp_server, app_on, tmp_path
) -> None:
    # Each batch looks its templates up once; Jinja sees the file changed.
    folder = tmp_path / "templates" / "member"
    folder.mkdir(parents=True)
    subject = folder / "acknowledgement.nl.subject.j2"
    subject.write_text("Eerste [{{ case.number }}]")
    app = app_on(smtp_server, responder={"templates_dir": str(folder.parent)})
    register(app, complaint(1))
    assert app.delivery.deliver_pending().sent == 1
    subject.write_text("Tweede [{{ case.number }}]")
    later = subject.stat().st_mtime + 10
    os.utime(subject, (later, later))
    register(app, complaint(2, sender="b@example.be"))
    assert app.delivery.deliver_pending().sent == 1
    got = [mail.data for mail in smtp_server.wait_for(2)]
    assert b"Subject: Eerste [KL-" in got[0] and b"Subject: Tweede [KL-" in got[1]
