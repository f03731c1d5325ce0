"""kill -9 of the running service, eight times during a 400-complaint backlog.

Each round starts `klachten run`, waits until it has started, lets it work
for a random 0.05-1.5 s (seeded, printed) and kills it with SIGKILL: in the
middle of fetching, of a registration, of an SMTP conversation, of a mark on
the server. Every second round waits until acknowledgements are claimed
first and kills within 0.3 s, so some kills land while rows are "sending".
After eight rounds one clean `run --once` finishes the work and the store,
the SMTP server and the mailbox must agree: 400 cases, 400 acknowledgements
(one distinct Message-ID each), 400 marked messages.

Rows a killed worker had claimed stay "sending", claimed by a process that
is gone; the next process on the same host takes them back at once
(store/outbox_recovery.py), so nothing waits for the outbox lease and no
clock is moved: the one `run --once` sends them and exits 0.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.faults import (
    assert_exactly_once,
    backlog,
    fault_config,
    run_once,
    seeded,
    sending,
    start_daemon,
    store_counts,
    wait_for_acks,
    worker_of,
)
from tests.servers import wait_until

pytestmark = pytest.mark.slow
COMPLAINTS = 400
ROUNDS = 8
TWO_DAEMONS_BACKLOG = 100


def test_kill_9_eight_times_then_one_clean_run(
    imap, smtp_server, db_url: str, tmp_path: Path
) -> None:
    rng = seeded("kill -9 during a backlog")
    ids = backlog(imap, COMPLAINTS)
    config = fault_config(tmp_path / "klachten.toml", db_url, imap, smtp_server)
    began = time.monotonic()
    for round_ in range(ROUNDS):
        daemon = start_daemon(config, tmp_path / f"run-{round_}.log")
        if round_ % 2:  # in the middle of sending: rows are claimed
            _wait_for_sending(db_url)
            delay = rng.uniform(0.0, 0.3)
        else:  # anywhere: fetching, registering, marking, sending
            delay = rng.uniform(0.05, 1.5)
        time.sleep(delay)
        daemon.kill()
        counts = store_counts(db_url)
        print(
            f"  kill {round_ + 1} after {delay:.2f} s: {counts['cases']} cases, "
            f"{counts.get('ack_sent', 0)} acks marked sent, "
            f"{counts.get('ack_sending', 0)} sending, "
            f"{len(smtp_server.received)} mails at the server"
        )
    stuck = sending(db_url)
    # The last kill came while mail was being sent: its claims are left.
    assert stuck or store_counts(db_url).get("ack_sent") == COMPLAINTS
    started = time.monotonic()
    result = run_once(config)
    seconds = time.monotonic() - started
    print(f"  eight rounds took {started - began:.1f} s")
    print(f"  clean run --once ({seconds:.1f} s): {result.stdout.strip()}")
    print(f"  rows left 'sending' by killed workers, taken back at once: {stuck}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert sending(db_url) == 0  # run --once leaves nothing claimed
    acks = assert_exactly_once(db_url, imap, smtp_server, ids)
    print(
        f"  SMTP: {sum(acks.raw.values())} acknowledgements for {len(acks.cases)} "
        f"cases; {acks.duplicates} resent with the same Message-ID"
    )


def _wait_for_sending(url: str) -> None:
    """Until some acknowledgement is claimed, or all are sent."""
    wait_until(
        lambda: sending(url) > 0 or store_counts(url).get("ack_sent", 0) == COMPLAINTS,
        120,
        "a delivery in progress",
    )


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_daemons_on_postgres_one_killed_at_random(
    imap, smtp_server, db_url: str, tmp_path: Path
) -> None:
    rng = seeded("two daemons, one killed")
    ids = backlog(imap, TWO_DAEMONS_BACKLOG)
    config = fault_config(tmp_path / "klachten.toml", db_url, imap, smtp_server)
    daemons = [start_daemon(config, tmp_path / f"daemon-{n}.log") for n in (0, 1)]
    try:
        victim = rng.choice(daemons)
        survivor = daemons[1 - daemons.index(victim)]
        delay = rng.uniform(0.05, 1.5)
        time.sleep(delay)
        victim.kill()
        at_kill = store_counts(db_url)
        worker = worker_of(victim.process.pid)
        stuck = sending(db_url, worker)
        # The survivor takes over at once, the victim's claimed rows as well
        # (the same host: the victim's process is gone), with no lease ended.
        wait_for_acks(smtp_server, TWO_DAEMONS_BACKLOG, timeout=90)
        wait_until(
            lambda: store_counts(db_url).get("ack_sent") == TWO_DAEMONS_BACKLOG,
            10,
            "acks marked sent",
        )
        time.sleep(2)  # room for a second acknowledgement to show up
        assert survivor.stop()[0] == 0, survivor.tail()
    finally:
        for daemon in daemons:
            daemon.kill()
    acks = assert_exactly_once(db_url, imap, smtp_server, ids)
    print(
        f"  killed daemon {daemons.index(victim)} after {delay:.2f} s at {at_kill}; "
        f"its claimed rows, taken back by the survivor: {stuck}; "
        f"{acks.duplicates} resent with the same Message-ID"
    )
