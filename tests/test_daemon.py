"""`klachten run` as a real process against real Dovecot and SMTP servers.

Short timings come from the config (1 s outbox runs, a 2 s backoff cap), so
each test takes seconds. Latencies measured here are printed (pytest -s).
"""

from __future__ import annotations

import itertools
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from store.db import make_engine, session_factory, transaction
from store.models import Case, Message, OutboxMail
from tests.conftest import base_sections, write_config
from tests.daemonproc import DaemonProcess, NotifyListener, complaint, daemon_sections
from tests.servers import wait_until

Start = Callable[..., DaemonProcess]


@pytest.fixture
def daemon_config(tmp_path: Path, imap, smtp_server) -> Callable[..., Path]:
    """daemon_config(db_url, **sections) -> a config for the test servers."""

    def build(db: str, **extra: dict[str, Any]) -> Path:
        sections = base_sections(db)
        for name, values in {**daemon_sections(imap, smtp_server), **extra}.items():
            sections.setdefault(name, {}).update(values)
        return write_config(tmp_path / "daemon.toml", sections)

    return build


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    """Start daemons; any still running at the end are killed."""
    started: list[DaemonProcess] = []

    def run(config: Path, env: dict[str, str] | None = None) -> DaemonProcess:
        log = tmp_path / f"daemon-{len(started)}.log"
        process = DaemonProcess(config, log, env)
        started.append(process)
        return process

    yield run
    for process in started:
        process.kill()


def _count(db_url: str, *columns_and_conditions: Any) -> int:
    engine = make_engine(db_url)
    column, *conditions = columns_and_conditions
    with transaction(session_factory(engine)) as session:
        found = session.scalar(select(func.count(column)).where(*conditions))
    engine.dispose()
    return int(found or 0)


def _ready(process: DaemonProcess) -> None:
    # Start-up speed is the startup benchmark's business; a loaded CI machine
    # (two daemons importing at once on two cores) may need half a minute.
    process.wait_for_event("service.ready", timeout=45)
    # The first pass is done, so the loop now waits in IDLE.
    process.wait_for_event("intake.pass_done", timeout=20)
    time.sleep(0.3)


def test_complaint_appended_during_idle_is_acknowledged_in_seconds(
    imap, smtp_server, sqlite_url, daemon_config, start, cli
) -> None:
    daemon = start(daemon_config(sqlite_url))
    _ready(daemon)
    appended = time.monotonic()
    uid = imap.append(complaint())
    received = smtp_server.wait_for(1, timeout=10)
    latency = time.monotonic() - appended
    print(f"\nIDLE -> acknowledgement at the SMTP server: {latency:.2f} s")
    assert latency < 5
    assert received[0].rcpt_tos == ("jan.peeters@example.be",)
    wait_until(
        lambda: "$Klachten" in imap.fetch_flags()[uid], 5, "message marked on server"
    )
    # status beside the running daemon: healthy, with the scheduler's runs.
    daemon.wait_for_event("outbox.sent")
    wait_until(lambda: cli("--config", daemon.config, "status").code == 0, 5, "healthy")
    report = cli("--config", daemon.config, "status", "--format", "json").json()
    assert {"outbox", "housekeeping", "reminders"} <= set(report["next_runs"])
    assert report["mailbox"]["waiting"] == 0
    code, seconds = daemon.stop()
    assert (code, seconds < 10) == (0, True)


