"""A stranger's mail made a complaint of its own (issue 17, "who may join").

A mail that quotes a case number from an address that is neither the
member's nor staff's joins nothing silently: it is stored beside the case it
names, flagged for a person, and gets no acknowledgement. When a coordinator
decides it is a complaint in its own right (a neighbour with a grievance of
their own), `klachten messages register ID` opens a new case from it: the
sender is the member, the message moves to the new case, both cases record
it, and the sender gets the acknowledgement (the coordinator vouches for it).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from store import search
from store.errors import NotFound, UserError
from store.member import check_member
from store.models import Case, Message
from store.registration import add_event, register_case
from store.registration_input import CaseRules, NewCase
from store.vocabulary import Channel, MessageClass


def strangers_mail(klass: str, sender: str | None, member_email: str | None) -> bool:
    """Whether a message of a case may become a case of its own: a follow-up
    (it named the case) from an address that is not the member's."""
    mine = (member_email or "").strip().lower()
    return klass == MessageClass.FOLLOW_UP and (sender or "").strip().lower() != mine


def open_case_from_message(
    session: Session, rules: CaseRules, message_id: int, actor: str
) -> Case:
    """Open a new case from the stored stranger's mail `message_id`."""
    message = session.get(Message, message_id, with_for_update=True)
    if message is None:
        raise NotFound(f"no message with id {message_id}")
    old = message.case
    if message.klass != MessageClass.FOLLOW_UP or old is None:
        raise UserError(
            f"message {message_id} is a {message.klass} message"
            + (f" of case {old.number}" if old is not None else "")
            + ": only a stranger's mail that names a case becomes a case of its own"
        )
    if not strangers_mail(message.klass, message.sender, old.member_email):
        raise UserError(
            f"message {message_id} is the member's own mail in case {old.number}"
        )
    sender = (message.sender or "").strip()
    checked = check_member(email=sender or None)
    member = checked.member
    reachable = member.email if checked.problem("email") is None else None
    new = NewCase(
        channel=Channel.EMAIL,
        received_at=message.received_at,
        language=(message.language or rules.default_language)[:5],
        member=member,
        subject=message.subject,
        description=message.new_text or message.body_text,
    )
    case = register_case(session, rules, new, acknowledge_to=reachable, actor=actor)
    message.case_id = case.id
    message.klass = MessageClass.COMPLAINT
    message.reason = f"{message.reason}; made a complaint of its own by {actor}"
    add_event(session, "message_moved", case=old, actor=actor,
              message_id=message.id, to=case.number)  # fmt: skip
    add_event(session, "opened_from_message", case=case, actor=actor,
              message_id=message.id, named=old.number)  # fmt: skip
    session.flush()
    search.reindex(session, [old.id, case.id])
    return case
