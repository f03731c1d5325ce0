"""A local Maildir as a source, for an MTA that delivers locally and the demo.

Waiting are the files in new/ and the files in cur/ without the Seen flag
("S" in the info part, Maildir's ":2,FLAGS"). Once stored, a message is moved
to cur/ with "S" added: the same rename a mail reader does, so the file stays
readable by people. The received time is the file's modification time, which
is when the MTA delivered it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ingest.incoming import Incoming

BATCH = 50
_INFO = ":2,"


def split_info(name: str) -> tuple[str, str]:
    """A Maildir file name as (unique part, flags)."""
    base, sep, flags = name.partition(_INFO)
    return base, flags if sep else ""


class MaildirSource:
    """The Source protocol (ingest.batch.Source) over one Maildir folder."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.state_key = f"maildir:{self.path.resolve()}"[:400]

    def open(self) -> int | None:
        for sub in ("new", "cur", "tmp"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        return None

    def waiting(self, after_uid: int = 0) -> list[Path]:
        """New messages, then unseen ones in cur/, oldest delivery first."""
        found = [p for p in (self.path / "new").iterdir() if _is_mail(p)]
        found += [
            p
            for p in (self.path / "cur").iterdir()
            if _is_mail(p) and "S" not in split_info(p.name)[1]
        ]
        return sorted(found, key=_delivery_order)

    def batches(self, keys: Sequence[Path]) -> Iterator[list[Incoming]]:
        for start in range(0, len(keys), BATCH):
            items = [self._read(p) for p in keys[start : start + BATCH]]
            yield [item for item in items if item is not None]

    def mark(self, items: Sequence[Incoming]) -> None:
        """Move each stored file to cur/ with the Seen flag."""
        for item in items:
            path = Path(str(item.key))
            base, flags = split_info(path.name)
            flags = "".join(sorted(set(flags) | {"S"}))
            target = self.path / "cur" / f"{base}{_INFO}{flags}"
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
