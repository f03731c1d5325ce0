"""Reconcile: mail the mailbox shows processed but the store lacks.

After a restore from a backup, mail registered after the backup was taken
is marked processed on the server (keyword, or moved to the processed
folder) yet missing from the store, so intake never takes it again. This
pass reads every processed message of the source, asks the store whether it
holds it (by sha256 of the raw bytes, then by Message-ID; an erased mail
counts as held through its keyed hashes, so erasure is never undone) and
registers the missing ones through the ordinary intake pipeline, oldest
first, flagged `restored` and not acknowledged again unless asked.

The lost store also handed out numbers the restored one never saw. Our own
mail says which: every mail about a case carries `X-Klachten-Case`, and the
sent folders (`[imap] sent_copy_mailbox`, `sent_mailbox`) keep copies. Before
anything is registered, each year's counter is raised past the highest number
found there, so no number a member was given goes to another complaint.
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
from store.numbering import highest_numbers, raise_counters
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


class SentFolder(Protocol):
    """A folder holding copies of the mail we sent, read only."""

    def open(self) -> int | None: ...

    def header_values(self, name: str) -> list[str]: ...

    def close(self) -> None: ...


CASE_HEADER = "X-Klachten-Case"


@dataclass
class Reconciled:
    """What a pass found: processed messages seen, the missing ones (oldest
    first) and what registering them did (nothing in a dry run); the highest
    number per year our sent mail names, and how far each counter moved."""

    seen: int = 0
    missing: list[Incoming] = field(default_factory=list)
    stats: IntakeStats = field(default_factory=IntakeStats)
    given: dict[int, int] = field(default_factory=dict)
    moved: dict[int, int] = field(default_factory=dict)


def reconcile(
    sources: Sequence[ProcessedSource],
    intake: Intake,
    *,
    dry_run: bool = False,
    acknowledge: bool = False,
    sent: Sequence[SentFolder] = (),
) -> Reconciled:
    """Find (and unless `dry_run`, register) the processed mail the store lacks;
    first move the counters past every number the `sent` folders name."""
    result = Reconciled()
    result.given = _numbers_given(sent, intake.rules.number_format)
    if result.given and not dry_run:
        with transaction(intake.sessions) as session:
            result.moved = raise_counters(session, result.given)
        if result.moved:
            log.warning("reconcile.numbers_skipped", moved=result.moved)
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


def _numbers_given(folders: Sequence[SentFolder], number_format: str) -> dict[int, int]:
    values: list[str] = []
    for folder in folders:
        folder.open()
        values += folder.header_values(CASE_HEADER)
    return highest_numbers(number_format, values)


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
