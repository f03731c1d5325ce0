"""When is a message one the store already holds?

The same IMAP message (mailbox, UIDVALIDITY, UID) always is. Otherwise a
message is a duplicate only when it is the same mail: the same Message-ID
*and* the same content, that is the same body and the same From, Subject and
Date (`content_key`). The same mail delivered twice, with other Received
headers, is one; a different mail under a Message-ID the store knows (broken
clients, form generators and resending systems reuse ids) is registered as a
message of its own, under the key "mid+<content key>:<Message-ID>", flagged
`message_id_reused` and kept raw. Without a Message-ID the raw bytes' sha256
is the key.

Comparing contents costs a hash of the message and of the stored message
that holds the id, so it is done only when the Message-ID is taken already.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from store.models import Case, Message
from store.privacy_keys import erased_key, known_secret
from store.registration_input import EventRecord, InboundRecord
from store.vocabulary import Flag

REUSED = Flag.MESSAGE_ID_REUSED  # case flag and event kind
_FIELDS = (b"from", b"subject", b"date")


@dataclass(frozen=True)
class Stored:
    """A message of the store that a record turned out to be."""

    id: int
    case_number: str | None
    # Its personal data was erased (store/erasure.py): known by a keyed hash
    # of its dedupe key only, and never registered again.
    erased: bool = False


# What becomes of each record: the stored message it is, the index of an
# earlier record of the batch it repeats, or the record to store (its own or
# one with its own key, when its Message-ID was reused).
Plan = Stored | int | InboundRecord


def content_key(raw: bytes) -> str:
    """A digest of what makes a mail this mail: the body and the From,
    Subject and Date headers, as sent (line endings and folding aside)."""
    text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    head, separator, body = text.partition(b"\n\n")
    values = _header_values(head)
    digest = hashlib.sha256()
    for name in _FIELDS:
        digest.update(name + b":" + values.get(name, b"") + b"\n")
    digest.update(b"\n" + (body.rstrip() if separator else b""))
    return digest.hexdigest()[:32]


def _header_values(head: bytes) -> dict[bytes, bytes]:
    """The first From, Subject and Date of a header block, unfolded."""
    values: dict[bytes, bytes] = {}
    current: bytes | None = None
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if current is not None:
                values[current] += b" " + line
            continue
        name, colon, value = line.partition(b":")
        key = name.strip().lower()
        current = key if colon and key in _FIELDS and key not in values else None
        if current is not None:
            values[current] = value
    return {key: b" ".join(value.split()) for key, value in values.items()}


def reused(record: InboundRecord, key: str) -> InboundRecord:
    """`record`, a different mail under a known Message-ID: its own key, a
    flag on the case it opens and an event in the trail (the messages that
    share the id are found by their `message_id`)."""
    event = EventRecord(REUSED, {})
    new_case = record.new_case
    if new_case is not None:
        new_case = replace(new_case, flags=(*new_case.flags, REUSED))
    return replace(
        record, content_key=key, new_case=new_case, events=(*record.events, event)
    )


def plan(session: Session, records: Sequence[InboundRecord]) -> list[Plan]:
    """What to do with each record, in order (one to three queries)."""
    return _Planner(session, records).run()


def _uid(record: InboundRecord) -> Hashable | None:
    if record.uid is None:
        return None
    return (record.mailbox, record.uidvalidity, record.uid)


class _Planner:
    """Decides record by record, in arrival order, against the store and the
    records of the batch before it (so a batch ends as one by one would)."""

    def __init__(self, session: Session, records: Sequence[InboundRecord]) -> None:
        self.session = session
        self.records = list(records)
        self.keys: dict[int, str] = {}  # content keys, computed when needed
        self.stored_keys: dict[int, str] = {}  # the same, of stored messages

    def run(self) -> list[Plan]:
        stored = self._stored(self.records)
        self._stored_reuses(stored)
        plans: list[Plan] = []
        first_of: dict[Hashable, int] = {}
        for index, record in enumerate(self.records):
            uid = _uid(record)
            found = stored.get(uid) if uid is not None else None
            earlier = first_of.get(uid) if uid is not None else None
            if found is None and earlier is None:
                record, found, earlier = self._by_key(index, record, stored, first_of)
            if found is not None:
                plans.append(found)
                continue
            if earlier is not None:
                plans.append(earlier)
                continue
            first_of[record.dedupe_key] = index
            if uid is not None:
                first_of[uid] = index
            self.records[index] = record
            plans.append(record)
        return plans

    def _by_key(
        self,
        index: int,
        record: InboundRecord,
        stored: dict[Hashable, Stored],
        first_of: dict[Hashable, int],
    ) -> tuple[InboundRecord, Stored | None, int | None]:
        """The record (with its own key when its Message-ID was reused) and
        the stored message or earlier record it is, if any."""
        key = record.dedupe_key
        found, earlier = stored.get(key), first_of.get(key)
        if not record.message_id or (found is not None and found.erased):
            return record, found, earlier
        if found is not None:
            theirs = self._stored_key(found)
        elif earlier is not None:
            theirs = self._key(earlier)
        else:
            return record, None, None
        mine = self._key(index)
        if mine == theirs:
            return record, found, earlier
        record = reused(record, mine)
        key = record.dedupe_key
        return record, stored.get(key), first_of.get(key)

    def _key(self, index: int) -> str:
        if index not in self.keys:
            self.keys[index] = content_key(self.records[index].raw)
        return self.keys[index]

    def _stored_key(self, found: Stored) -> str:
        if found.id not in self.stored_keys:
            query = select(Message.raw).where(Message.id == found.id)
            self.stored_keys[found.id] = content_key(self.session.scalar(query) or b"")
        return self.stored_keys[found.id]

    def _stored(self, records: Sequence[InboundRecord]) -> dict[Hashable, Stored]:
        """Stored messages by the records' keys and IMAP UIDs."""
        if not records:
            return {}
        conditions = [Message.dedupe_key.in_({r.dedupe_key for r in records})]
        mailboxes: dict[tuple[str | None, int | None], set[int]] = {}
        for record in records:
            if record.uid is not None:
                mailbox = (record.mailbox, record.uidvalidity)
                mailboxes.setdefault(mailbox, set()).add(record.uid)
        for (mailbox, uidvalidity), uids in mailboxes.items():
            conditions.append(
                and_(
                    Message.mailbox == mailbox,
                    Message.uidvalidity == uidvalidity,
                    Message.uid.in_(uids),
                )
            )
        found = self._select(or_(*conditions))
        self._erased(records, found)
        return found

    def _erased(
        self, records: Sequence[InboundRecord], found: dict[Hashable, Stored]
    ) -> None:
        """Add the erased messages the records are, under the records' keys."""
        key = known_secret(self.session)
        if key is None:
            return
        erased = {erased_key(key, r.dedupe_key): r.dedupe_key for r in records}
        for stored_key, stored in self._select(Message.dedupe_key.in_(erased)).items():
            if isinstance(stored_key, str):
                found[erased[stored_key]] = replace(stored, erased=True)

    def _stored_reuses(self, stored: dict[Hashable, Stored]) -> None:
        """Add the stored messages that took a reused Message-ID under their
        own key, for the records whose id is taken but whose content is not
        that message's (so a second copy of such a mail is a duplicate)."""
        wanted = {
            replace(record, content_key=self._key(index)).dedupe_key
            for index, record in enumerate(self.records)
            if record.message_id and record.dedupe_key in stored
        }
        if wanted:
            stored.update(self._select(Message.dedupe_key.in_(wanted)))

    def _select(self, condition: ColumnElement[bool]) -> dict[Hashable, Stored]:
        rows = self.session.execute(
            select(
                Message.id,
                Message.dedupe_key,
                Message.mailbox,
                Message.uidvalidity,
                Message.uid,
                Case.number,
            )
            .outerjoin(Case, Case.id == Message.case_id)
            .where(condition)
        ).all()
        found: dict[Hashable, Stored] = {}
        for id_, key, mailbox, uidvalidity, uid, number in rows:
            found[key] = Stored(id_, number)
            if uid is not None:
                found[(mailbox, uidvalidity, uid)] = Stored(id_, number)
        return found
