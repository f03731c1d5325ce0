"""Case lifecycle: the state changes a coordinator makes, each with its event.

registered / awaiting_confirmation -> acknowledged -> in_progress -> answered
-> closed, and back to in_progress by a reopen. Every function here works in
the caller's transaction, locks the case row first (so two coordinators acting
at once queue instead of overwriting each other), checks the state, and only
then writes: a refused action leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.case_view import CaseView, refuse_unpostable
from store.errors import UserError, WrongState
from store.models import Case, Message, OutboxMail, utcnow
from store.registration import (
    add_attachments,
    add_event,
    case_by_number,
    enqueue_mail,
    staff_acted,
)
from store.registration_input import AttachmentRecord, CaseRules
from store.vocabulary import DONE_STATUSES, Audience, Flag, MailKind, Status


@dataclass(frozen=True)
class Answer:
    """The coordinator's answer to a case and how it reaches the member."""

    # None: not stated (an answer sent from Outlook without an "Uitkomst:" line).
    outcome: str | None
    text: str
    # "email", "post", "none" (recorded only) or "staff-mail" (a coordinator's
    # own mail to the member, seen by intake: recorded only).
    delivery: str = "none"


def assign(session: Session, number: str, to: str, actor: str) -> Case:
    """Give the case to `to`; an open case moves to in_progress.

    A case still waiting for the member's written confirmation keeps that
    status: assigning it does not mean the confirmation arrived.
    """
    case = _complaint(session, number)
    previous = case.assigned_to
    case.assigned_to = to
    staff_acted(case)
    if case.status not in (*DONE_STATUSES, Status.AWAITING_CONFIRMATION):
        case.status = Status.IN_PROGRESS
    add_event(session, "assigned", case=case, actor=actor, to=to, previous=previous)
    return case


def _complaint(session: Session, number: str) -> Case:
    """The case, locked; refused when a person found it is not a complaint."""
    case = case_by_number(session, number, lock=True)
    if case.status == Status.RECLASSIFIED:
        raise WrongState(
            f"case {number} is not a complaint ({case.reclassified_as}): "
            "no lifecycle step applies"
        )
    return case


def note(session: Session, number: str, text: str, actor: str) -> Case:
    """Add a free-text note to the case's audit trail (any state)."""
    if not text.strip():
        raise UserError("the note is empty")
    case = case_by_number(session, number, lock=True)
    staff_acted(case)
    add_event(session, "note", case=case, actor=actor, text=text.strip())
    return case


def reviewed(session: Session, number: str, text: str, actor: str) -> Case:
    """A person looked at what made the case need review (a stranger's mail,
    a form a limit stopped, staff mail that was not believed): the flag goes,
    the audit trail says who and, when given, what they found."""
    case = case_by_number(session, number, lock=True)
    if Flag.NEEDS_REVIEW not in (case.flags or ()):
        raise WrongState(f"case {number} is not flagged {Flag.NEEDS_REVIEW}")
    # A new list, not an in-place change: JSON columns only see assignment.
    case.flags = sorted(set(case.flags) - {Flag.NEEDS_REVIEW})
    add_event(session, "reviewed", case=case, actor=actor, text=text.strip())
    return case


def answer(
    session: Session,
    rules: CaseRules,
    number: str,
    reply: Answer,
    actor: str,
    now: datetime | None = None,
) -> Case:
    """Record the answer (stops the answer clock); queue the mail if asked."""
    case = _complaint(session, number)
    if case.status in DONE_STATUSES:
        raise WrongState(f"case {number} is {case.status}: reopen it first")
    if reply.delivery == "email" and not case.member_email:
        raise UserError(f"case {number} has no e-mail address: answer --by-post")
    if reply.delivery == "post":
        # An answer by post is a letter: without an address none can be made.
        refuse_unpostable(CaseView.of(case))
    staff_acted(case)
    case.outcome = reply.outcome
    case.answered_at = now or utcnow()
    case.status = Status.ANSWERED
    add_event(
        session,
        "answered",
        case=case,
        actor=actor,
        outcome=reply.outcome,
        delivery=reply.delivery,
        text=reply.text,
    )
    if reply.delivery == "email":
        _queue_answer(session, rules, case, reply.text)
    elif reply.delivery == "post":
        add_event(session, "answer_posted", case=case, actor=actor)
    return case


