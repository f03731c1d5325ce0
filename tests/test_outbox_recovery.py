"""Outbox rows of a dead worker are taken back at once; `run --once` counts
what it leaves unsent. Real processes, a real SMTP server, both engines."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from service.runner import RunSummary
from store.holders import is_gone, process_holder
from store.outbox import claim_due, mark_retry
from store.outbox_recovery import MAX_CLAIM, due_now, take_back_orphans
from tests.test_delivery import complaint, register, rows, smtp_section, utc_now

LEASE = timedelta(minutes=15)


@pytest.fixture
def app_with(make_config, app_for, db_url):
    """An App on `db_url` whose [smtp] is the given test server."""
    return lambda server: app_for(make_config(db_url, smtp=smtp_section(server)))


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    """A process that sleeps until killed."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait(10)


def test_this_process_is_not_gone() -> None:
    holder = process_holder()
    assert holder.startswith(f"{socket.gethostname()}:{os.getpid()}:")
    assert not is_gone(holder)


def test_a_killed_process_is_gone_before_and_after_it_is_reaped(child) -> None:
    holder = process_holder(child.pid)
    assert not is_gone(holder)
    child.kill()
    try:
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # a zombie now
        assert is_gone(holder)
    finally:
        child.wait(10)
    assert is_gone(holder)
    assert is_gone(f"{holder}:a1b2c3d4")  # an outbox worker's claim


def test_a_reused_process_id_is_not_the_holder() -> None:
    # Same host and pid, another start time: the original process is gone.
    assert is_gone(f"{socket.gethostname()}:{os.getpid()}:1:a1b2c3d4")


@pytest.mark.parametrize(
    "holder",
    ["elsewhere.invalid:1:1:a1b2c3d4", "", "junk", f"{socket.gethostname()}:x:1"],
)
def test_other_hosts_and_junk_are_never_judged_gone(holder: str) -> None:
    assert not is_gone(holder)


def test_rows_of_a_dead_worker_go_out_at_once(smtp_server, app_with, child) -> None:
    """No waiting for the lease: the next delivery takes the rows back."""
    app = app_with(smtp_server)
    register(app, *(complaint(n, sender=f"lid{n}@example.be") for n in range(3)))
    start = utc_now()
    dead = f"{process_holder(child.pid)}:a1b2c3d4"
    live = f"{process_holder()}:e5f6a7b8"
    with app.transaction() as session:
        claim_due(session, worker=dead, now=start, lease=LEASE, limit=2)
        claim_due(session, worker=live, now=start, lease=LEASE, limit=1)
    child.kill()
    child.wait(10)
    with capture_logs() as logs:
        report = app.delivery.deliver_pending(now=start + timedelta(seconds=1))
    assert report.sent == 2
    assert len(smtp_server.wait_for(2)) == 2
    assert {"event": "outbox.taken_back", "rows": 2, "log_level": "warning"} in logs
    by_status = sorted((r.status, r.claimed_by == live) for r in rows(app))
    assert by_status == [("sending", True), ("sent", False), ("sent", False)]


def test_take_back_leaves_live_and_remote_claims(app_with, smtp_server) -> None:
    app = app_with(smtp_server)
    register(app, *(complaint(n, sender=f"lid{n}@example.be") for n in range(2)))
    start = utc_now()
    with app.transaction() as session:
        claim_due(session, worker=process_holder(), now=start, lease=LEASE, limit=1)
        claim_due(
            session, worker="elsewhere.invalid:7:7:ab", now=start, lease=LEASE, limit=1
        )
    with app.transaction() as session:
        assert take_back_orphans(session) == 0
        assert due_now(session, start) == 0
    assert {r.status for r in rows(app)} == {"sending"}


def test_due_now_counts_what_could_go_now(app_with, smtp_server) -> None:
    """Pending and due, or claimed with an ended lease: counted. Waiting for
    a retry time, or claimed by a live worker: not counted."""
    app = app_with(smtp_server)
    register(app, *(complaint(n, sender=f"lid{n}@example.be") for n in range(4)))
    start = utc_now()
    ids = [r.id for r in rows(app)]
    with app.transaction() as session:
        mark_retry(session, ids[0], error="451", next_attempt_at=start + LEASE)
        claim_due(
            session,
            worker="elsewhere.invalid:1:1:x",
            now=start,
            lease=timedelta(minutes=-1),
            limit=1,
        )  # lease already over
        claim_due(session, worker=process_holder(), now=start, lease=LEASE, limit=1)
    with app.transaction() as session:
        assert due_now(session, start) == 2  # one pending, one lease over
        assert due_now(session, start + 2 * LEASE) == 4


def test_a_claim_takes_at_most_max_claim_rows(app_with, smtp_server) -> None:
    app = app_with(smtp_server)
    count = MAX_CLAIM + 5
    register(app, *(complaint(n, sender=f"lid{n}@example.be") for n in range(count)))
    with app.transaction() as session:
        claimed = claim_due(session, worker="w", now=utc_now(), lease=LEASE, limit=99)
    assert len(claimed) == MAX_CLAIM


def test_run_summary_fails_with_the_count_of_unsent_mail() -> None:
    summary = RunSummary(outbox="0 sent", unsent=3)
    assert not summary.ok
    assert "UNSENT: 3 mail(s) due now" in summary.line()
    assert RunSummary(outbox="3 sent").ok
