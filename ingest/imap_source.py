"""The IMAP mailbox as a source of messages (imapclient).

Messages are found with `UID SEARCH UNKEYWORD <processed_keyword>`, so a
message that was stored but not yet marked (a crash in between) is found
again. Their sizes are read first: a message above `max_message_size` is
never fetched whole, only its header. Bodies are fetched with BODY.PEEK[] so
that nothing is \\Seen before it is stored.
"""

from __future__ import annotations

import contextlib
import imaplib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime

import structlog
from imapclient import IMAPClient

from config.errors import ConfigError
from config.schema import ImapSettings, OAuthSettings
from ingest.incoming import Incoming
from ingest.source import SOURCE_ERRORS, STATE_KEY_LIMIT, poll_wait
from mailconn.imap import drop, open_imap

log = structlog.get_logger()

# Everything a lost connection, a restarting server or a refused command
# raises; the daemon reconnects with backoff after any of them.
IMAP_ERRORS = SOURCE_ERRORS
# A FETCH asks for at most this many bytes' worth of messages at once.
FETCH_BYTES = 8 * 1024 * 1024
FETCH_COUNT = 100
SEEN = b"\\Seen"


class ImapSource:
    """One mailbox on one IMAP server. `connect()` before use, `close()` after."""

    # Select the mailbox read-only (a folder we only read, never change).
    readonly = False

    def __init__(
        self, settings: ImapSettings, oauth: OAuthSettings | None = None
    ) -> None:
        self.settings = settings
        self.oauth = oauth
        self.client: IMAPClient | None = None
        self.state_key = (
            f"imap://{settings.username}@{settings.host}:{settings.port}"
            f"/{settings.mailbox}"
        )[:STATE_KEY_LIMIT]
        self._uidvalidity: int | None = None
        # The highest UID the last `waiting()` saw: mail above it arrived since.
        self._highest_seen = 0
        self._highest_of: int | None = None
        self._keywords_kept = True  # PERMANENTFLAGS allows the keyword

    # -- connection ---------------------------------------------------------------

    def connect(self) -> None:
        """Connect, secure, log in, select the mailbox. Raises IMAP_ERRORS."""
        self.close()
        s = self.settings
        client = open_imap(s, self.oauth)
        try:
            client.normalise_times = False  # keep INTERNALDATE's own offset
            if s.processed_mailbox and not client.folder_exists(s.processed_mailbox):
                client.create_folder(s.processed_mailbox)
            self._selected(client.select_folder(s.mailbox, readonly=self.readonly))
        except BaseException:
            drop(client)
            raise
        self.client = client
        log.info("imap.connected", mailbox=s.mailbox)

    def close(self) -> None:
        """Log out (or just drop a broken connection)."""
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.logout()
        except IMAP_ERRORS:
            drop(client)

    @property
    def connected(self) -> IMAPClient:
        if self.client is None:
            raise imaplib.IMAP4.abort("not connected")
        return self.client

    # -- the Source protocol --------------------------------------------------------

    def open(self) -> int | None:
        """Re-select the mailbox (fresh UIDVALIDITY); connect when needed."""
        if self.client is None:
            self.connect()
        else:
            self._selected(
                self.connected.select_folder(
                    self.settings.mailbox, readonly=self.readonly
                )
            )
        if self._uidvalidity != self._highest_of:  # UIDs of another mailbox life
            self._highest_seen, self._highest_of = 0, self._uidvalidity
        return self._uidvalidity

    def _selected(self, info: dict) -> None:
        """Note UIDVALIDITY and whether the keyword can be stored.

        A server that cannot keep our keyword (Exchange: no \\* in
        PERMANENTFLAGS) would hand every message over again: without a
        processed_mailbox to move them to, that is a configuration error.
        """
        self._uidvalidity = int(info[b"UIDVALIDITY"])
        if self.readonly:  # a folder only read marks nothing (EXAMINE: no flags)
            return
        self._keywords_kept = keywords_kept(
            info.get(b"PERMANENTFLAGS"), self.settings.processed_keyword
        )
        if not self._keywords_kept and not self.settings.processed_mailbox:
            raise ConfigError(
                f"config: the IMAP server does not keep keywords in "
                f"{self.settings.mailbox} (no \\* in PERMANENTFLAGS): set [imap] "
                f"processed_mailbox so that taken-in mail is moved there"
            )

    def waiting(self, after_uid: int) -> list[int]:
        """UIDs without the processed keyword (above `after_uid`), ascending."""
        criteria: list[str | bytes] = ["UNKEYWORD", self.settings.processed_keyword]
        if after_uid > 0:
            criteria += ["UID", f"{after_uid + 1}:*"]
        found = self.connected.search(criteria)
        # "n:*" always matches the highest UID, even when it is below n.
        uids = sorted(uid for uid in found if uid > after_uid)
        self._highest_seen = max([self._highest_seen, after_uid, *uids[-1:]])
        return uids

    def processed(self) -> list[int]:
        """UIDs carrying the processed keyword, ascending (`reconcile`)."""
        criteria = ["KEYWORD", self.settings.processed_keyword]
        return sorted(self.connected.search(criteria))

    def batches(self, keys: Sequence[int]) -> Iterator[list[Incoming]]:
        """Messages in FETCHes of bounded size; too large ones as header only."""
        for chunk in _chunks(list(keys), FETCH_COUNT):
            sizes = self._sizes(chunk)
            limit = self.settings.max_message_size
            for group in _by_bytes([u for u in chunk if u in sizes], sizes, limit):
                yield self._fetch(group, sizes)

    def mark(self, items: Sequence[Incoming]) -> None:
        """Keyword and \\Seen (each when it applies); then MOVE to
        processed_mailbox when configured."""
        uids = [int(item.key) for item in items]  # type: ignore[call-overload]
        client = self.connected
        flags = [self.settings.processed_keyword.encode()]
        if not self._keywords_kept:
            flags = []
        if self.settings.mark_seen:
            flags.append(SEEN)
        if flags:
            client.add_flags(uids, flags)
        target = self.settings.processed_mailbox
        if not target:
            return
        if client.has_capability("MOVE"):
            client.move(uids, target)
            return
        client.copy(uids, target)
        client.delete_messages(uids)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:  # without UIDPLUS only a full EXPUNGE exists
            client.expunge()

    # -- waiting for mail -----------------------------------------------------------

    def wait_for_mail(
        self,
        timeout: float,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], object] = time.sleep,
    ) -> bool:
        """Wait up to `timeout` s for new mail; True when it is worth looking.

        With IDLE (when offered and enabled) this returns as soon as the
        server reports a new message, renewing IDLE every `idle_renew`
        seconds; otherwise it sleeps `poll_interval` (at most `timeout`)
        and returns True. `should_stop` is checked every second or so.
        """
        if self.settings.idle and self.connected.has_capability("IDLE"):
            return self._idle(timeout, should_stop)
        poll_wait(min(timeout, self.settings.poll_interval), should_stop, sleep)
        return True

    def _idle(self, timeout: float, should_stop: Callable[[], bool]) -> bool:
        client = self.connected
        if self._arrived_unseen():
            return True
        deadline = time.monotonic() + timeout
        while not should_stop() and time.monotonic() < deadline:
            renew_at = time.monotonic() + self.settings.idle_renew
            client.idle()
            empty_wakeups = 0
            try:
                while not should_stop() and time.monotonic() < min(deadline, renew_at):
                    started = time.monotonic()
                    responses = client.idle_check(timeout=1.0)
                    if any(_is_new_mail(r) for r in responses):
                        return True
                    _raise_on_bye(responses)
                    # imapclient swallows EOF: a readable socket that yields
                    # nothing, again and again, is a connection the server closed.
                    quick = not responses and time.monotonic() - started < 0.5
                    empty_wakeups = empty_wakeups + 1 if quick else 0
                    if empty_wakeups >= 3:
                        raise imaplib.IMAP4.abort("connection closed by the server")
            finally:
                _idle_done_quietly(client)
        return False

    # -- internals -----------------------------------------------------------------

    def _arrived_unseen(self) -> bool:
        """Mail that arrived after the last look, before IDLE began.

        The server announces a new message once, in the untagged EXISTS of
        whatever command runs next; when that was a STORE or FETCH of the
        intake pass, imapclient drops it and IDLE would wait for the next
        message. Only UIDs above the highest one seen count, so a message
        that stays unmarked (a stop mid-batch) does not spin the loop.
        """
        above = self._highest_seen + 1
        criteria = ["UNKEYWORD", self.settings.processed_keyword, "UID", f"{above}:*"]
        found = self.connected.search(criteria)
        return any(uid >= above for uid in found)

    def _sizes(self, uids: list[int]) -> dict[int, int]:
        data = self.connected.fetch(uids, [b"RFC822.SIZE"])
        return {uid: int(v[b"RFC822.SIZE"]) for uid, v in data.items() if uid in uids}

    def _fetch(self, uids: list[int], sizes: dict[int, int]) -> list[Incoming]:
        limit = self.settings.max_message_size
        small = [u for u in uids if sizes[u] <= limit]
        large = [u for u in uids if sizes[u] > limit]
        found: dict[int, Incoming] = {}
        if small:
            data = self.connected.fetch(small, [b"BODY.PEEK[]", b"INTERNALDATE"])
            for uid, values in data.items():
                if uid in sizes and b"BODY[]" in values:
                    found[uid] = self._incoming(uid, values[b"BODY[]"], values)
        if large:
            items = [b"BODY.PEEK[HEADER]", b"INTERNALDATE"]
            for uid, values in self.connected.fetch(large, items).items():
                if uid in sizes and b"BODY[HEADER]" in values:
                    raw = values[b"BODY[HEADER]"]
                    found[uid] = self._incoming(uid, raw, values, sizes[uid])
        # A message another client expunged meanwhile is simply not there.
        return [found[u] for u in uids if u in found]

    def _incoming(
        self, uid: int, raw: bytes, values: dict, full_size: int | None = None
    ) -> Incoming:
        return Incoming(
            raw=bytes(raw),
            received_at=_aware(values.get(b"INTERNALDATE")),
            source="imap",
            key=uid,
            mailbox=self.settings.mailbox,
            uidvalidity=self._uidvalidity,
            uid=uid,
            full_size=full_size,
        )


