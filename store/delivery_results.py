"""Record what a delivery batch did: the rows sent and skipped, in one go.

Delivery is at least once (store/outbox.py): until this commits, a mail that
went out is still "sending" and goes out again when its lease runs out. The
worker records every few mails, so the window is a few mails wide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from store.db import is_postgres
from store.models import Event, utcnow
from store.outbox import CASES, OUTBOX
from store.registration_rows import SYSTEM_ACTOR
from store.vocabulary import Audience, Flag, MailKind, MailStatus, Status


@dataclass(frozen=True)
class Sent:
    """One mail the server took, to be recorded."""

    id: int
    reply: str


@dataclass(frozen=True)
class Skipped:
    """One mail the policy held back, to be recorded."""

    id: int
    reason: str


def record_batch(
    session: Session, done: Sequence[Sent | Skipped], *, now: datetime
) -> None:
    """Record what a batch did in one transaction: a few statements for the
    whole batch (one read, each UPDATE and the events as executemany), not
    ORM objects per row.

    A sent member mail gets an event on its case; a sent acknowledgement also
    stamps the case acknowledged. A skipped one gets an event, and a skipped
    acknowledgement leaves the case "registered" with the flag
    "ack_not_sent", so the reminders catch it before the deadline; unless
    the case was answered already: its answer is its acknowledgement.
    """
    if not done:
        return
    query = _ROWS.where(OUTBOX.c.id.in_([item.id for item in done]))
    if is_postgres(session):
        query = query.with_for_update()
    rows = {row.id: row for row in session.execute(query)}
    record = _Record(utcnow())
    for item in done:
        record.add(rows[item.id], item)
    record.write(session, now)


class _Record:
    """The parameters of a batch's statements, gathered in `done` order."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.sent: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []
        self.acknowledged: list[dict[str, Any]] = []
        self.not_sent: set[int] = set()  # cases whose acknowledgement was skipped
        self.events: list[dict[str, Any]] = []

    def add(self, row: Any, item: Sent | Skipped) -> None:
        if isinstance(item, Sent):
            self.sent.append({"b_id": row.id, "b_reply": item.reply})
            if row.case_id is None or row.audience != Audience.MEMBER:
                return
            if row.kind == MailKind.ACKNOWLEDGEMENT:
                self.acknowledged.append({"b_id": row.case_id})
            details = {"message_id": row.message_id, "smtp_reply": item.reply}
            self._event(row, MailStatus.SENT, details)
            return
        self.skipped.append({"b_id": row.id, "b_reason": item.reason})
        if row.case_id is None:
            return
        if row.kind == MailKind.ACKNOWLEDGEMENT:
            self.not_sent.add(row.case_id)
        self._event(row, MailStatus.SKIPPED, {"reason": item.reason})

    def _event(self, row: Any, what: str, details: dict[str, Any]) -> None:
        self.events.append(
            {
                "case_id": row.case_id,
                "message_id": None,
                "at": self.at,
                "kind": f"{row.kind}_{what}",
                "actor": SYSTEM_ACTOR,
                "details": {"outbox_id": row.id, **details},
            }
        )

    def write(self, session: Session, now: datetime) -> None:
        for statement, params in (
            (_SENT, self.sent),
            (_SKIPPED, self.skipped),
            (_ACKNOWLEDGED, self.acknowledged),
        ):
            if params:
                session.execute(statement, [{**p, "b_now": now} for p in params])
        if self.not_sent:
            found = session.execute(_FLAGS.where(CASES.c.id.in_(self.not_sent)))
            flagged, answered = [], []
            for id_, flags, answered_at in found:
                if answered_at is not None:
                    # The member has the answer: it acknowledged the complaint.
                    answered.append({"b_id": id_, "b_at": answered_at})
                    continue
                flags = sorted({*(flags or ()), Flag.ACK_NOT_SENT.value})
                flagged.append({"b_id": id_, "b_flags": flags})
            for statement, params in ((_FLAG, flagged), (_BY_ANSWER, answered)):
                if params:
                    session.execute(statement, params)
        if self.events:
            session.execute(_EVENT, self.events)


# The statements, built once: building and keying them again for every
# batch cost about as much as running them.
_BY_ID = OUTBOX.c.id == bindparam("b_id")
_SENT = (
    update(OUTBOX)
    .where(_BY_ID)
    .values(
        status=MailStatus.SENT,
        sent_at=bindparam("b_now"),
        smtp_reply=bindparam("b_reply"),
        claimed_until=None,
        last_error=None,
    )
)
_SKIPPED = (
    update(OUTBOX)
    .where(_BY_ID)
    .values(
        status=MailStatus.SKIPPED, skip_reason=bindparam("b_reason"), claimed_until=None
    )
)
_CASE_BY_ID = CASES.c.id == bindparam("b_id")
_ACKNOWLEDGED = (
    update(CASES)
    .where(_CASE_BY_ID)
    .values(
        acknowledged_at=bindparam("b_now"),
        # The THEN value has no column to take its type from: a plain string.
        status=when(
            (CASES.c.status == Status.REGISTERED, Status.ACKNOWLEDGED.value),
            else_=CASES.c.status,
        ),
    )
)
_FLAGS = select(CASES.c.id, CASES.c.flags, CASES.c.answered_at)
_BY_ANSWER = (
    update(CASES)
    .where(_CASE_BY_ID, CASES.c.acknowledged_at.is_(None))
    .values(acknowledged_at=bindparam("b_at"))
)
_FLAG = update(CASES).where(_CASE_BY_ID).values(flags=bindparam("b_flags"))
_EVENT = insert(Event.__table__)
_ROWS = select(
    OUTBOX.c.id, OUTBOX.c.kind, OUTBOX.c.audience, OUTBOX.c.case_id, OUTBOX.c.message_id
)
