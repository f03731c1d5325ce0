"""Erasure of a member's personal data: the one write path.

`erase_member` (a member's request, `klachten member erase`) and
`store.retention.purge` (cases closed longer ago than the retention period)
both end in `erase_cases`. What goes: the member's details, the case's
subject, description and desired solution, every message's raw
mail, sender, subject and texts, attachments, form fields, the search row,
the recipients and contents of the case's outbox mails, and free text in
earlier audit events. What stays: the number, dates, channel, language,
category, cause, service, measure, outcome, office, status and flags (the
report's figures), message rows with their class and time, and the audit
trail with an `erased` event naming actor and reason. The measure is the
fund's own text about what it changed (issue 17, item 13: documented to hold
no personal data), and the yearly report lists it, so it stays too.

Two keyed hashes (store/privacy_keys.py) stand in for what was erased: the
member's pseudonym on the case (the report's repeat members) and each
message's dedupe key and sha256 (intake and `reconcile` recognise the mail
and never register it again).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, update
from sqlalchemy.orm import Session

from store.errors import UserError
from store.member_lookup import MemberQuery, case_messages, require_member
from store.models import Attachment, Case, Event, FormFieldValue, Message, OutboxMail
from store.privacy_keys import ERASED_PREFIX, erased_key, keyed, secret
from store.reclassify import MEMBER_COLUMNS
from store.registration import add_event
from store.report_data import member_key_of
from store.search import reindex
from store.vocabulary import (
    ERASED_SKIP_REASON,
    OPEN_STATUSES,
    UNSENT_MAIL_STATUSES,
    Flag,
    MailStatus,
)

ERASED_KIND = "erased"
_CASE_FIELDS = (
    *MEMBER_COLUMNS,
    "subject",
    "description",
    "desired_solution",
)
_MESSAGE_FIELDS = (
    "message_id",
    "sender",
    "subject",
    "in_reply_to",
    "references",
    "body_text",
    "new_text",
    "error",
)
# Event details whose strings are words of the vocabulary or staff facts,
# never the member's: kept. Every other string in an event is dropped.
_SAFE_DETAILS = frozenset(
    {
        "status",
        "previous",
        "outcome",
        "channel",
        "category",
        "cause",
        "service",
        "regional_office",
        "language",
        "template",
        "field",
        "as",
        "of",
        "into",
        "to",
        "kind",
        "how",
    }
)
_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


@dataclass(frozen=True)
class Erased:
    """What an erasure touched: case numbers and message count."""

    cases: tuple[str, ...]
    messages: int


def erase_member(
    session: Session,
    query: MemberQuery,
    *,
    reason: str,
    actor: str,
    force: bool = False,
) -> Erased:
    """Erase the member's personal data from every case and loose message.

    UserError, nothing changed: no such member, an empty reason, or open
    cases without `force`.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise UserError("--reason must not be empty")
    cases, loose = require_member(session, query)
    still_open = [c.number for c in cases if c.status in OPEN_STATUSES]
    if still_open and not force:
        raise UserError(
            f"open cases {', '.join(still_open)}: close them first or use --force"
        )
    return erase_cases(session, cases, loose, actor=actor, reason=reason, how="request")


def erase_cases(
    session: Session,
    cases: Sequence[Case],
    loose: Sequence[Message] = (),
    *,
    actor: str,
    reason: str,
    how: str,
) -> Erased:
    """Remove the personal data of `cases` and of `loose` messages, in the
    caller's transaction. `how` says why ("request" or "retention")."""
    key = secret(session)
    ids = [case.id for case in cases]
    messages = [*case_messages(session, ids), *loose]
    for case in cases:
        _erase_case(case, key)
    for message in messages:
        _erase_message(message, key)
    _drop_attachments_and_forms(session, ids, [m.id for m in messages])
    _scrub_events(session, ids, [m.id for m in messages])
    _scrub_outbox(session, ids)
    session.flush()
    reindex(session, ids)
    for case in cases:
        add_event(session, ERASED_KIND, case=case, actor=actor, how=how, reason=reason)
    for message in loose:
        add_event(
            session, ERASED_KIND, message=message, actor=actor, how=how, reason=reason
        )
    session.flush()
    return Erased(tuple(c.number for c in cases), len(messages))