def keywords_kept(permanent: object, keyword: str) -> bool:
    """Whether PERMANENTFLAGS lets the keyword be stored (RFC 3501: a server
    that sends none keeps every flag)."""
    if not isinstance(permanent, tuple | list):
        return True
    names = {f.lower() for f in permanent if isinstance(f, bytes)}
    return b"\\*" in names or keyword.encode().lower() in names


def _aware(value: object) -> datetime:
    """INTERNALDATE as an aware datetime; now when the server gave none."""
    if not isinstance(value, datetime):
        return datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _is_new_mail(response: tuple) -> bool:
    return len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT")


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_bytes(uids: list[int], sizes: dict[int, int], limit: int) -> Iterator[list]:
    """Groups whose fetched bytes stay under FETCH_BYTES (headers count little)."""
    group: list[int] = []
    total = 0
    for uid in uids:
        size = sizes[uid] if sizes[uid] <= limit else 0
        if group and total + size > FETCH_BYTES:
            yield group
            group, total = [], 0
        group.append(uid)
        total += size
    if group:
        yield group


def _raise_on_bye(responses: list[object]) -> None:
    for response in responses:
        if isinstance(response, tuple) and response and response[0] == b"BYE":
            raise imaplib.IMAP4.abort("server said BYE")


def _idle_done_quietly(client: IMAPClient) -> None:
    """End IDLE; on a dead connection the error that got us here matters more."""
    with contextlib.suppress(*IMAP_ERRORS):
        client.idle_done()


