"""One delivery batch end to end: what is sent, and what the store records."""

from __future__ import annotations

from typing import Any

import pytest

from service.delivery import deliver_pending
from tests.test_delivery import COORDINATOR, complaint, register, rows, smtp_section


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
    report = deliver_pending(app)
    assert (report.sent, report.failed) == (2, 1)  # the ack, the notice
    got = {mail.rcpt_tos for mail in smtp_server.wait_for(2)}
    assert got == {("anna.peeters@example.be",), (COORDINATOR,)}
    acks = rows(app, kind="acknowledgement")
    assert [row.status for row in acks] == ["failed", "sent"]
    assert "ASCII" in (acks[0].last_error or "")
