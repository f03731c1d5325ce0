"""What a mail source hands to the intake: one message's bytes and its facts."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class EarlierAck:
    """What our sent mail shows a lost store did with a complaint that
    `reconcile` registers again: the number it gave and when it said so."""

    number: str
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Incoming:
    """One message as fetched, before anything is decided about it.

    `key` is the source's own handle (an IMAP UID, a file path) used to mark
    the message once it is stored. `full_size` is set when the message was too
    large to fetch and `raw` holds only its header.
    """

    raw: bytes
    received_at: datetime
    source: str  # "imap", "maildir", "import"
    key: Hashable
    mailbox: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None
    full_size: int | None = None
    earlier: EarlierAck | None = None  # set by reconcile only

    @property
    def complete(self) -> bool:
        return self.full_size is None
