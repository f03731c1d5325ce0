"""Which staff mail acts on its case, and how: the answer or the commands.

Pure: the caller gives the member's address (the store knows it). Only a
believed staff mail that joins a case acts; a mail carrying our own
X-Klachten-Case header is the service's own mail (a copy in the sent
folder), never a coordinator's answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from ingest.classify import Verdict
from ingest.parse import ParsedMessage
from ingest.staff_mail import answer_outcome, ombudsdienst_languages, parse_commands
from store.registration_input import EventRecord, InboundRecord, StaffAct
from store.vocabulary import MessageClass, OwnHeader

_TEXT_LIMIT = 20000


def with_staff_act(
    record: InboundRecord,
    msg: ParsedMessage,
    verdict: Verdict,
    *,
    member_email: str | None,
    own_addresses: Sequence[str],
    mail_commands: bool,
) -> InboundRecord:
    """`record` with what the mail does to its case, or an event saying that
    commands were ignored (not believed staff)."""
    act = staff_act(
        msg,
        verdict,
        record.received_at,
        member_email=member_email,
        own_addresses=own_addresses,
        mail_commands=mail_commands,
    )
    if act is not None:
        return replace(record, staff_act=act)
    if mail_commands and _ignored_commands(msg, verdict):
        reason = "mail commands are taken only from believed staff"
        event = EventRecord("mail_command_ignored", {"reason": reason})
        return replace(record, events=(*record.events, event))
    return record


def forwarded_record(record: InboundRecord, staff_sender: str | None) -> InboundRecord:
    """The member's complaint a staff member forwarded: stored as sent by
    that staff member, who is named in the audit trail."""
    staff = (staff_sender or "").lower()
    event = EventRecord("forwarded_by_staff", {"staff": staff})
    return replace(record, sender=staff or None, events=(*record.events, event))


def staff_act(
    msg: ParsedMessage,
    verdict: Verdict,
    received_at: datetime,
    *,
    member_email: str | None,
    own_addresses: Sequence[str],
    mail_commands: bool,
) -> StaffAct | None:
    """The answer (addressed to the member) or the commands (to klachten@,
    case number in the subject) of a believed staff mail; None otherwise."""
    number = verdict.case_number
    if verdict.klass != MessageClass.STAFF or number is None:
        return None
    if verdict.staff_unverified or msg.header(OwnHeader.CASE) is not None:
        return None
    recipients = {a.lower() for a in (*msg.to, *msg.cc)}
    actor = (msg.from_address or "").lower()
    text = msg.new_text or msg.text
    if member_email and member_email.lower() in recipients:
        return StaffAct(
            kind="answer",
            actor=actor,
            at=answer_time(msg.date, received_at),
            outcome=answer_outcome(text),
            text=text[:_TEXT_LIMIT],
            ombudsdienst_languages=ombudsdienst_languages(msg.text),
        )
    own = {a.lower() for a in own_addresses}
    if not mail_commands or not own & recipients:
        return None
    if number.lower() not in msg.subject.lower():
        return None
    commands = parse_commands(text)
    if not commands.any:
        return None
    return StaffAct(
        kind="commands",
        actor=actor,
        commands=tuple((c.action, c.value) for c in commands.commands),
        unknown=commands.unknown,
    )


def answer_time(date: datetime | None, received_at: datetime) -> datetime:
    """The answer's date: its Date header, never later than its arrival."""
    if date is None or date.tzinfo is None or date > received_at:
        return received_at
    return date


def _ignored_commands(msg: ParsedMessage, verdict: Verdict) -> bool:
    """Command lines in a mail that names a case but may not command it."""
    if verdict.case_number is None:
        return False
    if verdict.klass == MessageClass.STAFF and not verdict.staff_unverified:
        return False
    return bool(parse_commands(msg.new_text or msg.text).commands)