def _erase_case(case: Case, key: bytes) -> None:
    member = member_key_of(case)
    if case.member_pseudonym is None and member is not None:
        case.member_pseudonym = keyed(key, member)
    for name in _CASE_FIELDS:
        setattr(case, name, None)
    if Flag.ERASED not in case.flags:
        case.flags = [*case.flags, Flag.ERASED.value]


def _erase_message(message: Message, key: bytes) -> None:
    if not message.dedupe_key.startswith(ERASED_PREFIX):
        message.dedupe_key = erased_key(key, message.dedupe_key)
        message.sha256 = keyed(key, "sha256:" + message.sha256)
    for name in _MESSAGE_FIELDS:
        setattr(message, name, None)
    message.reason = _ADDRESS.sub("[address]", message.reason)
    message.raw = b""


def _belonging(
    model: type[Attachment] | type[Event], case_ids: list[int], message_ids: list[int]
) -> ColumnElement[bool] | None:
    """Rows of `model` hanging under the cases or the messages; None: none."""
    conditions = []
    if case_ids:
        conditions.append(model.case_id.in_(case_ids))
    if message_ids:
        conditions.append(model.message_id.in_(message_ids))
    return or_(*conditions) if conditions else None


def _drop_attachments_and_forms(
    session: Session, case_ids: list[int], message_ids: list[int]
) -> None:
    condition = _belonging(Attachment, case_ids, message_ids)
    if condition is not None:
        session.execute(delete(Attachment).where(condition))
    if case_ids:
        session.execute(
            delete(FormFieldValue).where(FormFieldValue.case_id.in_(case_ids))
        )


def _scrub_events(
    session: Session, case_ids: list[int], message_ids: list[int]
) -> None:
    condition = _belonging(Event, case_ids, message_ids)
    if condition is None:
        return
    for event in session.query(Event).where(condition, Event.kind != ERASED_KIND):
        scrubbed = scrub_details(event.details)
        if scrubbed != event.details:
            event.details = scrubbed


def scrub_details(details: dict[str, Any]) -> dict[str, Any]:
    """An event's details without personal data: numbers, booleans and the
    strings of `_SAFE_DETAILS` stay; other strings, lists and objects go."""
    kept: dict[str, Any] = {}
    for name, value in details.items():
        if value is None or isinstance(value, bool | int | float):
            kept[name] = value
        elif isinstance(value, str) and name in _SAFE_DETAILS:
            kept[name] = _ADDRESS.sub("[address]", value)
        else:
            kept[name] = "[erased]"
    return kept


def _scrub_outbox(session: Session, case_ids: list[int]) -> None:
    """Empty the cases' outbox mails; unsent ones can no longer go out.

    An unsent mail is skipped with `ERASED_SKIP_REASON`, which the yearly
    report leaves out of the acknowledgements not sent
    (store.report_data._acks_unsent): it counted a pending acknowledgement
    nowhere before the erasure, so it counts it nowhere after."""
    if not case_ids:
        return
    mine = OutboxMail.case_id.in_(case_ids)
    session.execute(
        update(OutboxMail)
        .where(mine, OutboxMail.status.in_(UNSENT_MAIL_STATUSES))
        .values(status=MailStatus.SKIPPED, skip_reason=ERASED_SKIP_REASON)
    )
    for mail in session.query(OutboxMail).where(mine):
        mail.recipients = []
        mail.recipient = None
        mail.context = {}
        mail.in_reply_to = None
        mail.references = None
        mail.smtp_reply = None
        if mail.last_error:
            mail.last_error = _ADDRESS.sub("[address]", mail.last_error)
        if mail.skip_reason:
            mail.skip_reason = _ADDRESS.sub("[address]", mail.skip_reason)
