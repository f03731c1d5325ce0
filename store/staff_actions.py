"""What a coordinator's mail does to its case, and a member's reply after it.

Intake decides (ingest/staff_acts.py); this carries it out through the very
store functions the command line and the workspace use (store.lifecycle,
store.case_edit), with the staff address as the actor. Mails to people go
through the outbox like every other mail.

- An answer by mail: the case is answered at the mail's date. The same
  answer seen twice (a Cc copy and the sent folder's copy) is one message in
  the store and acts once: when the copy stored first did not act (the Cc
  copy came without a trusted dmarc=pass, or from klachten@ itself), the
  believed copy acts for it (`act_for_stored_copy`). A case already answered
  stays as it is. An answer without the ombudsdienst mention tells its
  sender, once.
- Commands: each runs on its own; one that cannot run is recorded and, with
  the lines not understood, answered by one short mail.
- A member's mail that joins an answered or closed case flags it
  `member_replied` and tells the assignee (or the coordinators) once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import lifecycle
from store.accounts import recipient_names
from store.case_edit import EditRules, edit_case
from store.errors import UserError
from store.models import Case, Event, Message
from store.registration import add_event, case_by_number, enqueue_mail, staff_acted
from store.registration_input import CaseRules, InboundRecord, StaffAct
from store.registration_rows import SYSTEM_ACTOR
from store.vocabulary import (
    DONE_STATUSES,
    Audience,
    Flag,
    MailKind,
    MessageClass,
    Status,
)

# The audit event of staff mail that is not believed (it acts on nothing).
STAFF_UNVERIFIED = "staff_unverified"
# The audit event of a believed copy that acted for the stored copy of the
# same mail, which had not.
COPY_ACTED = "staff_act_by_copy"

_OMBUDS_LANGUAGES = ("nl", "fr", "de")
_MAIL_LANGUAGES = ("nl", "fr", "de")


def apply_staff_act(
    session: Session, rules: CaseRules, case: Case, act: StaffAct, message_key: str
) -> None:
    """Carry out `act` on the (locked, loaded) case."""
    if act.kind == "answer":
        _answer(session, rules, case, act)
    elif act.kind == "commands":
        _commands(session, rules, case, act, message_key)


def act_for_stored_copy(
    session: Session, rules: CaseRules, message_id: int, record: InboundRecord
) -> Case | None:
    """`record` is a believed copy of the stored message `message_id` (most
    often the sent folder's copy of an answer whose Cc copy the inbox stored
    first) and carries a staff act: carry it out when the stored copy did
    not, and make that message the case's staff message. Returns the case
    acted on, or None when the stored copy had acted already."""
    act, number = record.staff_act, record.follow_up_number
    if act is None or number is None:
        return None
    case = case_by_number(session, number, lock=True)
    message = session.get(Message, message_id)
    if message is None or _acted(session, message):
        return None
    earlier = f"{message.klass}: {message.reason}"
    message.klass = MessageClass.STAFF
    message.reason = f"{record.reason}; stored first as {earlier}"
    if message.case_id is None:
        message.case_id = case.id
    add_event(session, COPY_ACTED, case=case, message=message, actor=act.actor,
              mailbox=record.mailbox, act=act.kind)  # fmt: skip
    apply_staff_act(session, rules, case, act, record.dedupe_key)
    session.flush()
    return case


def _acted(session: Session, message: Message) -> bool:
    """Did the stored copy act on its case (or had a copy act for it)? Only
    believed staff mail joined to a case does; one not believed is stored
    with its `staff_unverified` event."""
    kinds = set(
        session.scalars(select(Event.kind).where(Event.message_id == message.id))
    )
    if COPY_ACTED in kinds:
        return True
    return (
        message.klass == MessageClass.STAFF
        and message.case_id is not None
        and STAFF_UNVERIFIED not in kinds
    )


def _answer(session: Session, rules: CaseRules, case: Case, act: StaffAct) -> None:
    if case.status in (*DONE_STATUSES, Status.RECLASSIFIED):
        # Staff wrote to the member again (often about the member's reply):
        # that reply has been seen to.
        staff_acted(case)
        add_event(session, "staff_answer_seen", case=case, actor=act.actor,
                  status=case.status)  # fmt: skip
        return
    reply = lifecycle.Answer(outcome=act.outcome, text=act.text, delivery="staff-mail")
    lifecycle.answer(session, rules, case.number, reply, act.actor, now=act.at)
    language = (case.language or "nl")[:2]
    wanted = language if language in _OMBUDS_LANGUAGES else None
    named = act.ombudsdienst_languages
    if (wanted in named) if wanted else named:
        return
    key = f"answer-incomplete:{case.id}:{act.actor}"
    _tell(session, rules, case, MailKind.ANSWER_INCOMPLETE, [act.actor], key)


def _commands(
    session: Session, rules: CaseRules, case: Case, act: StaffAct, message_key: str
) -> None:
    failed = list(act.unknown)
    for action, value in act.commands:
        try:
            _command(session, rules, case, action, value, act.actor)
        except UserError as exc:  # WrongState, InvalidFields, ... included
            failed.append(f"{action}: {value} ({exc})"[:300])
    add_event(session, "mail_commands", case=case, actor=act.actor,
              done=[a for a, _ in act.commands], failed=failed)  # fmt: skip
    if not failed:
        return
    key = f"command-reply:{message_key}"
    _tell(session, rules, case, MailKind.COMMAND_REPLY, [act.actor], key,
          not_done=failed)  # fmt: skip


def _command(
    session: Session,
    rules: CaseRules,
    case: Case,
    action: str,
    value: str,
    actor: str,
) -> None:
    number = case.number
    if action == "assign":
        lifecycle.assign(session, number, value.strip().lower(), actor)
    elif action == "note":
        lifecycle.note(session, number, value, actor)
    elif action == "status":
        lifecycle.close(session, number, actor)
    elif action == "category":
        edit = EditRules(categories=rules.categories)
        edit_case(session, edit, number, {"category": _category(rules, value)}, actor)


def _category(rules: CaseRules, value: str) -> str:
    """The configured category `value` names, whatever its case."""
    for category in rules.categories:
        if category.casefold() == value.strip().casefold():
            return category
    return value


def member_replied(
    session: Session, rules: CaseRules, case: Case, message_key: str
) -> None:
    """A member's mail joined an answered or closed case: flag it, and tell
    the assignee (else the coordinators) when the flag is new."""
    if case.status not in DONE_STATUSES:
        return
    flags = set(case.flags or ())
    add_event(session, "member_replied", case=case, actor=SYSTEM_ACTOR,
              status=case.status)  # fmt: skip
    if Flag.MEMBER_REPLIED in flags:
        return
    case.flags = sorted({*flags, Flag.MEMBER_REPLIED})
    recipients = [case.assigned_to] if case.assigned_to else list(rules.coordinators)
    if not recipients:
        return
    key = f"member-replied:{message_key}"
    _tell(session, rules, case, MailKind.MEMBER_REPLIED, recipients, key)


def _tell(
    session: Session,
    rules: CaseRules,
    case: Case,
    kind: MailKind,
    recipients: list[str],
    dedupe_key: str,
    **context: Any,
) -> None:
    """Queue a mail to the fund's people about `case`; its template is named
    after its kind, greeting them by name, in their language (`[staff]
    languages`) when it names them all alike, else in the case's language
    (the member's, and most often the coordinator's)."""
    context = {"recipients": recipient_names(session, recipients), **context}
    enqueue_mail(
        session,
        rules,
        kind=kind,
        audience=Audience.COORDINATOR,
        template=str(kind),
        language=_mail_language(rules, case, recipients),
        recipients=recipients,
        case=case,
        context=context,
        dedupe_key=dedupe_key[:300],
    )


def _mail_language(rules: CaseRules, case: Case, recipients: list[str]) -> str:
    """The recipients' configured language when they share one; else the
    case's language when there are templates in it; else Dutch."""
    configured = dict(rules.staff_languages)
    named = {configured.get(r.strip().lower()) for r in recipients}
    if len(named) == 1 and (language := named.pop()) in _MAIL_LANGUAGES:
        return language
    language = (case.language or "nl")[:2]
    return language if language in _MAIL_LANGUAGES else "nl"
