"""`klachten status`: the JSON keys, the attention rules and the exit code.

Run in-process against real databases (SQLite and PostgreSQL); the store is
filled through the store's own functions and models, as the daemon would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store.db import make_engine, session_factory, transaction
from store.models import MailboxState, Message, utcnow
from store.registration import enqueue_mail, register_case
from store.registration_input import CaseRules, NewCase

TOP_KEYS = {
    "checked_at",
    "schema",
    "mailbox",
    "mailboxes",
    "quarantined",
    "outbox",
    "cases",
    "next_runs",
    "stall_alarm",
    "daemon",
    "attention",
    "backlog",
    "healthy",
    "encryption",
}


def _fill(db_url: str, *work) -> None:
    engine = make_engine(db_url)
    with transaction(session_factory(engine)) as session:
        for step in work:
            step(session)
    engine.dispose()


def checked(minutes_ago: float, waiting: int = 0):
    def step(session) -> None:
        session.add(
            MailboxState(
                source="imap://klachten@host:993/INBOX",
                last_uid=0,
                last_success_at=utcnow() - timedelta(minutes=minutes_ago),
                waiting=waiting,
            )
        )

    return step


def case(received: datetime):
    def step(session) -> None:
        new = NewCase(channel="post", received_at=received, language="nl")
        register_case(session, CaseRules(), new)

    return step


def outbox_row(status: str):
    def step(session) -> None:
        mail = enqueue_mail(
            session,
            CaseRules(),
            kind="digest",
            audience="coordinator",
            template="digest",
            language="nl",
            recipients=["c@libmutov.be"],
        )
        mail.status = status

    return step


def quarantined(session) -> None:
    session.add(
        Message(
            dedupe_key="sha256:x",
            sha256="x",
            source="imap",
            received_at=utcnow(),
            klass="quarantined",
            reason="parse failed",
            size=3,
            raw=b"abc",
        )
    )


def test_healthy_store_exits_0_with_every_key(db_url, make_config, cli) -> None:
    _fill(db_url, checked(1, waiting=2), case(utcnow()), outbox_row("pending"))
    result = cli("--config", make_config(db_url), "status", "--format", "json")
    assert result.code == 0, result.out + result.err
    report = result.json()
    assert set(report) == TOP_KEYS
    assert report["healthy"] is True and report["attention"] == []
    assert report["schema"]["up_to_date"] is True
    assert report["mailbox"]["waiting"] == 2
    assert report["mailbox"]["stalled"] is False
    assert report["mailbox"]["last_success_at"] is not None
    assert report["outbox"] == {"pending": 1, "failed": 0, "held": 0}
    assert report["cases"] == {"open": 1, "overdue": 0, "today": 1}
    assert report["quarantined"] == 0


@pytest.mark.parametrize(
    ("steps", "rule"),
    [
        ((checked(31),), "stall"),
        ((), "stall"),  # never checked at all
        ((checked(1), outbox_row("failed")), "outbox_failed"),
        ((checked(1), quarantined), "quarantined"),
    ],
)
def test_attention_exits_1_naming_the_rule(
    steps, rule, sqlite_url, make_config, cli
) -> None:
    _fill(sqlite_url, *steps)
    result = cli("--config", make_config(sqlite_url), "status", "--format", "json")
    assert result.code == 1
    reasons = result.json()["attention"]
    assert [r.split(":")[0] for r in reasons] == [rule]
    assert result.json()["healthy"] is False


def test_overdue_cases_are_backlog_shown_and_fail_only_when_strict(
    sqlite_url, make_config, cli
) -> None:
    """Lateness is the coordinators' business: monitoring pages no operator."""
    _fill(sqlite_url, checked(1), case(datetime(2020, 1, 6, tzinfo=UTC)))
    config = make_config(sqlite_url)
    result = cli("--config", config, "status", "--format", "json")
    assert result.code == 0, result.out + result.err
    report = result.json()
    assert report["healthy"] is True and report["attention"] == []
    assert report["backlog"] == ["overdue: 1 open case(s) overdue"]
    text = cli("--config", config, "status")
    assert text.code == 0
    assert text.out.startswith("klachten status: OK")
    assert "backlog: overdue: 1 open case(s) overdue" in text.out
    assert cli("--config", config, "status", "--strict").code == 1


def test_strict_is_quiet_without_a_backlog(sqlite_url, make_config, cli) -> None:
    _fill(sqlite_url, checked(1), case(utcnow()))
    assert cli("--config", make_config(sqlite_url), "status", "--strict").code == 0


def test_outdated_schema_is_reported_not_crashed_on(tmp_path, make_config, cli) -> None:
    (tmp_path / "empty.db").touch()  # a store file without tables
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = cli("--config", make_config(url), "status", "--format", "json")
    assert result.code == 1
    report = result.json()
    assert report["schema"]["current"] is None
    assert report["attention"][0].startswith("schema:")
    assert "mailbox" not in report


def test_text_format_lists_the_reasons(sqlite_url, make_config, cli) -> None:
    _fill(sqlite_url, checked(1), outbox_row("failed"))
    result = cli("--config", make_config(sqlite_url), "status")
    assert result.code == 1
    assert result.out.startswith("klachten status: ATTENTION (1)")
    assert "outbox_failed: 1 mail(s) failed" in result.out
    assert "0 pending, 1 failed" in result.out


def test_stall_threshold_comes_from_the_config(sqlite_url, make_config, cli) -> None:
    _fill(sqlite_url, checked(10))
    config = make_config(sqlite_url, service={"stall_alarm_minutes": 5})
    result = cli("--config", config, "status")
    assert result.code == 1 and "stall: no successful mailbox check" in result.out
    config = make_config(sqlite_url, service={"stall_alarm_minutes": 15})
    assert cli("--config", config, "status").code == 0


def test_outbox_counts_ignore_sent_mail(sqlite_url, make_config, cli) -> None:
    _fill(sqlite_url, checked(1), outbox_row("sent"), outbox_row("sending"))
    report = cli("--config", make_config(sqlite_url), "status", "--format", "json")
    # "sending" is claimed but not yet sent: still waiting.
    assert report.json()["outbox"] == {"pending": 1, "failed": 0, "held": 0}
