"""Not a complaint after all: reclassifying a case, and merging two cases.

A reclassified case takes the status "reclassified" with `reclassified_as`
(staff, question, spam, duplicate) and, for a duplicate, `duplicate_of` (the
other case's number). That status is not open, so the case leaves the open
list, the reminders and `status`; the yearly report counts only complaints.
Nothing is deleted: the case, its messages and its audit trail stay, and the
event keeps the status it had. Mail still waiting in the outbox for it (an
acknowledgement to a spammer) is skipped with the reason.

Merging moves the messages, attachments, form fields and events of one case
to another; the emptied case becomes a duplicate pointing to the target,
flagged "merged". Empty member details of the target are completed from the
source.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from store import search
from store.errors import UserError, WrongState
from store.models import Attachment, Case, Event, FormFieldValue, Message, OutboxMail
from store.registration import add_event, case_by_number
from store.vocabulary import Flag, MailStatus, Reclassification, Status, values

RECLASSIFIED = Status.RECLASSIFIED
RECLASSIFY_AS = values(Reclassification)
MERGED_FLAG = Flag.MERGED
MEMBER_COLUMNS = (
    "member_name",
    "member_email",
    "member_phone",
    "member_street",
    "member_postcode",
    "member_city",
    "member_number",
    "member_insz",
    "member_insz_valid",
)


def reclassify(
    session: Session, number: str, as_: str, actor: str, *, of: str | None = None
) -> Case:
    """Mark the case as not a complaint (`of` names the original of a duplicate)."""
    if as_ not in RECLASSIFY_AS:
        raise UserError(
            f"cannot reclassify as {as_!r}: one of {', '.join(RECLASSIFY_AS)}"
        )
    if as_ == "duplicate" and not of:
        raise UserError("a duplicate needs --of NUMBER: the case it duplicates")
    if of and as_ != "duplicate":
        raise UserError("--of applies to a duplicate only")
    if of == number:
        raise UserError(f"case {number} cannot duplicate itself")
    original = _live(session, of, "original") if of else None
    case = case_by_number(session, number, lock=True)
    _refuse_reclassified(case)
    previous = case.status
    _mark(session, case, as_, original.number if original else None)
    add_event(
        session,
        "reclassified",
        case=case,
        actor=actor,
        to=as_,
        of=case.duplicate_of,
        previous=previous,
    )
    return case


def merge(session: Session, number: str, into: str, actor: str) -> Case:
    """Move everything of case `number` into case `into`; returns the target."""
    if number == into:
        raise UserError(f"case {number} cannot be merged into itself")
    # Lock both rows in one order, so two opposite merges cannot deadlock.
    first, second = sorted((number, into))
    locked = {first: case_by_number(session, first, lock=True)}
    locked[second] = case_by_number(session, second, lock=True)
    source, target = locked[number], locked[into]
    _refuse_reclassified(source)
    _refuse_reclassified(target)
    if target.status == Status.CLOSED:
        raise WrongState(f"case {into} is closed: reopen it before merging into it")
    moved = _move_children(session, source, target)
    filled = _complete_member(source, target)
    previous = source.status
    _mark(session, source, "duplicate", target.number)
    source.flags = sorted({*(source.flags or []), MERGED_FLAG})
    add_event(
        session, "merged_into", case=source, actor=actor, into=into, previous=previous
    )
    add_event(
        session,
        "merged",
        case=target,
        actor=actor,
        source=number,
        filled=filled,
        **moved,
    )
    session.flush()
    session.expire(target)
    session.expire(source)
    search.reindex(session, [source.id, target.id])
    return target


def _live(session: Session, number: str, what: str) -> Case:
    case = case_by_number(session, number)
    if case.status == RECLASSIFIED:
        raise WrongState(f"the {what} case {number} is itself not a complaint")
    return case


def _refuse_reclassified(case: Case) -> None:
    if case.status == RECLASSIFIED:
        raise WrongState(
            f"case {case.number} is already reclassified as {case.reclassified_as}"
        )


def _mark(session: Session, case: Case, as_: str, of: str | None) -> None:
    case.status = RECLASSIFIED
    case.reclassified_as = as_
    case.duplicate_of = of
    session.execute(
        update(OutboxMail)
        .where(OutboxMail.case_id == case.id, OutboxMail.status == MailStatus.PENDING)
        .values(status=MailStatus.SKIPPED, skip_reason=f"case reclassified as {as_}")
    )


def _move_children(session: Session, source: Case, target: Case) -> dict[str, int]:
    """Messages, attachments, form fields and events change case; counts."""
    counts = {}
    for name, model in (
        ("messages", Message),
        ("attachments", Attachment),
        ("form_fields", FormFieldValue),
        ("events", Event),
    ):
        result = session.execute(
            update(model)
            .where(model.case_id == source.id)
            .values(case_id=target.id)
            .execution_options(synchronize_session=False)
        )
        counts[name] = int(result.rowcount or 0)
    return counts


def _complete_member(source: Case, target: Case) -> list[str]:
    """Copy member details the target lacks from the source; their names."""
    filled = []
    for column in MEMBER_COLUMNS:
        mine, theirs = getattr(target, column), getattr(source, column)
        if mine is None and theirs is not None:
            setattr(target, column, theirs)
            filled.append(column.removeprefix("member_"))
    return filled
