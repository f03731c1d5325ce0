"""Reconcile: mail the mailbox shows processed but the store lacks.

After a restore from a backup, mail registered after the backup was taken
is marked processed on the server (keyword, or moved to the processed
folder) yet missing from the store, so intake never takes it again. This
pass reads every processed message of the source, asks the store whether it
holds it (by sha256 of the raw bytes, then by Message-ID; an erased mail
counts as held through its keyed hashes, so erasure is never undone) and
registers the missing ones through the ordinary intake pipeline, oldest
first, flagged `restored` and not acknowledged again unless asked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import structlog

from ingest.batch import IntakeStats
from ingest.incoming import Incoming
from ingest.intake import Intake
from ingest.parse import parse_message
from store.db import transaction
from store.restore_state import held

log = structlog.get_logger()
REGISTER_BATCH = 50


class ProcessedSource(Protocol):
    """A source that can list what it already marked processed."""

    def open(self) -> int | None: ...

    def processed(self) -> Sequence[Hashable]:
        """Keys of the messages marked processed, oldest first."""
        ...

    def batches(self, keys: Sequence[Hashable]) -> Iterator[list[Incoming]]: ...

    def close(self) -> None: ...


@dataclass
class Reconciled:
    """What a pass found: processed messages seen, the missing ones (oldest
    first) and what registering them did (nothing in a dry run)."""

    seen: int = 0
    missing: list[Incoming] = field(default_factory=list)
    stats: IntakeStats = field(default_factory=IntakeStats)


def reconcile(
    sources: Sequence[ProcessedSource],
    intake: Intake,
    *,
    dry_run: bool = False,
    acknowledge: bool = False,
) -> Reconciled:
    """Find (and unless `dry_run`, register) the processed mail the store lacks."""
    result = Reconciled()
    for source in sources:
        source.open()
        keys = source.processed()
        result.seen += len(keys)
        for batch in source.batches(keys):
            result.missing += _missing(intake, batch)
    result.missing.sort(key=lambda item: item.received_at)
    log.info("reconcile.found", seen=result.seen, missing=len(result.missing))
    if dry_run or not result.missing:
        return result
    record = replace(
        intake.options.record, restored=True, acknowledge_restored=acknowledge
    )
    intake.options = replace(intake.options, record=record)
    for start in range(0, len(result.missing), REGISTER_BATCH):
        chunk = result.missing[start : start + REGISTER_BATCH]
        for _, outcome in intake.handle_many(chunk):
            result.stats.add(outcome)
    return result


def _missing(intake: Intake, batch: list[Incoming]) -> list[Incoming]:
    """The messages of `batch` the store neither holds nor erased."""
    shas = [hashlib.sha256(item.raw).hexdigest() for item in batch]
    with transaction(intake.sessions) as session:
        by_sha = held(session, [(None, sha) for sha in shas])
        unknown = [i for i, found in enumerate(by_sha) if not found]
        if not unknown:
            return []
        mails = [(_message_id(batch[i].raw), shas[i]) for i in unknown]
        again = held(session, mails)
    return [batch[i] for i, found in zip(unknown, again, strict=True) if not found]


def _message_id(raw: bytes) -> str | None:
    try:
        return parse_message(raw).message_id
    except Exception:  # a mail that cannot be parsed is known by its hash only
        return None
