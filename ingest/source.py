"""What a mail source offers: the intake pass and the daemon ask nothing more.

An IMAP mailbox, a Maildir and files given to `klachten import` all
implement `Source`, so no caller asks which one it has. A source that cannot
be told about new mail (a Maildir, files) waits by polling.
"""

from __future__ import annotations

import imaplib
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, Protocol

from ingest.incoming import Incoming
from store.models import MailboxState

# A source's `state_key` names its row in the store: no longer than the column.
STATE_KEY_LIMIT = MailboxState.__table__.c.source.type.length

# Everything a source raises when its mail store is away: a lost connection,
# a restarting server, a refused command, a folder that is not there. The
# daemon reconnects with backoff after any of them.
SOURCE_ERRORS: tuple[type[BaseException], ...] = (imaplib.IMAP4.error, OSError)


class Source(Protocol):
    """A place messages wait in: an IMAP mailbox, a Maildir, files to import."""

    state_key: str

    def connect(self) -> None:
        """(Re)connect from scratch; raises SOURCE_ERRORS when it cannot."""
        ...

    def open(self) -> int | None:
        """Get ready; return the mailbox's UIDVALIDITY (None: no UIDs)."""
        ...

    def waiting(self, after_uid: int) -> Sequence[Hashable]:
        """Keys of the messages not yet marked, oldest first."""
        ...

    def batches(self, keys: Sequence[Hashable]) -> Iterator[list[Incoming]]:
        """The messages for `keys`, fetched a bounded batch at a time."""
        ...

    def mark(self, items: Sequence[Incoming]) -> None:
        """Mark stored messages as processed on the source."""
        ...

    def wait_for_mail(
        self,
        timeout: float,
        *,
        should_stop: Callable[[], bool] = ...,
        sleep: Callable[[float], object] = ...,
    ) -> bool:
        """Wait up to `timeout` s for new mail; True when it is worth looking.

        `should_stop` is asked about once a second; `sleep` waits (a stop
        flag's wait returns early)."""
        ...

    def close(self) -> None:
        """Let go of the connection, if any; safe to call twice."""
        ...


class LocalSource:
    """The daemon's part of `Source` for a source on this machine (a Maildir,
    files): nothing to log in to or let go of, and nothing tells it of new
    mail, so it waits by polling every `poll_interval` seconds."""

    poll_interval: float = float("inf")
    # Whether mail can arrive while it waits (files given once: no).
    receives_mail: bool = True

    def open(self) -> int | None:
        raise NotImplementedError

    def connect(self) -> None:
        """Get ready from scratch (raises OSError when the place is not there)."""
        self.open()

    def wait_for_mail(self, timeout: float, **how: Any) -> bool:
        """Wait `poll_interval` (at most `timeout`); True when new mail may be
        there. `how`: `should_stop` and `sleep`, as `poll_wait` takes them."""
        poll_wait(min(timeout, self.poll_interval), **how)
        return self.receives_mail

    def close(self) -> None:
        """Nothing is held open between passes."""


def poll_wait(
    seconds: float,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], object] = time.sleep,
) -> None:
    """Wait `seconds`, a second at a time, until `should_stop()` says so."""
    deadline = time.monotonic() + seconds
    while not should_stop():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        sleep(min(1.0, remaining))
