"""Files as a source, for `klachten import`: .eml files, folders, mbox files.

A file whose name ends in .mbox (or .mbx) is read as an mbox (one message per
"From " line); every other file is one raw message. Folders are walked
recursively in name order, skipping hidden files.

The received time of an imported message is its Date header when present and
readable, else the file's modification time: there is no delivery time for a
file, and for backlogs the Date header is the best witness of when the member
wrote. Importing twice registers nothing twice (the store's dedupe).
"""

from __future__ import annotations

import email.utils
import mailbox
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

from ingest.incoming import Incoming
from ingest.source import LocalSource

BATCH = 50
MBOX_SUFFIXES = (".mbox", ".mbx")


@dataclass(frozen=True)
class FileKey:
    """One message in a file: the whole file, or entry `entry` of an mbox."""

    path: Path
    entry: int | None = None


class FilesSource(LocalSource):
    """The Source protocol (ingest.source.Source) over paths given by a person.

    Files given once get no new mail while the import waits."""

    receives_mail = False

    def __init__(self, paths: Sequence[str | Path]) -> None:
        self.paths = [Path(p) for p in paths]
        self.state_key = "import"

    def open(self) -> int | None:
        missing = [str(p) for p in self.paths if not p.exists()]
        if missing:
            raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
        return None

    def waiting(self, after_uid: int = 0) -> list[FileKey]:
        keys: list[FileKey] = []
        for path in self.paths:
            for file in _files(path):
                if file.suffix.lower() in MBOX_SUFFIXES:
                    box = mailbox.mbox(file, create=False)
                    keys += [FileKey(file, k) for k in box.iterkeys()]
                    box.close()
                else:
                    keys.append(FileKey(file))
        return keys

    def batches(self, keys: Sequence[FileKey]) -> Iterator[list[Incoming]]:
        boxes: dict[Path, mailbox.mbox] = {}
        try:
            for start in range(0, len(keys), BATCH):
                yield [self._read(k, boxes) for k in keys[start : start + BATCH]]
        finally:
            for box in boxes.values():
                box.close()

    def mark(self, items: Sequence[Incoming]) -> None:
        """Files are not changed: the store remembers what was imported."""

    def _read(self, key: FileKey, boxes: dict[Path, mailbox.mbox]) -> Incoming:
        if key.entry is None:
            raw = key.path.read_bytes()
        else:
            box = boxes.get(key.path)
            if box is None:
                box = boxes[key.path] = mailbox.mbox(key.path, create=False)
            raw = box.get_bytes(key.entry)
        received = header_date(raw) or datetime.fromtimestamp(
            key.path.stat().st_mtime, UTC
        )
        return Incoming(raw=raw, received_at=received, source="import", key=key)


def _files(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    for child in sorted(path.rglob("*")):
        hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
        if child.is_file() and not hidden:
            yield child


def header_date(raw: bytes) -> datetime | None:
    """The Date header as an aware datetime, or None when absent or unreadable."""
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(raw).get("Date")
        if not value:
            return None
        parsed = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError, OverflowError, LookupError):
        return None
    if parsed.year < 1970 or parsed.year > 9999:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
