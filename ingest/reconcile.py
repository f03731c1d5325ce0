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
found there, so no number a member was given goes to another complaint. An
acknowledgement also names the complaint it answers (`X-Klachten-Complaint`,
its sha256; older copies only by In-Reply-To): that complaint gets its number
back and counts as acknowledged when the copy says, so the member's number
stays theirs and no reminder asks for an acknowledgement they had.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

import structlog

from ingest.batch import IntakeStats
from ingest.incoming import EarlierAck, Incoming
from ingest.intake import Intake
from ingest.parse import parse_message
from store.db import transaction
from store.numbering import (
    format_number,
    highest_numbers,
    parse_number,
    raise_counters,
)
from store.restore_state import held
from store.vocabulary import OwnHeader

log = structlog.get_logger()
REGISTER_BATCH = 50
_SHA256 = re.compile(r"[0-9a-f]{64}")


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

    def header_fields(self, names: Sequence[str]) -> list[dict[str, str]]:
        """Per message: lower-case header name -> first value."""
        ...

    def close(self) -> None: ...


SENT_HEADERS = (OwnHeader.CASE, OwnHeader.COMPLAINT, "In-Reply-To", "Date")


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
    sent_mail = _read_sent(sent)
    number_format = intake.rules.number_format
    result.given = highest_numbers(number_format, _numbers(sent_mail))
    earlier = earlier_acks(sent_mail, number_format)
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
            result.missing += _missing(intake, batch, earlier)
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


def _read_sent(folders: Sequence[SentFolder]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for folder in folders:
        folder.open()
        found += folder.header_fields(SENT_HEADERS)
    return found


def _numbers(sent_mail: Sequence[dict[str, str]]) -> list[str]:
    case = OwnHeader.CASE.lower()
    return [mail[case] for mail in sent_mail if case in mail]


def earlier_acks(
    sent_mail: Sequence[dict[str, str]], number_format: str
) -> dict[str, EarlierAck]:
    """ "sha256:<hex>" and "mid:<Message-ID>" of the complaints our sent mail
    answered -> the number it named and the earliest such mail's date. A
    complaint named with two different numbers is left out: no guess."""
    found: dict[str, EarlierAck] = {}
    torn: set[str] = set()
    for mail in sent_mail:
        parsed = parse_number(number_format, mail.get(OwnHeader.CASE.lower(), ""))
        if parsed is None:
            continue
        number = format_number(number_format, *parsed)
        sent_at = _date(mail.get("date", ""))
        for key in _complaint_keys(mail):
            before = found.get(key)
            if before is not None and before.number != number:
                torn.add(key)
            elif before is None or _earlier(sent_at, before.sent_at):
                found[key] = EarlierAck(number, sent_at)
    return {key: ack for key, ack in found.items() if key not in torn}


def _complaint_keys(mail: dict[str, str]) -> list[str]:
    keys = []
    sha = mail.get(OwnHeader.COMPLAINT.lower(), "").strip().lower()
    if _SHA256.fullmatch(sha):
        keys.append("sha256:" + sha)
    replied = mail.get("in-reply-to", "").strip()
    if replied.startswith("<") and replied.endswith(">") and len(replied) > 2:
        keys.append("mid:" + replied[1:-1])
    return keys


def _date(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _earlier(new: datetime | None, old: datetime | None) -> bool:
    return new is not None and (old is None or new < old)


def _missing(
    intake: Intake, batch: list[Incoming], earlier: dict[str, EarlierAck]
) -> list[Incoming]:
    """The messages of `batch` the store neither holds nor erased, each with
    what our sent mail says about it."""
    shas = [hashlib.sha256(item.raw).hexdigest() for item in batch]
    with transaction(intake.sessions) as session:
        by_sha = held(session, [(None, sha) for sha in shas])
        unknown = [i for i, found in enumerate(by_sha) if not found]
        if not unknown:
            return []
        ids = {i: _message_id(batch[i].raw) for i in unknown}
        again = held(session, [(ids[i], shas[i]) for i in unknown])
    missing = []
    for i, found in zip(unknown, again, strict=True):
        if found:
            continue
        ack = earlier.get("sha256:" + shas[i])
        if ack is None and ids[i]:
            ack = earlier.get("mid:" + ids[i])
        missing.append(replace(batch[i], earlier=ack) if ack else batch[i])
    return missing


def _message_id(raw: bytes) -> str | None:
    try:
        return parse_message(raw).message_id
    except Exception:  # a mail that cannot be parsed is known by its hash only
        return None
