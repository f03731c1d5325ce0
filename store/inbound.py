"""Registration of inbound mail: a batch of messages in a few statements.

The intake hands over the messages of one fetch as `InboundRecord`s; they
are stored in the caller's transaction with one multi-row statement per
table (messages, cases, attachments, form fields, events, outbox) instead of
one unit-of-work flush per message: the ORM cost several milliseconds a
message, which capped the intake far below what a backlog needs. A single
message is a batch of one, so there is one way to register mail.

Idempotent on the message key and on the IMAP UID: a message already stored,
or repeated within the batch, is reported as a duplicate; a different mail
under a known Message-ID is not (store/message_identity.py). A concurrent
registration of the same message by another process surfaces as an
IntegrityError on the unique key; the caller rolls back and retries, and the
retry finds the duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from store import blobs, bounces, search
from store import message_identity as identity
from store.lifecycle import confirm_case
from store.member_lookup import with_earlier_language
from store.models import (
    Attachment,
    Case,
    Event,
    FormFieldValue,
    Message,
    OutboxMail,
    utcnow,
)
from store.registration import add_event, case_by_number, open_cases
from store.registration_input import CaseRules, InboundRecord
from store.registration_rows import (
    SYSTEM_ACTOR,
    acknowledgement_row,
    attachment_row,
    event_rows,
    message_row,
)
from store.staff_actions import act_for_stored_copy, apply_staff_act, member_replied
from store.vocabulary import Flag, Status


@dataclass(frozen=True)
class Registered:
    """What registration did with one message."""

    message_id: int
    outcome: str  # "case", "follow_up", "stored", "duplicate"
    case_number: str | None = None


def register_inbound(
    session: Session, rules: CaseRules, record: InboundRecord
) -> Registered:
    """Store one message and open or extend its case (a batch of one)."""
    return register_many(session, rules, [record])[0]


def register_many(
    session: Session, rules: CaseRules, records: Sequence[InboundRecord]
) -> list[Registered]:
    """Store `records` in order; one `Registered` per record, in the same order."""
    plans = identity.plan(session, records)
    fresh = [(i, p) for i, p in enumerate(plans) if isinstance(p, InboundRecord)]
    batch = _Batch(session, rules, [record for _, record in fresh])
    stored = batch.store()
    results = {i: done for (i, _), done in zip(fresh, stored, strict=True)}
    for index, step in enumerate(plans):
        if isinstance(step, identity.Stored):
            results[index] = Registered(step.id, "duplicate", step.case_number)
        elif isinstance(step, int):
            first = results[step]
            results[index] = Registered(
                first.message_id, "duplicate", first.case_number
            )
        if _acting_copy(step, records[index]):
            results[index] = _copy_acts(session, rules, records[index], results[index])
    return [results[i] for i in range(len(records))]


def _acting_copy(step: identity.Plan, record: InboundRecord) -> bool:
    """A duplicate (not of an erased message) that would act on its case."""
    if isinstance(step, InboundRecord) or record.staff_act is None:
        return False
    return not (isinstance(step, identity.Stored) and step.erased)


def _copy_acts(
    session: Session, rules: CaseRules, record: InboundRecord, done: Registered
) -> Registered:
    """A believed copy of a stored mail acts when the stored copy did not
    (store/staff_actions.py `act_for_stored_copy`)."""
    case = act_for_stored_copy(session, rules, done.message_id, record)
    if case is None:
        return done
    search.reindex(session, [case.id])
    return Registered(done.message_id, "duplicate", case.number)


class _Batch:
    """The fresh records of one call, written table by table."""

    def __init__(
        self, session: Session, rules: CaseRules, records: list[InboundRecord]
    ) -> None:
        self.session = session
        self.rules = rules
        self.records = records
        self.case_ids: list[int | None] = [None] * len(records)
        self.numbers: list[str | None] = [None] * len(records)
        self.message_ids: list[int] = []

    def store(self) -> list[Registered]:
        if not self.records:
            return []
        followed = self._follow_up_cases()
        returned = self._returned_mails()
        self._open_cases()
        self._insert_messages()
        self._insert_details()
        search.reindex(self.session, self.case_ids)
        for index, mail in returned.items():
            record = self.records[index]
            bounces.flag_bounced(
                self.session, mail, self.message_ids[index], record.bounce_failed
            )
        for index, case in followed.items():
            record = self.records[index]
            if record.staff:
                # Staff mail changes nothing on the case unless it is believed
                # and answers the member or runs commands; one not believed
                # is for a person to check.
                if record.staff_unverified:
                    self._flag_for_review(case)
                elif record.staff_act is not None:
                    apply_staff_act(
                        self.session, self.rules, case, record.staff_act,
                        record.dedupe_key,
                    )  # fmt: skip
                    self.session.flush()
                continue
            if record.stranger:
                self._needs_review(case, record)
            elif case.status == Status.AWAITING_CONFIRMATION:
                self._confirm(case, record)
            else:
                member_replied(self.session, self.rules, case, record.dedupe_key)
                self.session.flush()
        return [self._registered(i) for i in range(len(self.records))]

    def _registered(self, index: int) -> Registered:
        record = self.records[index]
        outcome = "stored"
        if record.new_case is not None:
            outcome = "case"
        elif record.follow_up_number is not None:
            outcome = "follow_up"
        return Registered(self.message_ids[index], outcome, self.numbers[index])

    def _follow_up_cases(self) -> dict[int, Case]:
        """Lock the cases the follow-ups join (before any number is taken)."""
        followed = {}
        for index, record in enumerate(self.records):
            if record.new_case is None and record.follow_up_number is not None:
                case = case_by_number(self.session, record.follow_up_number, lock=True)
                followed[index] = case
                self.case_ids[index] = case.id
                self.numbers[index] = case.number
        return followed

    def _returned_mails(self) -> dict[int, OutboxMail]:
        """Delivery reports of our own mail join the case of that mail."""
        returned = {}
        for index, record in enumerate(self.records):
            mail = bounces.returned_mail(self.session, record)
            if mail is not None and mail.case is not None:
                returned[index] = mail
                self.case_ids[index] = mail.case.id
                self.numbers[index] = mail.case.number
        return returned

    def _open_cases(self) -> None:
        """Number the new cases (in arrival order, per year) and insert them."""
        opening = [i for i, r in enumerate(self.records) if r.new_case is not None]
        for index in opening:
            self._language_from_history(index)
        news = [self.records[i].new_case for i in opening]
        opened = open_cases(self.session, self.rules, news)  # type: ignore[arg-type]
        for index, (case_id, number) in zip(opening, opened, strict=True):
            self.case_ids[index] = case_id
            self.numbers[index] = number

    def _language_from_history(self, index: int) -> None:
        """A new case whose text and forms left the language open takes the
        language of the member's latest earlier case (before the postcode)."""
        record = self.records[index]
        if record.new_case is None:
            return
        new = with_earlier_language(self.session, record.new_case)
        if new is not record.new_case:
            self.records[index] = replace(record, new_case=new)

    def _insert_messages(self) -> None:
        rows = [
            message_row(record, case_id)
            for record, case_id in zip(self.records, self.case_ids, strict=True)
        ]
        table = Message.__table__
        ids = blobs.insert_rows(
            self.session, table, rows, blob="raw", key=table.c.dedupe_key
        )
        self.message_ids = [ids[row["dedupe_key"]] for row in rows]

    def _insert_details(self) -> None:
        """Attachments, form fields, audit events and acknowledgements."""
        attachments: list[dict[str, Any]] = []
        fields: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        outbox: list[dict[str, Any]] = []
        now = utcnow()
        for index, record in enumerate(self.records):
            case_id = self.case_ids[index]
            message_id = self.message_ids[index]
            attachments.extend(
                attachment_row(item, case_id, message_id) for item in record.attachments
            )
            if case_id is not None:
                fields.extend(
                    {
                        "case_id": case_id,
                        "key": item.key,
                        "value": item.value,
                        "source": item.source,
                        "origin": item.origin,
                    }
                    for item in record.form_fields
                )
            events.extend(event_rows(record, case_id, message_id, now))
            number = self.numbers[index]
            new = record.new_case
            if new is not None and record.acknowledge_to and number:
                outbox.append(
                    acknowledgement_row(
                        self.rules,
                        case_id,
                        number,
                        new.language,
                        record.acknowledge_to,
                        record,
                        verified=record.acknowledge_verified,
                    )
                )
        if attachments:  # never updated after: SQLite would rewrite each blob
            blobs.insert_rows(
                self.session, Attachment.__table__, attachments, blob="data"
            )
        for table, rows in (
            (FormFieldValue.__table__, fields),
            (Event.__table__, events),
            (OutboxMail.__table__, outbox),
        ):
            if rows:
                self.session.execute(insert(table), rows)

    def _needs_review(self, case: Case, record: InboundRecord) -> None:
        """A stranger's mail that names the case: a person decides."""
        self._flag_for_review(case)
        add_event(
            self.session,
            "stranger_mail",
            case=case,
            actor=SYSTEM_ACTOR,
            sender=record.sender,
            subject=(record.subject or "")[:200],
        )
        self.session.flush()

    def _flag_for_review(self, case: Case) -> None:
        # A new list, not an in-place change: JSON columns only see assignment.
        case.flags = sorted({*(case.flags or ()), Flag.NEEDS_REVIEW})
        self.session.flush()

    def _confirm(self, case: Case, record: InboundRecord) -> None:
        """A mail joining an oral complaint that waits for it is the confirmation."""
        names = [a.filename for a in record.attachments]
        confirm_case(
            self.session,
            case,
            record.received_at,
            SYSTEM_ACTOR,
            attachments=names,
            via="mail",
        )
        self.session.flush()  # its events before those of any later statement