def test_systemd_notify_ready_watchdog_status_stopping(
    imap, smtp_server, sqlite_url, daemon_config, start
) -> None:
    listener = NotifyListener()
    try:
        env = {"NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "3000000"}
        daemon = start(daemon_config(sqlite_url), env)
        wait_until(
            lambda: any("READY=1" in m for m in listener.collect(0.2)), 15, "READY=1"
        )
        ready_at = next(at for at, m in listener.messages if "READY=1" in m)
        listener.collect(3.0)
        pings = [at for at, m in listener.messages if m == "WATCHDOG=1"]
        pings = [at for at in pings if at > ready_at]
        assert len(pings) >= 3, listener.messages
        gaps = [b - a for a, b in itertools.pairwise(pings)]
        assert max(gaps) < 1.5  # at least every WATCHDOG_USEC / 2
        assert any(m.startswith("STATUS=") for _at, m in listener.messages)
        code, seconds = daemon.stop()
        assert code == 0 and seconds < 10
        assert "STOPPING=1" in listener.collect(0.5)
    finally:
        listener.close()


def test_sigterm_mid_pass_leaves_nothing_half_done(
    imap, smtp_server, sqlite_url, daemon_config, start
) -> None:
    total = 40
    imap.append_many(complaint(f"Klacht {n}", n + 1) for n in range(total))
    config = daemon_config(sqlite_url)
    daemon = start(config)
    daemon.wait_for_event("intake.case_opened", timeout=20)
    code, seconds = daemon.stop()
    print(f"\nSIGTERM during a pass: exit {code} after {seconds:.2f} s")
    assert code == 0 and seconds < 10
    # Every registered message has its case and its acknowledgement queued,
    # and every message marked on the server is registered.
    registered = _count(sqlite_url, Message.id)
    assert _count(sqlite_url, Case.id) == registered
    assert _count(sqlite_url, OutboxMail.id) == registered
    marked = [u for u, f in imap.fetch_flags().items() if "$Klachten" in f]
    assert len(marked) <= registered
    # A restart carries on: everything registered once, nothing lost.
    again = start(config)
    wait_until(lambda: _count(sqlite_url, Case.id) == total, 30, "all registered")
    smtp_server.wait_for(total, timeout=30)
    again.stop()
    assert _count(sqlite_url, Message.id) == total
    assert all("$Klachten" in f for f in imap.fetch_flags().values())


def test_imap_outage_logs_one_warning_and_reconnects(
    imap, smtp_server, sqlite_url, daemon_config, start
) -> None:
    daemon = start(daemon_config(sqlite_url))
    _ready(daemon)
    imap.stop()
    time.sleep(5)  # several reconnect attempts with the 2 s backoff cap
    imap.start()
    daemon.wait_for_event("imap.recovered", timeout=15)
    appended = time.monotonic()
    imap.append(complaint())
    smtp_server.wait_for(1, timeout=15)
    print(
        f"\nafter the IMAP outage: acknowledged in {time.monotonic() - appended:.2f} s"
    )
    warnings = [e for e in daemon.events() if e["level"] == "warning"]
    assert [e["event"] for e in warnings] == ["imap.unavailable"]
    assert len(daemon.named("imap.connected")) >= 2
    assert daemon.stop()[0] == 0


def test_smtp_outage_keeps_acknowledgements_in_the_outbox(
    imap, smtp_server, sqlite_url, daemon_config, start
) -> None:
    smtp_server.stop()
    daemon = start(daemon_config(sqlite_url))
    _ready(daemon)
    imap.append(complaint())
    daemon.wait_for_event("intake.case_opened")
    daemon.wait_for_event("smtp.unavailable")
    time.sleep(3)  # retries while the server stays away
    assert _count(sqlite_url, OutboxMail.id, OutboxMail.status == "pending") == 1
    smtp_server.start()
    received = smtp_server.wait_for(1, timeout=15)
    assert received[0].rcpt_tos == ("jan.peeters@example.be",)
    assert len(daemon.named("smtp.unavailable")) == 1
    assert daemon.stop()[0] == 0


def test_sighup_reloads_and_keeps_serving(
    imap, smtp_server, sqlite_url, daemon_config, start
) -> None:
    daemon = start(daemon_config(sqlite_url))
    _ready(daemon)
    daemon_config(sqlite_url, service={"outbox_interval": 1, "log_level": "DEBUG"})
    daemon.signal(signal.SIGHUP)
    daemon.wait_for_event("service.reloaded")
    imap.append(complaint())
    smtp_server.wait_for(1, timeout=10)
    assert daemon.stop()[0] == 0


def test_two_daemons_on_one_store_register_and_acknowledge_once(
    imap, smtp_server, db_url, daemon_config, start
) -> None:
    config = daemon_config(db_url)
    first, second = start(config), start(config)
    _ready(first)
    _ready(second)
    imap.append_many(complaint(f"Klacht {n}", n + 1) for n in range(10))
    smtp_server.wait_for(10, timeout=30)
    # Killing one, the other carries on.
    first.kill()
    imap.append_many(complaint(f"Nog een klacht {n}", n + 20) for n in range(3))
    smtp_server.wait_for(13, timeout=30)
    time.sleep(2)  # time for any second acknowledgement to show up
    assert second.stop()[0] == 0
    received = smtp_server.received
    # The survivor takes the killed daemon's claimed rows back at once; one
    # it had handed to the server just before the kill goes out again with
    # the same Message-ID (at least once). Never a second acknowledgement.
    ids = {r.message["Message-ID"] for r in received}
    assert len(ids) == 13
    by_subject = {r.message["Subject"]: r.message["Message-ID"] for r in received}
    assert len(by_subject) == 13 and set(by_subject.values()) == ids
    assert _count(db_url, Case.id) == 13
    assert _count(db_url, Message.id) == 13


def test_new_case_is_acknowledged_without_waiting_for_the_outbox_turn(
    imap, smtp_server, sqlite_url, daemon_config, start
) -> None:
    # The outbox job's own turn is an hour away: only the wake after the
    # intake pass can send the acknowledgement within seconds.
    daemon = start(daemon_config(sqlite_url, service={"outbox_interval": 3600}))
    _ready(daemon)
    appended = time.monotonic()
    imap.append(complaint())
    smtp_server.wait_for(1, timeout=10)
    assert time.monotonic() - appended < 5
    assert daemon.stop()[0] == 0


def test_a_maildir_daemon_polls_registers_and_stops_promptly(
    tmp_path, smtp_server, sqlite_url, daemon_config, start
) -> None:
    """The loop asks a Maildir what it asks an IMAP mailbox (connect, wait for
    mail, close): new mail is found at the next poll, a stop ends the wait."""
    maildir = tmp_path / "Maildir"
    config = daemon_config(sqlite_url, source={"kind": "maildir", "path": str(maildir)})
    daemon = start(config)
    _ready(daemon)
    (maildir / "new" / "1.host").write_bytes(complaint())
    received = smtp_server.wait_for(1, timeout=15)
    assert received[0].rcpt_tos == ("jan.peeters@example.be",)
    assert [p.name for p in (maildir / ".Verwerkt" / "cur").iterdir()] == ["1.host:2,S"]
    assert not daemon.named("imap.unavailable")
    code, seconds = daemon.stop()
    assert (code, seconds < 5) == (0, True)


def test_an_answer_in_the_sent_folder_answers_its_case_while_running(
    imap, smtp_server, sqlite_url, daemon_config, start
) -> None:
    from tests.test_staff_answers import FULL_ANSWER, _answer

    imap.create_mailbox("Sent Items")
    sections = daemon_sections(imap, smtp_server)["imap"]
    config = daemon_config(sqlite_url, imap={**sections, "sent_mailbox": "Sent Items"})
    daemon = start(config)
    _ready(daemon)
    imap.append(complaint())
    smtp_server.wait_for(1, timeout=10)
    engine = make_engine(sqlite_url)
    with transaction(session_factory(engine)) as session:
        number = session.scalar(select(Case.number))
    engine.dispose()
    uid = imap.append(_answer(number, FULL_ANSWER, cc=None, auth=None), "Sent Items")
    wait_until(
        lambda: _count(sqlite_url, Case.id, Case.status == "answered") == 1,
        10,
        "case answered from the sent folder",
    )
    assert imap.fetch_flags("Sent Items") == {uid: set()}
    assert daemon.stop()[0] == 0
