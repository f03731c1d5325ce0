"""The daemon recovers by itself from outages during a 100-complaint backlog.

Dovecot stopped and started in the middle of intake, the SMTP server refusing
every mail with 421 for a while, PostgreSQL dropping the daemon's connections
(pg_terminate_backend) again and again: afterwards every complaint is one
case, acknowledged once, marked on the server, and the daemon exits cleanly
on SIGTERM. Recovery times are printed (pytest -s).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.daemonproc import DaemonProcess
from tests.faults import (
    assert_exactly_once,
    backlog,
    fault_config,
    seeded,
    start_daemon,
    store_counts,
    terminate_backends,
    unsent,
    wait_for_acks,
    wait_for_sent,
)

pytestmark = pytest.mark.slow
BACKLOG = 100
# Time for a second acknowledgement of a case to show up, if there were one.
SETTLE = 2.0
LONG_BODY = "Ik wacht nog altijd op de terugbetaling van mijn bril.\n" * 1_800


@pytest.fixture
def daemon_for(tmp_path: Path, imap, smtp_server) -> Iterator[Callable]:
    """daemon_for(db_url) -> a started `klachten run`; killed after the test."""
    started: list[DaemonProcess] = []

    def start(db_url: str) -> DaemonProcess:
        config = fault_config(tmp_path / "klachten.toml", db_url, imap, smtp_server)
        daemon = start_daemon(config, tmp_path / f"daemon-{len(started)}.log")
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.kill()


def _stamp(event: dict) -> float:
    return datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).timestamp()


def _first_after(daemon: DaemonProcess, name: str, moment: float) -> float:
    """Seconds from `moment` (time.time()) to the first `name` event after it."""
    stamps = [_stamp(e) for e in daemon.named(name) if _stamp(e) >= moment]
    assert stamps, f"no {name} after the fault:\n{daemon.tail()}"
    return min(stamps) - moment


def _finish(
    daemon: DaemonProcess, db_url: str, imap, smtp_server, ids, *, resends: bool
) -> None:
    """Stop the daemon and check the outcome.

    `resends`: whether the fault can hit the at-least-once window (the
    store failing between the SMTP server's 250 and the commit of "sent").
    """
    time.sleep(SETTLE)
    code, _seconds = daemon.stop()
    assert code == 0, daemon.tail()
    acks = assert_exactly_once(db_url, imap, smtp_server, ids)
    print(f"  SMTP duplicates with the same Message-ID: {acks.duplicates}")
    if not resends:
        assert acks.duplicates == 0


def test_dovecot_stopped_and_started_during_intake(
    imap, smtp_server, sqlite_url: str, daemon_for
) -> None:
    # ~10 MB of mail: more than one FETCH (8 MB), so intake needs the server
    # again in the middle of the backlog.
    ids = backlog(imap, BACKLOG, body=LONG_BODY)
    daemon = daemon_for(sqlite_url)
    daemon.wait_for_event("intake.case_opened", timeout=20)
    outages = []
    for cycle in (1, 2):
        imap.stop()
        cases = store_counts(sqlite_url)["cases"]
        time.sleep(3)  # reconnects fail meanwhile (backoff cap 2 s)
        imap.start()
        back = time.time()
        daemon.wait_for_event("imap.recovered", timeout=20, count=cycle)
        outages.append((cases, _first_after(daemon, "imap.connected", back)))
    total = wait_for_acks(smtp_server, BACKLOG, timeout=60)
    for cycle, (cases, seconds) in enumerate(outages, 1):
        print(
            f"\n  Dovecot stop {cycle} at {cases} cases; "
            f"reconnected {seconds:.2f} s after it was back"
        )
    print(f"  all {BACKLOG} acknowledged {total:.1f} s after the last restart")
    passes = [e["summary"] for e in daemon.named("intake.pass_counted")]
    print(f"  intake passes: {passes}")
    warnings = [
        e["event"]
        for e in daemon.events()
        # APScheduler warns when a 1 s outbox run is still busy: not an outage.
        if e["level"] == "warning" and not e["logger"].startswith("apscheduler")
    ]
    assert warnings == ["imap.unavailable", "imap.unavailable"], warnings
    _finish(daemon, sqlite_url, imap, smtp_server, ids, resends=False)


def test_smtp_refusing_with_421_then_accepting(
    imap, smtp_server, sqlite_url: str, daemon_for
) -> None:
    ids = backlog(imap, BACKLOG)
    smtp_server.fail_next(1_000_000, 421)
    daemon = daemon_for(sqlite_url)
    refused_from = time.monotonic()
    # Refuse until every acknowledgement was refused at least twice.
    daemon.wait_for_event("outbox.retry", timeout=60, count=2 * BACKLOG)
    assert smtp_server.received == []
    counts = store_counts(sqlite_url)
    smtp_server.clear_failures()
    refused = time.monotonic() - refused_from
    total = wait_for_acks(smtp_server, BACKLOG, timeout=60)
    retries = len(daemon.named("outbox.retry"))
    print(
        f"\n  421 for {refused:.1f} s ({retries} refusals, outbox then {counts}); "
        f"all {BACKLOG} acknowledged {total:.1f} s after the server accepted again"
    )
    _finish(daemon, sqlite_url, imap, smtp_server, ids, resends=False)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_connections_terminated_during_backlog(
    imap, smtp_server, db_url: str, daemon_for
) -> None:
    rng = seeded("pg_terminate_backend during a backlog")
    ids = backlog(imap, BACKLOG)
    daemon = daemon_for(db_url)
    daemon.wait_for_event("intake.case_opened", timeout=20)
    ended = []
    for _ in range(4):
        ended.append((store_counts(db_url)["cases"], terminate_backends(db_url)))
        time.sleep(rng.uniform(0.2, 1.0))
    last = time.time()
    try:
        total = wait_for_acks(smtp_server, BACKLOG, timeout=30)
    except TimeoutError as exc:
        detail = f"{store_counts(db_url)}; not sent: {unsent(db_url)[:5]}"
        raise TimeoutError(f"{exc}; {detail}") from None
    wait_for_sent(db_url, BACKLOG, timeout=10)
    print(f"\n  (cases, backends ended) at each pg_terminate_backend: {ended}")
    print(f"  all {BACKLOG} acknowledged {total:.1f} s after the last termination")
    recovered = [e for e in daemon.named("store.recovered") if _stamp(e) >= last]
    if recovered:
        print(f"  store.recovered {_stamp(recovered[0]) - last:.2f} s after it")
    assert sum(n for _cases, n in ended) >= 4, ended
    _finish(daemon, db_url, imap, smtp_server, ids, resends=True)