class SentFolderSource(ImapSource):
    """The shared mailbox's sent folder ([imap] sent_mailbox), read only.

    Coordinators' answers sent from Outlook lie here. Nothing in it is ever
    changed (no keyword, no \\Seen, no move: it is the coordinators' folder);
    which messages were read is known from the UID position the store keeps
    per folder, so every message is read once per UIDVALIDITY.
    """

    readonly = True

    def __init__(
        self,
        settings: ImapSettings,
        oauth: OAuthSettings | None = None,
        folder: str | None = None,
    ) -> None:
        folder = settings.sent_mailbox if folder is None else folder
        super().__init__(replace(settings, mailbox=folder, processed_mailbox=""), oauth)

    def waiting(self, after_uid: int) -> list[int]:
        """Every UID above `after_uid`, ascending."""
        found = self.connected.search(["UID", f"{after_uid + 1}:*"])
        return sorted(uid for uid in found if uid > after_uid)

    def mark(self, items: Sequence[Incoming]) -> None:
        """Nothing: the position in the store says what was read."""

    def header_fields(self, names: Sequence[str]) -> list[dict[str, str]]:
        """Headers `names` of every message of the folder, one dict per
        message (lower-case name -> first value, unfolded; a missing header is
        absent), read with BODY.PEEK: nothing is changed. Every message is
        asked, a few bytes each: SEARCH HEADER is not on every server's menu."""
        client = self.connected
        uids = sorted(client.search(["ALL"]))
        wanted = " ".join(name.upper() for name in names)
        field = f"BODY[HEADER.FIELDS ({wanted})]".encode()
        request = f"BODY.PEEK[HEADER.FIELDS ({wanted})]"
        found: list[dict[str, str]] = []
        for start in range(0, len(uids), FETCH_COUNT * 10):
            chunk = uids[start : start + FETCH_COUNT * 10]
            for data in client.fetch(chunk, [request]).values():
                found.append(header_block(data.get(field, b""), names))
        return found


def header_block(block: bytes, names: Sequence[str]) -> dict[str, str]:
    """The first value of each of `names` in a fetched header block
    (unfolded), keyed by its lower-case name."""
    text = block.decode("ascii", "replace").replace("\r\n ", " ")
    text = text.replace("\r\n\t", " ")
    wanted = {name.lower() for name in names}
    values: dict[str, str] = {}
    for line in text.split("\r\n"):
        name, colon, value = line.partition(":")
        key = name.strip().lower()
        if colon and key in wanted and key not in values:
            values[key] = value.strip()
    return values
