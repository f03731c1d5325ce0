"""`run --once` on a large backlog: a second process delivers alongside intake,
and still every complaint is acknowledged exactly once."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.intake_mail import complaint, imap_sections

N = 260  # above the backlog at which the delivery process starts


@pytest.mark.slow
def test_backlog_is_acknowledged_once_with_delivery_alongside(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    imap.append_many(
        [complaint(sender=f"lid{i}@example.be", body=f"Klacht {i}") for i in range(N)]
    )
    config = make_config(
        db_url,
        imap=imap_sections(imap),
        smtp={"host": smtp_server.host, "port": smtp_server.port},
    )
    result = cli("--config", config, "run", "--once")
    assert result.code == 0, result.err
    assert f"outbox: {N} sent" in result.out
    assert "outbox.delivery_alongside" in result.err  # the process did start
    received = smtp_server.wait_for(N, timeout=30)
    per_case = Counter(r.message["X-Klachten-Case"] for r in received)
    assert len(per_case) == N and set(per_case.values()) == {1}
