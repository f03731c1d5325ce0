"""The daemon's parts without the process: stall alarm, job locks, outage log,
the key/value state and the signal flags. Real databases, real signals."""

from __future__ import annotations

import io
import json
import os
import signal
from datetime import timedelta

import pytest

from mailconn.outage import Outages
from responder.stall_alarm import check_stall
from service.log_setup import configure_logging
from service.signals import Signals, installed
from store.accounts import add_account
from store.db import make_engine, session_factory, transaction
from store.models import MailboxState, OutboxMail, utcnow
from store.service_state import get_state, job_lock, put_state


def _outbox(app) -> list[OutboxMail]:
    from sqlalchemy import select

    with app.transaction() as session:
        return list(session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def _last_success(app, when) -> None:
    with app.transaction() as session:
        state = session.query(MailboxState).first()
        if state is None:
            state = MailboxState(source="imap://x@h:993/INBOX", last_uid=0)
            session.add(state)
        state.last_success_at = when
        state.last_error = "OSError: connection refused"


def test_stall_alarm_mails_once_per_outage(db_url, make_config, app_for) -> None:
    config = make_config(
        db_url,
        service={
            "stall_alarm_minutes": 30,
            "operators": ["ops@libmutov.be", "jan.peeters@libmutov.be"],
        },
    )
    app = app_for(config)
    with app.transaction() as session:
        add_account(session, "Ops@libmutov.be", "Team Beheer", "viewer", None, "t")
    now = utcnow()
    _last_success(app, now - timedelta(minutes=10))
    assert not check_stall(app, now, now - timedelta(hours=1)).stalled
    assert _outbox(app) == []

    _last_success(app, now - timedelta(minutes=45))
    first = check_stall(app, now, now - timedelta(hours=1))
    again = check_stall(app, now + timedelta(minutes=5), now - timedelta(hours=1))
    assert (first.stalled, first.queued) == (True, True)
    assert (again.stalled, again.queued) == (True, False)
    mails = _outbox(app)
    assert len(mails) == 1
    assert mails[0].template == "stall_alarm" and mails[0].audience == "operator"
    assert mails[0].recipients == ["ops@libmutov.be", "jan.peeters@libmutov.be"]
    # Greeted by name: the account's, else one made from the address.
    assert mails[0].context["recipients"] == ["Team Beheer", "Jan Peeters"]
    assert mails[0].context["last_error"] == "OSError: connection refused"
    with app.transaction() as session:
        assert get_state(session, "stall_alarm")["active"] is True

    # Recovery ends the alarm; the next outage mails again.
    _last_success(app, now)
    assert not check_stall(app, now, now).stalled
    with app.transaction() as session:
        assert get_state(session, "stall_alarm")["active"] is False
    _last_success(app, now - timedelta(minutes=31))
    assert check_stall(app, now, now).queued
    assert len(_outbox(app)) == 2


def test_stall_alarm_without_any_success_counts_from_start(
    sqlite_url, make_config, app_for
) -> None:
    app = app_for(make_config(sqlite_url))
    now = utcnow()
    assert not check_stall(app, now, now - timedelta(minutes=29)).stalled
    result = check_stall(app, now, now - timedelta(minutes=30))
    assert result.queued and result.dedupe_key.startswith("stall:start:")
    assert _outbox(app)[0].recipients == ["klachtencoordinator@libmutov.be"]


def test_job_lock_is_held_by_one_holder_at_a_time(db_url) -> None:
    first, second = make_engine(db_url), make_engine(db_url)
    try:
        with job_lock(first, "outbox", "a") as held_a:
            assert held_a
            with job_lock(second, "outbox", "b") as held_b:
                assert not held_b
            with job_lock(second, "reminders", "b") as other:
                assert other  # another job's lock is free
        with job_lock(second, "outbox", "b") as held_b:
            assert held_b  # released when the first holder finished
    finally:
        first.dispose()
        second.dispose()


def test_expired_lease_is_taken_over(sqlite_url) -> None:
    engine = make_engine(sqlite_url)
    factory = session_factory(engine)
    with transaction(factory) as session:
        stale = (utcnow() - timedelta(seconds=1)).isoformat()
        put_state(session, "lease:outbox", {"holder": "dead:1", "until": stale})
    with job_lock(engine, "outbox", "b") as held:
        assert held
    engine.dispose()


def test_put_state_replaces_the_value(db_url) -> None:
    engine = make_engine(db_url)
    factory = session_factory(engine)
    with transaction(factory) as session:
        put_state(session, "scheduler", {"next_runs": {"outbox": "a"}})
        put_state(session, "scheduler", {"next_runs": {"outbox": "b"}})
    with transaction(factory) as session:
        assert get_state(session, "scheduler") == {"next_runs": {"outbox": "b"}}
        assert get_state(session, "missing") is None
    engine.dispose()


def test_one_warning_per_outage() -> None:
    stream = io.StringIO()
    configure_logging(level="DEBUG", json=True, stream=stream)
    outages = Outages()
    assert outages.failed("imap", ConnectionRefusedError("refused"), 1.0)
    for _ in range(5):
        assert not outages.failed("imap", ConnectionRefusedError("refused"), 2.0)
    assert outages.down() == ["imap"]
    assert outages.succeeded("imap")
    assert not outages.succeeded("imap")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    warnings = [line["event"] for line in lines if line["level"] == "warning"]
    assert warnings == ["imap.unavailable"]
    recovered = [line for line in lines if line["event"] == "imap.recovered"]
    assert len(recovered) == 1 and recovered[0]["failures"] == 6


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_stop_signals_set_the_flag(number) -> None:
    signals = Signals()
    with installed(signals):
        os.kill(os.getpid(), number)
        assert signals.wait(2)
    assert signals.stopping and signals.stop_signal == number.name
    assert signal.getsignal(number) is not signals._on_stop  # restored


def test_sighup_asks_for_one_reload() -> None:
    signals = Signals()
    with installed(signals):
        os.kill(os.getpid(), signal.SIGHUP)
        signals.wait(0.1)
        assert signals.take_reload()
        assert not signals.take_reload()
    assert not signals.stopping


def test_lease_of_a_dead_local_daemon_is_taken_over(sqlite_url) -> None:
    import socket
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a pid that is gone
    engine = make_engine(sqlite_url)
    factory = session_factory(engine)
    until = (utcnow() + timedelta(minutes=10)).isoformat()
    with transaction(factory) as session:
        dead = f"{socket.gethostname()}:{child.pid}"
        put_state(session, "lease:outbox", {"holder": dead, "until": until})
        alive = f"{socket.gethostname()}:{os.getpid()}"
        put_state(session, "lease:digest", {"holder": alive, "until": until})
    with job_lock(engine, "outbox", "b") as held:
        assert held
    with job_lock(engine, "digest", "b") as held:
        assert not held
    engine.dispose()


def test_the_daily_retention_job_purges(db_url, make_config, app_for) -> None:
    """The scheduler holds the retention job; run as the scheduler runs it
    (guarded: job lock), it erases a case closed beyond retention_years."""
    from service.daemon_jobs import Daemon, build_scheduler, guarded, retention
    from service.metrics import Metrics
    from service.notify import Notifier
    from store.lifecycle import close
    from tests.casefactory import mail_case

    app = app_for(make_config(db_url, privacy={"retention_years": 2}))
    now = utcnow()
    old = mail_case(app.sessions, 1, received=now - timedelta(days=1000))
    kept = mail_case(app.sessions, 2, received=now - timedelta(days=1000))
    with app.transaction() as session:
        close(session, old, "els", now=now - timedelta(days=800))
        close(session, kept, "els", now=now - timedelta(days=600))
    daemon = Daemon(app, Signals(), Notifier(), Metrics())
    job = build_scheduler(daemon).get_job("retention")
    assert (str(job.trigger.fields[5]), str(job.trigger.fields[6])) == ("3", "30")
    guarded(daemon, "retention", retention)()
    from store.registration import case_by_number

    with app.transaction() as session:
        assert case_by_number(session, old).member_email is None
        assert case_by_number(session, kept).member_email == "member2@example.be"
