"""Store-side state of the intake: mailbox positions, attempts, case lookups.

The intake (ingest/) does not import SQLAlchemy; everything it needs from the
database goes through the functions here. Database failures leave this module
as `StoreUnavailable`, so the intake can tell "the database is down" (do not
mark the message, try again later) from "this message is poison" (quarantine).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from store.db import transaction
from store.errors import StoreUnavailable
from store.inbound import Registered, register_many
from store.models import Case, MailboxState, Message, OutboxMail, ServiceState, utcnow
from store.registration import is_conflict
from store.registration_input import CaseRules, InboundRecord

T = TypeVar("T")
_ATTEMPTS = "intake_attempts:"
# Form reading that started and has not ended (yet): see store/form_starts.py.
WORK_PREFIX = "intake_work:"


@contextmanager
def guarded() -> Iterator[None]:
    """Turn any database error into StoreUnavailable (one line, no SQL)."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise _unavailable(exc) from exc


# SQLite result codes and PostgreSQL SQLSTATE classes that say the database
# is the trouble, not the row: busy/locked/full; connection exception,
# insufficient resources (disk full), operator intervention (terminated).
_SQLITE_TRANSIENT = frozenset({5, 6, 13})
_SQLSTATE_TRANSIENT = ("08", "53", "57")


def _unavailable(exc: SQLAlchemyError) -> StoreUnavailable:
    return StoreUnavailable(_describe(exc), transient=_transient(exc))


def _transient(exc: SQLAlchemyError) -> bool:
    if getattr(exc, "connection_invalidated", False):
        return True
    origin = getattr(exc, "orig", None)
    code = getattr(origin, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_TRANSIENT
    return (getattr(origin, "sqlstate", None) or "")[:2] in _SQLSTATE_TRANSIENT


def _describe(exc: SQLAlchemyError) -> str:
    origin = exc.orig if isinstance(exc, DBAPIError) else exc
    first = (str(origin).splitlines() or [""])[0][:200]
    return f"{type(origin).__name__}: {first}"


def run_in_transaction(
    factory: sessionmaker[Session], work: Callable[[Session], T]
) -> T:
    """`work(session)` in one transaction; database errors as StoreUnavailable."""
    with guarded(), transaction(factory) as session:
        return work(session)


def write_inbound(
    factory: sessionmaker[Session],
    rules: CaseRules,
    record: InboundRecord,
    *,
    clear_attempts: bool = True,
) -> Registered:
    """Register one message in its own transaction, idempotently.

    `clear_attempts` removes the message's count of failed writes; the caller
    passes False when it knows there is none (one statement less a message).
    """
    cleared = {record.sha256} if clear_attempts else set()
    return write_inbound_batch(factory, rules, [record], clear=cleared)[0]


def write_inbound_batch(
    factory: sessionmaker[Session],
    rules: CaseRules,
    records: Sequence[InboundRecord],
    *,
    clear: set[str],
    clear_work: Collection[str] = (),
) -> list[Registered]:
    """Register `records` in one transaction, idempotently; all or nothing.

    `clear` holds the sha256 of the records whose count of failed writes must
    go (they are stored now); `clear_work` those of messages whose form
    reading ended (store.form_starts). A unique-key conflict means another process
    registered one of the messages at the same moment: roll back and try once
    more, which finds the duplicate.
    """
    keys = [_ATTEMPTS + sha for sha in sorted(clear)]
    keys += [WORK_PREFIX + sha for sha in sorted(clear_work)]
    for attempt in (1, 2):
        try:
            with transaction(factory) as session:
                registered = register_many(session, rules, records)
                if keys:  # failed attempts no longer matter
                    session.execute(
                        delete(ServiceState).where(ServiceState.key.in_(keys))
                    )
                return registered
        except IntegrityError as exc:
            if attempt == 2 or not is_conflict(exc):
                raise _unavailable(exc) from exc
        except SQLAlchemyError as exc:
            raise _unavailable(exc) from exc
    raise AssertionError("unreachable")  # pragma: no cover


class StoreCaseLookup:
    """The classifier's CaseLookup over the store (ingest.classify.CaseLookup).

    A Message-ID belongs to a case when a stored message with that id is part
    of it, or when it is the id of a mail we sent about it: members answer our
    acknowledgement, whose Message-ID is in the outbox.
    """

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory

    def case_for_message_ids(self, message_ids: Sequence[str]) -> str | None:
        ids = [i[:998] for i in message_ids if i][:100]
        if not ids:
            return None
        return run_in_transaction(self._factory, lambda s: _case_for_ids(s, ids))

    def case_exists(self, number: str) -> bool:
        query = select(Case.id).where(Case.number == number)
        found = run_in_transaction(self._factory, lambda s: s.scalar(query))
        return found is not None

    def member_email(self, number: str) -> str | None:
        query = select(Case.member_email).where(Case.number == number)
        return run_in_transaction(self._factory, lambda s: s.scalar(query))


def _case_for_ids(session: Session, ids: list[str]) -> str | None:
    via_message = (
        select(Case.number)
        .join(Message, Message.case_id == Case.id)
        .where(Message.message_id.in_(ids))
    )
    via_outbox = (
        select(Case.number)
        .join(OutboxMail, OutboxMail.case_id == Case.id)
        .where(OutboxMail.message_id.in_(ids))
    )
    return session.scalar(via_outbox.limit(1)) or session.scalar(via_message.limit(1))


# --- mailbox positions ---------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where the intake stands in one mailbox."""

    uidvalidity: int | None
    last_uid: int
    reset: bool  # True when UIDVALIDITY changed and last_uid started over


def _state(session: Session, source: str) -> MailboxState:
    """The mailbox's row, created when missing.

    Two instances starting on a fresh store both find no row: the insert
    ignores the one that lost, so neither fails on the unique source.
    """
    query = select(MailboxState).where(MailboxState.source == source)
    state = session.scalars(query).first()
    if state is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(MailboxState.__table__)
            .values(source=source, last_uid=0)
            .on_conflict_do_nothing(index_elements=["source"])
        )
        state = session.scalars(query).one()
    return state


