"""Facts the daemon shares with `klachten status`, and locks between daemons.

`service_state` is a small key/value table: the scheduler's next run times,
the stall alarm, the daemon's heartbeat. `health` reads everything `status`
shows in one short read transaction, so it works beside a running daemon.

Two daemons may run on one PostgreSQL store (failover). Intake is safe
through unique keys and the outbox through row claims; scheduled jobs take
`job_lock` so that one job never runs in both at once. On PostgreSQL that is
a session advisory lock, released by the server when the holder dies; on
SQLite a lease row with an expiry serves the same purpose.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from store.db import transaction
from store.holders import is_gone
from store.models import (
    Case,
    MailboxState,
    Message,
    OutboxMail,
    ServiceState,
    utcnow,
)
from store.vocabulary import (
    OPEN_STATUSES,
    UNSENT_MAIL_STATUSES,
    MailKind,
    MailStatus,
    MessageClass,
)

LEASE_PREFIX = "lease:"


def get_state(session: Session, key: str) -> dict[str, Any] | None:
    """The value stored under `key`, or None."""
    row = session.get(ServiceState, key)
    return None if row is None else dict(row.value)


def put_state(
    session: Session, key: str, value: dict[str, Any], now: datetime | None = None
) -> None:
    """Store `value` under `key`, replacing what was there (an upsert).

    An upsert rather than read-then-insert: two daemons write the same keys.
    """
    now = now or utcnow()
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(ServiceState).values(key=key, value=value, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[ServiceState.key],
        set_={"value": statement.excluded.value, "updated_at": now},
    )
    session.execute(statement)
    session.expire_all()


def put_state_once(session: Session, key: str, value: dict[str, Any]) -> None:
    """Store `value` under `key` unless a value is there already."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(ServiceState).values(
        key=key, value=value, updated_at=utcnow()
    )
    session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
    session.expire_all()


def outbox_has(session: Session, dedupe_key: str) -> bool:
    """True when a mail with this dedupe key was queued already."""
    found = session.scalar(
        select(OutboxMail.id).where(OutboxMail.dedupe_key == dedupe_key)
    )
    return found is not None


@dataclass(frozen=True)
class MailboxHealth:
    source: str
    last_success_at: datetime | None
    waiting: int | None
    last_error: str | None
    last_error_at: datetime | None


@dataclass(frozen=True)
class Health:
    """Everything `klachten status` reports, read at one moment."""

    mailboxes: tuple[MailboxHealth, ...]
    quarantined: int
    outbox_pending: int
    outbox_failed: int
    open_cases: int
    overdue_cases: int
    cases_today: int
    acks_sent: int
    acks_failed: int
    state: dict[str, dict[str, Any]]

    @property
    def last_success_at(self) -> datetime | None:
        """The latest successful check of any mailbox."""
        times = [m.last_success_at for m in self.mailboxes if m.last_success_at]
        return max(times) if times else None

    @property
    def waiting(self) -> int | None:
        """Messages waiting on the server as last seen (None: never seen)."""
        counts = [m.waiting for m in self.mailboxes if m.waiting is not None]
        return sum(counts) if counts else None


def _count(session: Session, *conditions: Any) -> int:
    return int(session.scalar(select(func.count()).where(*conditions)) or 0)


def health(
    session: Session,
    now: datetime,
    day_start: datetime,
    keys: tuple[str, ...] = (),
) -> Health:
    """Read the health figures, with the service_state values under `keys`.

    `day_start` is the start of the local day (for "cases today").
    """
    rows = session.scalars(select(MailboxState).order_by(MailboxState.source))
    mailboxes = tuple(
        MailboxHealth(
            r.source, r.last_success_at, r.waiting, r.last_error, r.last_error_at
        )
        for r in rows
    )
    open_ = Case.status.in_(OPEN_STATUSES)
    ack = OutboxMail.kind == MailKind.ACKNOWLEDGEMENT
    state = {
        row.key: dict(row.value)
        for row in session.scalars(
            select(ServiceState).where(ServiceState.key.in_(keys))
        )
    }
    return Health(
        mailboxes=mailboxes,
        quarantined=_count(session, Message.klass == MessageClass.QUARANTINED),
        outbox_pending=_count(session, OutboxMail.status.in_(UNSENT_MAIL_STATUSES)),
        outbox_failed=_count(session, OutboxMail.status == MailStatus.FAILED),
        open_cases=_count(session, open_),
        overdue_cases=_count(session, open_, Case.answer_due < now),
        cases_today=_count(session, Case.received_at >= day_start),
        acks_sent=_count(session, ack, OutboxMail.status == MailStatus.SENT),
        acks_failed=_count(session, ack, OutboxMail.status == MailStatus.FAILED),
        state=state,
    )


def _lock_id(name: str) -> int:
    """A stable signed 64-bit number for the advisory lock called `name`."""
    digest = hashlib.sha256(f"klachten:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def job_lock(
    engine: Engine, name: str, holder: str, ttl: timedelta = timedelta(minutes=10)
) -> Iterator[bool]:
    """Try to take the lock `name`; yields True when this process holds it.

    Never waits: a job whose lock another daemon holds is simply skipped
    this time (it is idempotent and runs again at its next turn).
    """
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, name) as held:
            yield held
        return
    factory = sessionmaker(engine)
    held = _take_lease(factory, name, holder, ttl)
    try:
        yield held
    finally:
        if held:
            _drop_lease(factory, name, holder)


@contextmanager
def _advisory_lock(engine: Engine, name: str) -> Iterator[bool]:
    key = _lock_id(name)
    with engine.connect() as connection:
        held = bool(
            connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
            ).scalar()
        )
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": key}
                )
                connection.commit()


def _take_lease(
    factory: sessionmaker[Session], name: str, holder: str, ttl: timedelta
) -> bool:
    now = utcnow()
    with transaction(factory) as session:
        current = get_state(session, LEASE_PREFIX + name)
        other = (current or {}).get("holder")
        if other and other != holder and _alive(other):
            until = datetime.fromisoformat(current["until"])  # type: ignore[index]
            if until > now:
                return False
        value = {"holder": holder, "until": (now + ttl).isoformat()}
        put_state(session, LEASE_PREFIX + name, value, now)
    return True


def _alive(holder: str) -> bool:
    """False when `holder` is a process of this host that is gone.

    A SQLite store is a local file, so its daemons share the host: a lease of
    a killed daemon is taken over at once instead of when it runs out.
    """
    return not is_gone(holder)


def _drop_lease(factory: sessionmaker[Session], name: str, holder: str) -> None:
    with transaction(factory) as session:
        row = session.get(ServiceState, LEASE_PREFIX + name)
        if row is not None and row.value.get("holder") == holder:
            session.delete(row)


def is_database_error(error: BaseException) -> bool:
    """True for a failure of the database itself (unreachable, locked, ...).

    Lets the daemon tell "the store is down" from a bug without importing
    SQLAlchemy outside store/.
    """
    from sqlalchemy.exc import DBAPIError

    from store.errors import StoreUnavailable

    return isinstance(error, StoreUnavailable | DBAPIError)
