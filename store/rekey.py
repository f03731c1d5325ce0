"""`klachten privacy rotate-key`: every sealed value under the newest key.

Goes through the tables in small batches, each its own short transaction,
so the daemon keeps registering mail meanwhile: a batch reads which of its
rows hold a value in clear or under an older key (from the first bytes of
each value only), locks and reads those rows whole, and writes them back
sealed under the newest key (store/sealed.py does the sealing). Every case
of the batch gets its search text again, whose hashes follow the newest key.

A value written meanwhile by a process that still seals under an older key
(a daemon that has not yet seen the new key file) is caught by the passes
that follow; `remaining` counts what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import column, func, select, table, update
from sqlalchemy.orm import Session, sessionmaker

from store import search
from store.crypto import KeyProblem, keyring_of
from store.db import transaction
from store.models import Attachment, Case, FormFieldValue, Message
from store.privacy_keys import reseal_secret, secret_is_stale
from store.sealed import key_of_stored

# The sealed columns, per model.
SEALED = (
    (Case, ("member_phone", "member_street", "member_postcode", "member_city",
            "member_insz", "description", "desired_solution")),
    (FormFieldValue, ("value",)),
    (Message, ("body_text", "new_text", "raw")),
    (Attachment, ("data",)),
)  # fmt: skip
BATCH = 100
# Enough of a stored value to read its marker and key id (base64 for text).
_HEAD = 16


@dataclass
class Rotation:
    key_id: str
    resealed: dict[str, int] = field(default_factory=dict)
    cases_reindexed: int = 0
    secret_resealed: bool = False  # the pseudonym secret (store/privacy_keys.py)


def rotate(
    factory: sessionmaker[Session],
    *,
    batch: int = BATCH,
    progress: Callable[[str, int], None] | None = None,
) -> Rotation:
    """Seal every value under the newest key; the counts of what changed."""
    keyring = keyring_of(factory.kw["bind"])
    if keyring is None:
        raise KeyProblem("privacy rotate-key: no key ([privacy] key_file is not set)")
    done = Rotation(keyring.newest_id)
    for model, names in SEALED:
        name = model.__tablename__
        done.resealed[name] = 0
        last = 0
        while True:
            with transaction(factory) as session:
                ids, stale = _stale_rows(session, model, names, last, batch, done)
                if not ids:
                    break
                last = ids[-1]
                _reseal(session, model, names, stale)
                if model is Case:
                    search.reindex(session, ids)
                    done.cases_reindexed += len(ids)
            done.resealed[name] += len(stale)
            if progress is not None:
                progress(name, last)
    with transaction(factory) as session:
        done.secret_resealed = reseal_secret(session, done.key_id)
    return done


def remaining(session: Session) -> dict[str, int]:
    """Rows per table holding a value not sealed under the newest key."""
    keyring = keyring_of(session)
    newest = keyring.newest_id if keyring is not None else None
    counts = {}
    for model, names in SEALED:
        heads = _heads(_plain(model, names), names)
        found = 0
        for row in session.execute(select(*heads)):
            if any(_is_stale(value, newest) for value in row):
                found += 1
        counts[model.__tablename__] = found
    counts["pseudonym secret"] = int(secret_is_stale(session, newest))
    return counts


def _plain(model: type, names: tuple[str, ...]) -> Any:
    # Untyped columns: the stored values as they are, not opened.
    return table(model.__tablename__, column("id"), *(column(n) for n in names))


def _heads(plain: Any, names: tuple[str, ...]) -> list:
    return [func.substr(plain.c[n], 1, _HEAD) for n in names]


def _is_stale(head: object, newest: str | None) -> bool:
    if head is None:
        return False
    return key_of_stored(head) != newest


def _stale_rows(
    session: Session,
    model: type,
    names: tuple[str, ...],
    after: int,
    batch: int,
    done: Rotation,
) -> tuple[list[int], list[int]]:
    """The next `batch` ids after `after`, and those among them to reseal."""
    plain = _plain(model, names)
    statement = (
        select(plain.c.id, *_heads(plain, names))
        .where(plain.c.id > after)
        .order_by(plain.c.id)
        .limit(batch)
    )
    ids, stale = [], []
    for row in session.execute(statement):
        ids.append(row[0])
        if any(_is_stale(value, done.key_id) for value in row[1:]):
            stale.append(row[0])
    return ids, stale


def _reseal(
    session: Session, model: type, names: tuple[str, ...], ids: list[int]
) -> None:
    """Read each row (opened) under a lock and write it back sealed anew;
    one row at a time: a message may hold tens of megabytes."""
    columns = [getattr(model, n) for n in names]
    id_column = model.id  # type: ignore[attr-defined]
    lock = session.get_bind().dialect.name == "postgresql"
    target = model.__table__  # type: ignore[attr-defined]
    for row_id in ids:
        statement = select(*columns).where(id_column == row_id)
        if lock:
            statement = statement.with_for_update()
        row = session.execute(statement).one()
        values = dict(zip(names, row, strict=True))
        session.execute(update(target).where(target.c.id == row_id).values(values))
