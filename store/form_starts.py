"""Starts of form reading that may have taken the service down.

Reading a message's forms is the one step whose cost its sender controls.
Its start is committed before the work begins and removed when the work
ended (with the message's registration, or with the next start): a count
that survives a restart is a message whose reading took the service down.
The intake quarantines it after `[ingest] max_attempts` such starts.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from store.intake_state import WORK_PREFIX as _WORK
from store.intake_state import run_in_transaction
from store.models import ServiceState, utcnow


def begin_work(
    factory: sessionmaker[Session], sha256: str, ended: Collection[str] = ()
) -> int:
    """Count one start of the form reading of message `sha256`, committed before
    the work starts; return how many earlier starts never ended.

    A message whose reading took the service down (killed by the watchdog, by
    the kernel, by a person) is counted at every restart, so the caller can
    quarantine it after a few rather than crash in a loop. `ended` are the
    messages whose reading has ended since (not registered yet): their count
    goes in the same transaction, so a later message's crash is not theirs.
    """

    def work(session: Session) -> int:
        if ended:
            keys = [_WORK + sha for sha in ended]
            session.execute(delete(ServiceState).where(ServiceState.key.in_(keys)))
        row = session.get(ServiceState, _WORK + sha256)
        if row is None:
            row = ServiceState(key=_WORK + sha256, value={"count": 0})
            session.add(row)
        before = int(row.value.get("count", 0))
        row.value = {"count": before + 1}
        row.updated_at = utcnow()
        return before

    return run_in_transaction(factory, work)


def end_work(factory: sessionmaker[Session], ended: Collection[str]) -> None:
    """The form reading of `ended` ended: their starts are gone."""
    keys = [_WORK + sha for sha in ended]
    run_in_transaction(
        factory,
        lambda s: s.execute(delete(ServiceState).where(ServiceState.key.in_(keys))),
    )


def withdraw_work(factory: sessionmaker[Session], sha256: str) -> None:
    """Take back the last start of `sha256`: it was stopped on purpose."""

    def work(session: Session) -> None:
        row = session.get(ServiceState, _WORK + sha256)
        if row is None:
            return
        count = int(row.value.get("count", 0)) - 1
        if count <= 0:
            session.delete(row)
        else:
            row.value = {"count": count}

    run_in_transaction(factory, work)


def work_starts(factory: sessionmaker[Session], sha256: str) -> int:
    """Starts of the form reading of `sha256` that never ended (for tests)."""

    def work(session: Session) -> int:
        row = session.get(ServiceState, _WORK + sha256)
        return 0 if row is None else int(row.value.get("count", 0))

    return run_in_transaction(factory, work)
