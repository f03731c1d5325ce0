"""A local Maildir as a source, for an MTA that delivers locally and the demo.

Waiting is every file in new/ and cur/, read or not: a person who opens a
complaint in a mail client before the service got to it sets the Seen flag,
and that must not make the complaint disappear. Once stored, a message moves
to the Maildir++ folder `.<processed_folder>` (cur/, with "S" added), where
people can still read it. The received time is the file's modification
time, which is when the MTA delivered it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ingest.incoming import Incoming
from ingest.source import STATE_KEY_LIMIT, LocalSource

BATCH = 50
_INFO = ":2,"


def split_info(name: str) -> tuple[str, str]:
    """A Maildir file name as (unique part, flags)."""
    base, sep, flags = name.partition(_INFO)
    return base, flags if sep else ""


class MaildirSource(LocalSource):
    """The Source protocol (ingest.source.Source) over one Maildir folder."""

    def __init__(
        self,
        path: str | Path,
        processed_folder: str = "Verwerkt",
        poll_interval: float = 60.0,
    ) -> None:
        self.path = Path(path)
        self.processed_path = self.path / f".{processed_folder}"
        self.poll_interval = poll_interval
        self.state_key = f"maildir:{self.path.resolve()}"[:STATE_KEY_LIMIT]

    def open(self) -> int | None:
        for folder in (self.path, self.processed_path):
            for sub in ("new", "cur", "tmp"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
        (self.processed_path / "maildirfolder").touch()  # marks a Maildir++ folder
        return None

    def waiting(self, after_uid: int = 0) -> list[Path]:
        """Every message in new/ and cur/, oldest delivery first."""
        found = [
            p
            for sub in ("new", "cur")
            for p in (self.path / sub).iterdir()
            if _is_mail(p)
        ]
        return sorted(found, key=_delivery_order)

    def processed(self) -> list[Path]:
        """Every message in the processed folder (`reconcile`)."""
        found = [
            p
            for sub in ("new", "cur")
            for p in (self.processed_path / sub).iterdir()
            if _is_mail(p)
        ]
        return sorted(found, key=_delivery_order)

    def batches(self, keys: Sequence[Path]) -> Iterator[list[Incoming]]:
        for start in range(0, len(keys), BATCH):
            items = [self._read(p) for p in keys[start : start + BATCH]]
            yield [item for item in items if item is not None]

    def mark(self, items: Sequence[Incoming]) -> None:
        """Move each stored file to the processed folder's cur/, marked Seen."""
        for item in items:
            path = Path(str(item.key))
            base, flags = split_info(path.name)
            flags = "".join(sorted(set(flags) | {"S"}))
            target = self.processed_path / "cur" / f"{base}{_INFO}{flags}"
            try:
                os.replace(path, target)
            except FileNotFoundError:  # moved by someone else meanwhile
                continue

    def _read(self, path: Path) -> Incoming | None:
        try:
            raw = path.read_bytes()
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return None
        return Incoming(
            raw=raw,
            received_at=datetime.fromtimestamp(mtime, UTC),
            source="maildir",
            key=str(path),
        )


def _is_mail(path: Path) -> bool:
    return not path.name.startswith(".") and path.is_file()


def _delivery_order(path: Path) -> tuple[float, str]:
    try:
        return path.stat().st_mtime, path.name
    except FileNotFoundError:
        return 0.0, path.name
