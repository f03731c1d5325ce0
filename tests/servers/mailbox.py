"""Mailbox chores for test servers: append, inspect and empty mailboxes over IMAP.

Each call opens its own connection, so it never disturbs the connection of the
code under test (Dovecot tells that code about the change, as with real mail).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from imapclient import IMAPClient

_BATCH = 100  # messages per MULTIAPPEND: measured faster than one huge command
_APPENDUID = re.compile(rb"APPENDUID \d+ ([0-9:,]+)")
# A parent that exists only through its children vanishes with them.
_VIRTUAL = frozenset({b"\\NonExistent", b"\\Noselect", b"\\NoSelect"})


class MailboxHelpers:
    """Mixin: needs ``client()`` (a logged-in IMAPClient context) and ``delimiter``."""

    delimiter: str

    def client(self, **options: Any) -> contextlib.AbstractContextManager[IMAPClient]:
        raise NotImplementedError

    def append(
        self,
        raw: bytes,
        mailbox: str = "INBOX",
        flags: Iterable[str] = (),
        internaldate: dt.datetime | None = None,
    ) -> int:
        """Append one message with its bytes unchanged and return its UID.

        IMAPClient's ``append()`` rewrites bare LF to CRLF; the MULTIAPPEND form used
        here sends the literal as given (Dovecot still serves LF-only mail as CRLF).
        """
        item: dict[str, object] = {"msg": raw, "flags": tuple(flags)}
        if internaldate is not None:
            item["date"] = internaldate
        with self.client() as client:
            return _multiappend(client, mailbox, [item])[0]

    def append_many(self, raws: Iterable[bytes], mailbox: str = "INBOX") -> list[int]:
        """Append messages over one connection (MULTIAPPEND); return their UIDs."""
        messages = list(raws)
        uids: list[int] = []
        with self.client() as client:
            for start in range(0, len(messages), _BATCH):
                batch = messages[start : start + _BATCH]
                uids.extend(_multiappend(client, mailbox, batch))
        return uids

    def fetch_flags(self, mailbox: str = "INBOX") -> dict[int, set[str]]:
        """Stored flags and keywords of every message in *mailbox*, by UID.

        ``\\Recent`` is left out: it depends on which session looked first.
        """
        with self.client() as client:
            client.select_folder(mailbox, readonly=True)
            uids = client.search("ALL")
            data = client.get_flags(uids) if uids else {}
        return {uid: {_text(f) for f in fl} - {"\\Recent"} for uid, fl in data.items()}

    def fetch_raw(self, uid: int, mailbox: str = "INBOX") -> bytes:
        """The stored bytes of one message, read without setting \\Seen."""
        with self.client() as client:
            client.select_folder(mailbox, readonly=True)
            data = client.fetch([uid], ["BODY.PEEK[]"])
        return data[uid][b"BODY[]"]

    def list_uids(self, mailbox: str = "INBOX") -> list[int]:
        """UIDs present in *mailbox*, ascending."""
        with self.client() as client:
            client.select_folder(mailbox, readonly=True)
            return sorted(client.search("ALL"))

    def list_mailboxes(self) -> list[str]:
        """Names of all mailboxes of the user."""
        with self.client() as client:
            return [name for _flags, _delim, name in client.list_folders()]

    def create_mailbox(self, name: str) -> None:
        """Create mailbox *name* (use ``delimiter`` for hierarchy)."""
        with self.client() as client:
            client.create_folder(name)

    def reset(self) -> None:
        """Empty INBOX, delete every other mailbox and subscription."""
        with self.client() as client:
            folders = client.list_folders()
            # Children before parents, so no delete hits a parent with children.
            for flags, _delim, name in sorted(folders, key=_depth, reverse=True):
                if name.upper() != "INBOX" and not _VIRTUAL.intersection(flags):
                    client.delete_folder(name)
            for _flags, _delim, name in client.list_sub_folders():
                if name.upper() != "INBOX":
                    client.unsubscribe_folder(name)
            client.select_folder("INBOX")
            uids = client.search("ALL")
            if uids:
                client.delete_messages(uids)
                client.expunge()
            client.close_folder()


def _multiappend(client: IMAPClient, mailbox: str, items: list) -> list[int]:
    """APPEND *items* in one command; the UIDs come from ``[APPENDUID v set]``."""
    _typ, data = client.multiappend(mailbox, items)
    match = _APPENDUID.search(data[-1])
    if match is None:
        raise RuntimeError(f"no APPENDUID in {data!r}")
    uids: list[int] = []
    for part in match.group(1).decode().split(","):
        low, _sep, high = part.partition(":")
        uids.extend(range(int(low), int(high or low) + 1))
    return uids


def _depth(folder: tuple[tuple[bytes, ...], bytes, str]) -> int:
    _flags, delimiter, name = folder
    return name.count(delimiter.decode()) if delimiter else 0


def _text(flag: bytes | str) -> str:
    return flag.decode() if isinstance(flag, bytes) else flag
