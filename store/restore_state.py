"""What `reconcile` asks the store: is this mail held (or erased)? and was
the store just restored from a backup?

A backup carries a marker (`RESTORE_MARKER` in service_state): SQLite's copy
gets it written into the copy itself; for PostgreSQL it is committed just
before `pg_dump` takes its snapshot and removed right after, so the dump
holds it and the live store only for the length of the dump. A daemon
starting on a store with the marker runs `reconcile` and then removes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from store.models import Message, ServiceState
from store.privacy_keys import erased_key, keyed, known_secret
from store.service_state import get_state

RESTORE_MARKER = "restore:pending"


def marker_value(taken_at: datetime) -> dict[str, Any]:
    """The marker a backup carries: when it was taken."""
    return {"backup_taken_at": taken_at.isoformat(timespec="seconds")}


def restore_pending(session: Session) -> dict[str, Any] | None:
    """The marker when this store was restored and not yet reconciled."""
    return get_state(session, RESTORE_MARKER)


def clear_restore_marker(session: Session) -> None:
    session.execute(delete(ServiceState).where(ServiceState.key == RESTORE_MARKER))


def held(session: Session, mails: Sequence[tuple[str | None, str]]) -> list[bool]:
    """For each (Message-ID, sha256 of the raw bytes): whether the store holds
    that mail, or held it and erased it (known by its keyed hashes)."""
    ids = {mid for mid, _ in mails if mid}
    shas = {sha for _, sha in mails}
    found_ids: set[str] = set()
    found_shas: set[str] = set()
    for start in range(0, max(len(ids), len(shas)), 500):
        chunk_ids = sorted(ids)[start : start + 500]
        chunk_shas = sorted(shas)[start : start + 500]
        rows = session.execute(
            select(Message.message_id, Message.sha256).where(
                or_(Message.message_id.in_(chunk_ids), Message.sha256.in_(chunk_shas))
            )
        )
        for mid, sha in rows:
            found_ids.add(mid)
            found_shas.add(sha)
    erased = _erased_keys(session, mails)
    return [
        (mid is not None and mid in found_ids) or sha in found_shas or index in erased
        for index, (mid, sha) in enumerate(mails)
    ]


def _erased_keys(session: Session, mails: Sequence[tuple[str | None, str]]) -> set[int]:
    """Indexes of the mails an erasure left keyed hashes of."""
    key = known_secret(session)
    if key is None:
        return set()
    wanted: dict[str, int] = {}
    for index, (mid, sha) in enumerate(mails):
        if mid:
            wanted[erased_key(key, f"mid:{mid}")] = index
        wanted[erased_key(key, f"sha256:{sha}")] = index
        wanted[keyed(key, f"sha256:{sha}")] = index
    found: set[int] = set()
    names = sorted(wanted)
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        rows = session.execute(
            select(Message.dedupe_key, Message.sha256).where(
                or_(Message.dedupe_key.in_(chunk), Message.sha256.in_(chunk))
            )
        )
        for dedupe_key, sha in rows:
            for name in (dedupe_key, sha):
                if name in wanted:
                    found.add(wanted[name])
    return found