def position(
    factory: sessionmaker[Session], source: str, uidvalidity: int | None
) -> Position:
    """The stored position; a changed UIDVALIDITY resets last_uid to 0."""

    def work(session: Session) -> Position:
        state = _state(session, source)
        reset = state.uidvalidity is not None and state.uidvalidity != uidvalidity
        if reset or state.uidvalidity is None:
            state.uidvalidity = uidvalidity
            state.last_uid = 0
        return Position(state.uidvalidity, state.last_uid, reset)

    return run_in_transaction(factory, work)


def advance(factory: sessionmaker[Session], source: str, last_uid: int) -> None:
    """Remember that every UID up to `last_uid` is done."""

    def work(session: Session) -> None:
        state = _state(session, source)
        state.last_uid = max(state.last_uid, last_uid)

    run_in_transaction(factory, work)


def record_check(
    factory: sessionmaker[Session],
    source: str,
    *,
    waiting: int,
    error: str | None = None,
    at: datetime | None = None,
) -> None:
    """A mailbox check ended: successfully (error None) or with `error`."""

    def work(session: Session) -> None:
        state = _state(session, source)
        now = at or utcnow()
        if error is None:
            state.last_success_at = now
            state.waiting = waiting
        else:
            state.last_error = error[:500]
            state.last_error_at = now

    run_in_transaction(factory, work)


def mailbox_state(factory: sessionmaker[Session], source: str) -> dict[str, object]:
    """The stored state of one mailbox as a plain dict (for status and tests)."""

    def work(session: Session) -> dict[str, object]:
        state = _state(session, source)
        return {
            "uidvalidity": state.uidvalidity,
            "last_uid": state.last_uid,
            "last_success_at": state.last_success_at,
            "last_error": state.last_error,
            "waiting": state.waiting,
        }

    return run_in_transaction(factory, work)


# --- failed database writes ------------------------------------------------------


def count_failure(factory: sessionmaker[Session], sha256: str, error: str) -> int:
    """Count one failed write of the message `sha256`; return the count so far."""

    def work(session: Session) -> int:
        key = _ATTEMPTS + sha256
        row = session.get(ServiceState, key)
        if row is None:
            row = ServiceState(key=key, value={"count": 0})
            session.add(row)
        count = int(row.value.get("count", 0)) + 1
        row.value = {"count": count, "error": error[:500]}
        row.updated_at = utcnow()
        return count

    return run_in_transaction(factory, work)


def failed_messages(factory: sessionmaker[Session]) -> set[str]:
    """The sha256 of every message with a counted failed write."""
    query = select(ServiceState.key).where(ServiceState.key.startswith(_ATTEMPTS))
    keys = run_in_transaction(factory, lambda s: list(s.scalars(query)))
    return {key.removeprefix(_ATTEMPTS) for key in keys}