def _queue_answer(session: Session, rules: CaseRules, case: Case, text: str) -> None:
    # A reopened case may be answered again: the key counts earlier answers.
    earlier = session.scalar(
        select(func.count())
        .select_from(OutboxMail)
        .where(OutboxMail.case_id == case.id, OutboxMail.kind == MailKind.ANSWER)
    )
    first = _first_message_id(session, case)
    reply_to = f"<{first}>" if first else None
    enqueue_mail(
        session,
        rules,
        kind=MailKind.ANSWER,
        audience=Audience.MEMBER,
        template="answer",
        language=case.language,
        recipients=[case.member_email or ""],
        case=case,
        context={"answer_text": text},
        dedupe_key=f"answer:{case.id}:{(earlier or 0) + 1}",
        in_reply_to=reply_to,
        references=reply_to,
    )


def _first_message_id(session: Session, case: Case) -> str | None:
    """The Message-ID of the complaint's first mail, to thread the answer."""
    return session.scalars(
        select(Message.message_id)
        .where(Message.case_id == case.id, Message.message_id.is_not(None))
        .order_by(Message.received_at, Message.id)
    ).first()


def close(
    session: Session, number: str, actor: str, now: datetime | None = None
) -> Case:
    """Close the case; closing twice is refused."""
    case = _complaint(session, number)
    if case.status == Status.CLOSED:
        raise WrongState(f"case {number} is already closed")
    previous = case.status
    staff_acted(case)
    case.status = Status.CLOSED
    case.closed_at = now or utcnow()
    add_event(session, "closed", case=case, actor=actor, previous=previous)
    return case


def reopen(session: Session, number: str, reason: str, actor: str) -> Case:
    """Back to in_progress from answered or closed, with the reason.

    The earlier answer time and outcome stay on the case (the answer clock
    stopped when the member was answered); a new answer overwrites them and
    the event keeps what they were.
    """
    if not reason.strip():
        raise UserError("a reopen needs a reason")
    case = case_by_number(session, number, lock=True)
    if case.status not in DONE_STATUSES:
        raise WrongState(
            f"case {number} is {case.status}: only answered or closed "
            "cases can be reopened"
        )
    previous, closed_at = case.status, case.closed_at
    staff_acted(case)
    case.status = Status.IN_PROGRESS
    case.closed_at = None
    add_event(
        session,
        "reopened",
        case=case,
        actor=actor,
        reason=reason.strip(),
        previous=previous,
        closed_at=closed_at.isoformat() if closed_at else None,
        outcome=case.outcome,
    )
    return case


def refer(session: Session, number: str, at: datetime, actor: str) -> Case:
    """Record that the member turned to the ombudsdienst of the Landsbond."""
    case = _complaint(session, number)
    if Flag.OMBUDSDIENST in (case.flags or []):
        raise WrongState(f"case {number} was already referred to the ombudsdienst")
    case.referred_at = at
    staff_acted(case)
    # A new list, not an in-place append: JSON columns only see assignment.
    case.flags = sorted({*(case.flags or []), Flag.OMBUDSDIENST})
    add_event(
        session,
        "referred",
        case=case,
        actor=actor,
        to="ombudsdienst",
        referred_at=at.isoformat(),
    )
    return case


def confirm(
    session: Session,
    number: str,
    received_at: datetime,
    attachments: Sequence[AttachmentRecord],
    actor: str,
) -> Case:
    """The member's written confirmation of an oral complaint arrived (CLI)."""
    case = case_by_number(session, number, lock=True)
    if case.status != Status.AWAITING_CONFIRMATION:
        raise WrongState(
            f"case {number} is {case.status}, not waiting for a confirmation"
        )
    add_attachments(session, case, attachments, extra_flags=(Flag.CONFIRMATION,))
    names = [item.filename for item in attachments]
    return confirm_case(session, case, received_at, actor, attachments=names)


def confirm_case(
    session: Session,
    case: Case,
    received_at: datetime,
    actor: str,
    *,
    attachments: Sequence[str] = (),
    via: str = "cli",
) -> Case:
    """Mark a case awaiting confirmation as confirmed; no-op for any other
    status. Intake calls this when a follow-up mail joins such a case (the
    mail and its attachments are already on the case), with via="mail"."""
    if case.status != Status.AWAITING_CONFIRMATION:
        return case
    # Statuses never go backwards: an acknowledged case stays acknowledged.
    if case.assigned_to:
        case.status = Status.IN_PROGRESS
    elif case.acknowledged_at is not None:
        case.status = Status.ACKNOWLEDGED
    else:
        case.status = Status.REGISTERED
    add_event(
        session,
        "confirmed",
        case=case,
        actor=actor,
        received_at=received_at.isoformat(),
        attachments=list(attachments),
        via=via,
    )
    return case
