"""Shared helpers for the fault-injection tests (tests/test_faults_*.py).

The tests run `klachten run` and `klachten run --once` as real child
processes against the test Dovecot, the aiosmtpd server and a real database,
break something (kill -9, a server stopped, backends terminated, a full disk)
and then check the one promise that matters: every complaint registered as
exactly one case and acknowledged exactly once, every message marked on the
server.

Delivery is at least once by design (store/outbox.py): a process killed
between the SMTP server's "250" after DATA and the commit that marks the row
sent leaves the row "sending"; when its lease runs out the mail goes out
again with the same Message-ID. So "acknowledged once" is counted as one
distinct Message-ID per case, and raw duplicates are counted and printed.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.pool import NullPool

from store.db import make_engine, session_factory, transaction
from store.models import Case, Message, OutboxMail, utcnow
from store.vocabulary import MailKind, MailStatus
from tests.conftest import base_sections, write_config
from tests.daemonproc import REPO, DaemonProcess, daemon_sections
from tests.intake_mail import complaint
from tests.servers import wait_until

MARKS = {"$Klachten", "\\Seen"}


def seeded(name: str) -> random.Random:
    """A random generator whose seed is printed (KLACHTEN_FAULT_SEED repeats it)."""
    seed = int(os.environ.get("KLACHTEN_FAULT_SEED") or random.randrange(10**6))
    print(f"\n{name}: seed {seed} (KLACHTEN_FAULT_SEED={seed} repeats this run)")
    return random.Random(seed)


def backlog(imap: Any, count: int, *, body: str | None = None) -> list[str]:
    """Append `count` complaints from distinct members; return their Message-IDs.

    Distinct senders, because acknowledgements per address are limited.
    """
    ids = [f"fault-{n}-{random.getrandbits(48):012x}@example.be" for n in range(count)]
    extra: dict[str, Any] = {"body": body} if body is not None else {}
    # A DMARC-verified sender: only then does the acknowledgement answer the
    # complaint in its thread (In-Reply-To), which assert_exactly_once checks
    # (issue 14: an unverified address gets no threading headers).
    extra["headers"] = {
        "Authentication-Results": "libmutov.be; dmarc=pass header.from=example.be"
    }
    imap.append_many(
        complaint(
            sender=f"lid{n + 1}@example.be",
            subject=f"Klacht nummer {n + 1}",
            message_id=mid,
            **extra,
        )
        for n, mid in enumerate(ids)
    )
    return ids


def fault_config(path: Path, db: str, imap: Any, smtp: Any, **extra: Any) -> Path:
    """A daemon config for the test servers (short IDLE, 1 s outbox, 2 s backoff)."""
    sections = base_sections(db)
    for name, values in {**daemon_sections(imap, smtp), **extra}.items():
        sections.setdefault(name, {}).update(values)
    return write_config(path, sections)


def child_env() -> dict[str, str]:
    """The environment for a child klachten: no systemd variables, no buffering."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFY")}
    env.pop("WATCHDOG_USEC", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_once(config: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`klachten --config CONFIG run --once` as a child; its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "--config", str(config), "run", "--once"],
        cwd=REPO,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_daemon(config: Path, log: Path) -> DaemonProcess:
    """`klachten run`, returned once it logged service.started."""
    daemon = DaemonProcess(config, log)
    try:
        daemon.wait_for_event("service.started", timeout=30)
    except BaseException:
        daemon.kill()
        raise
    return daemon


# --- what reached the SMTP server ----------------------------------------------


@dataclass
class AckTally:
    """Acknowledgements received, per case number (from X-Klachten-Case)."""

    raw: Counter[str] = field(default_factory=Counter)
    ids: dict[str, set[str]] = field(default_factory=dict)
    replies_to: dict[str, set[str]] = field(default_factory=dict)

    @property
    def duplicates(self) -> int:
        """Messages received more than once with the same Message-ID."""
        return sum(self.raw.values()) - sum(len(ids) for ids in self.ids.values())

    @property
    def cases(self) -> set[str]:
        return set(self.raw)

    def twice(self) -> dict[str, set[str]]:
        """Cases acknowledged with more than one distinct Message-ID (a bug)."""
        return {case: ids for case, ids in self.ids.items() if len(ids) > 1}


def tally(received: Iterable[Any]) -> AckTally:
    """Count the member acknowledgements among the SMTP server's messages."""
    found = AckTally()
    for mail in received:
        message = mail.message
        case = message["X-Klachten-Case"]
        if case is None or message["Auto-Submitted"] != "auto-replied":
            continue  # coordinator mail, not an answer to a member
        case = str(case)
        found.raw[case] += 1
        found.ids.setdefault(case, set()).add(str(message["Message-ID"]))
        found.replies_to.setdefault(case, set()).add(str(message["In-Reply-To"]))
    return found


# --- the store ---------------------------------------------------------------------


def _engine(url: str) -> Any:
    return make_engine(url, poolclass=NullPool)


def store_counts(url: str) -> dict[str, int]:
    """Cases, messages and acknowledgement rows by status, read now."""
    engine = _engine(url)
    try:
        with transaction(session_factory(engine)) as session:
            counts = {
                "cases": session.scalar(select(func.count(Case.id))),
                "messages": session.scalar(select(func.count(Message.id))),
                "message_ids": session.scalar(
                    select(func.count(func.distinct(Message.message_id)))
                ),
            }
            rows = session.execute(
                select(OutboxMail.status, func.count())
                .where(OutboxMail.kind == MailKind.ACKNOWLEDGEMENT)
                .group_by(OutboxMail.status)
            )
            counts.update({f"ack_{status}": n for status, n in rows})
    finally:
        engine.dispose()
    return {key: int(value or 0) for key, value in counts.items()}


def case_of_message(url: str) -> dict[str, str]:
    """Complaint Message-ID (without <>) -> case number, for every stored message."""
    engine = _engine(url)
    try:
        with transaction(session_factory(engine)) as session:
            rows = session.execute(
                select(Message.message_id, Case.number).join(
                    Case, Case.id == Message.case_id
                )
            ).all()
    finally:
        engine.dispose()
    return {str(mid).strip("<>"): number for mid, number in rows}


def worker_of(pid: int) -> str:
    """The start of the outbox `claimed_by` of the delivery worker in process `pid`."""
    return f"{socket.gethostname()}:{pid}:"


def _sending(worker: str | None) -> Any:
    found = OutboxMail.status == "sending"
    return found if worker is None else found & OutboxMail.claimed_by.startswith(worker)


def sending(url: str, worker: str | None = None) -> int:
    """Rows "sending", of one worker (see `worker_of`) or of all."""
    engine = _engine(url)
    try:
        with transaction(session_factory(engine)) as session:
            query = select(func.count(OutboxMail.id)).where(_sending(worker))
            return int(session.scalar(query) or 0)
    finally:
        engine.dispose()


def unsent(url: str) -> list[tuple[Any, ...]]:
    """The acknowledgement rows not sent yet, for failure messages."""
    engine = _engine(url)
    try:
        with transaction(session_factory(engine)) as session:
            rows = session.execute(
                select(
                    OutboxMail.id,
                    OutboxMail.status,
                    OutboxMail.claimed_by,
                    OutboxMail.claimed_until,
                    OutboxMail.next_attempt_at,
                    OutboxMail.attempts,
                    OutboxMail.last_error,
                ).where(
                    OutboxMail.kind == MailKind.ACKNOWLEDGEMENT,
                    OutboxMail.status != MailStatus.SENT,
                )
            )
            return [tuple(row) for row in rows]
    finally:
        engine.dispose()


def wait_for_sent(url: str, count: int, timeout: float) -> None:
    """Wait until `count` acknowledgement rows are "sent" in the store."""
    try:
        wait_until(lambda: store_counts(url).get("ack_sent") == count, timeout, "sent")
    except TimeoutError:
        raise TimeoutError(
            f"not {count} acknowledgements marked sent after {timeout:g} s: "
            f"{store_counts(url)}; not sent: {unsent(url)[:10]}"
        ) from None


def expire_leases(url: str, worker: str | None = None) -> int:
    """Let the outbox leases of killed workers run out now; return how many.

    Stands in for waiting out the lease (`[service] outbox_lease`, 300 s by
    default): rows a killed worker had claimed stay "sending" until then.
    """
    engine = _engine(url)
    try:
        with transaction(session_factory(engine)) as session:
            result = session.execute(
                update(OutboxMail)
                .where(_sending(worker))
                .values(claimed_until=utcnow() - timedelta(seconds=1))
            )
            return int(result.rowcount or 0)
    finally:
        engine.dispose()


def terminate_backends(url: str) -> int:
    """PostgreSQL: end every other connection to the test database (the daemon's)."""
    engine = _engine(url)
    try:
        with engine.begin() as connection:
            rows = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
    finally:
        engine.dispose()
    return sum(1 for (ended,) in rows if ended)


# --- the verdict ---------------------------------------------------------------------


def wait_for_acks(smtp: Any, count: int, timeout: float) -> float:
    """Wait until `count` distinct cases were acknowledged; return the seconds."""
    started = time.monotonic()
    try:
        wait_until(lambda: len(tally(smtp.received).cases) >= count, timeout, "acks")
    except TimeoutError:
        have = len(tally(smtp.received).cases)
        raise TimeoutError(
            f"{have} of {count} cases acknowledged after {timeout:g} s"
        ) from None
    return time.monotonic() - started


def assert_exactly_once(
    url: str, imap: Any, smtp: Any, message_ids: list[str]
) -> AckTally:
    """Every complaint: one case, one acknowledgement (one Message-ID), marked."""
    total = len(message_ids)
    counts = store_counts(url)
    assert counts["cases"] == total, counts
    assert counts["messages"] == total == counts["message_ids"], counts
    assert counts.get("ack_sent") == total, counts
    cases = case_of_message(url)
    assert sorted(cases) == sorted(message_ids), "a complaint without its case"
    assert len(set(cases.values())) == total, "two complaints share a case"
    acks = tally(smtp.received)
    assert acks.cases == set(cases.values()), "a case without acknowledgement"
    assert acks.twice() == {}, "acknowledged twice with different Message-IDs"
    for mid, case in cases.items():
        assert acks.replies_to[case] == {f"<{mid}>"}, (case, acks.replies_to[case])
    flags = imap.fetch_flags()
    assert len(flags) == total
    unmarked = {uid: f for uid, f in flags.items() if not f >= MARKS}
    assert unmarked == {}, f"{len(unmarked)} messages not marked on the server"
    return acks
