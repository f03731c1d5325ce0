"""Read-side queries behind `cases list`, `case show` and `messages list`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from store.models import Attachment, Case, Message, utcnow
from store.registration import case_by_number
from store.search import matches
from store.views import case_detail, case_dict, message_dict
from store.vocabulary import OPEN_STATUSES


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    open: bool = False
    overdue: bool = False
    due_within: int | None = None
    assigned_to: str | None = None
    channel: str | None = None
    year: int | None = None
    regional_office: str | None = None
    category: str | None = None
    # Free text: number, member, national or phone number, message text.
    q: str | None = None


def filtered(query: Select[Any], filters: CaseFilter, now: datetime) -> Select[Any]:
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.open or filters.overdue or filters.due_within is not None:
        query = query.where(Case.status.in_(OPEN_STATUSES))
    if filters.overdue:
        # An answer stops the clock, also for a case reopened afterwards.
        query = query.where(Case.answer_due < now, Case.answered_at.is_(None))
    if filters.due_within is not None:
        query = query.where(Case.answer_due <= now + timedelta(days=filters.due_within))
    if filters.assigned_to:
        query = query.where(Case.assigned_to == filters.assigned_to)
    if filters.channel:
        query = query.where(Case.channel == filters.channel)
    if filters.year is not None:
        query = query.where(Case.year == filters.year)
    if filters.regional_office:
        query = query.where(Case.regional_office == filters.regional_office)
    if filters.category:
        query = query.where(Case.category == filters.category)
    match = matches(Case.id, filters.q) if filters.q else None
    if match is not None:
        query = query.where(match)
    return query


def list_cases(
    session: Session,
    filters: CaseFilter,
    timezone: str,
    *,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Case objects in number order, with message and attachment counts."""
    now = now or utcnow()
    messages = (
        select(Message.case_id, func.count().label("n"))
        .where(Message.case_id.is_not(None))
        .group_by(Message.case_id)
        .subquery()
    )
    attachments = (
        select(Attachment.case_id, func.count().label("n"))
        .where(Attachment.case_id.is_not(None))
        .group_by(Attachment.case_id)
        .subquery()
    )
    query = (
        select(
            Case,
            func.coalesce(messages.c.n, 0),
            func.coalesce(attachments.c.n, 0),
        )
        .outerjoin(messages, messages.c.case_id == Case.id)
        .outerjoin(attachments, attachments.c.case_id == Case.id)
        .order_by(Case.year, Case.seq)
    )
    rows = session.execute(filtered(query, filters, now)).all()
    return [case_dict(case, timezone, m, a) for case, m, a in rows]


def show_case(session: Session, number: str, timezone: str) -> dict[str, Any]:
    case = case_by_number(session, number)
    session.refresh(case)
    return case_detail(loaded_case(session, case.id), timezone)


def loaded_case(session: Session, case_id: int) -> Case:
    """The case with its messages, events, attachments and form fields."""
    return session.scalars(
        select(Case)
        .where(Case.id == case_id)
        .options(
            selectinload(Case.messages),
            selectinload(Case.events),
            selectinload(Case.attachments),
            selectinload(Case.form_fields),
        )
    ).one()


def list_messages(
    session: Session, timezone: str, klass: str | None = None
) -> list[dict[str, Any]]:
    query = (
        select(Message)
        .options(selectinload(Message.case))
        .order_by(Message.received_at, Message.id)
    )
    if klass:
        query = query.where(Message.klass == klass)
    return [message_dict(m, timezone) for m in session.scalars(query)]
