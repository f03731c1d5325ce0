"""Reads for the coordinator workspace and `cases search`: pages of cases, the
overview's counts, one attachment's bytes.

The case objects are those of `cases list --format json` (store.views), so the
pages, the JSON API and the command line show the same thing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, cast, func, select, text
from sqlalchemy.orm import Session

from store import search
from store.errors import NotFound, UserError
from store.models import Attachment, Case, Message, utcnow
from store.queries import CaseFilter, filtered
from store.registration import case_by_number
from store.views import case_dict
from store.vocabulary import OPEN_STATUSES, Flag

ORDERS = {
    "number": (Case.year, Case.seq),
    "answer_due": (Case.answer_due, Case.year, Case.seq),
    "received": (Case.received_at.desc(), Case.id.desc()),
}
MAX_PER_PAGE = 200
# A search more cases match than this is paged by testing cases in order,
# and its total shown as "more than MANY".
MANY = 1000


@dataclass(frozen=True)
class CasePage:
    """One page of case objects and how many cases match in all."""

    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    # True when more cases match than were counted (`total` is MANY + 1).
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Overview:
    """The counts of the workspace's overview page."""

    open: int
    due_this_week: int
    overdue: int
    awaiting_letter: int
    # Open cases per assignee; None: not assigned.
    per_assignee: dict[str | None, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AttachmentFile:
    """An attachment's bytes with what a download needs."""

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes


def find_cases(
    session: Session,
    filters: CaseFilter,
    timezone: str,
    *,
    page: int = 1,
    per_page: int = 50,
    order: str = "number",
    now: datetime | None = None,
) -> CasePage:
    """A page of the cases `filters` select (`q` searches), in `order`."""
    if order not in ORDERS:
        raise UserError(f"unknown order {order!r}: one of {', '.join(ORDERS)}")
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise UserError(f"page must be 1 or more, per_page 1 to {MAX_PER_PAGE}")
    now = now or utcnow()
    offset = (page - 1) * per_page
    total: int | None = None
    q = filters.q.strip() if filters.q else ""
    if q and search.count_upto(session, q, MANY + 1) > MANY:
        return _common_words_page(
            session, filters, timezone, page, per_page, order, now
        )
    if q:
        # A search: the total rides along on every row (a window over the
        # matches), so the text is scanned once, not once more to count.
        over = func.count().over().label("total")
        query = filtered(select(Case, over), filters, now).order_by(*ORDERS[order])
        rows = session.execute(query.limit(per_page).offset(offset)).all()
        cases = [row[0] for row in rows]
        total = int(rows[0][1]) if rows else None
    else:
        query = filtered(select(Case), filters, now).order_by(*ORDERS[order])
        cases = list(session.scalars(query.limit(per_page).offset(offset)))
    if total is None:
        total = session.scalar(
            filtered(select(func.count()).select_from(Case), filters, now)
        )
    return CasePage(
        with_counts(session, cases, timezone), int(total or 0), page, per_page
    )


def _common_words_page(
    session: Session,
    filters: CaseFilter,
    timezone: str,
    page: int,
    per_page: int,
    order: str,
    now: datetime,
) -> CasePage:
    """A page for words more than MANY cases have ("terugbetaling"): the
    cases are walked in the page's order and each is tested, so a page costs
    about per_page tests; the total is counted up to MANY + 1 only."""
    match = search.each_matches(session, Case.id, filters.q or "")
    query = filtered(select(Case), replace(filters, q=None), now).where(match)
    ordered = query.order_by(*ORDERS[order])
    offset = (page - 1) * per_page
    upto = query.with_only_columns(Case.id).limit(MANY + 1).subquery()
    with _walking_in_order(session):
        cases = list(session.scalars(ordered.limit(per_page).offset(offset)))
        total = int(session.scalar(select(func.count()).select_from(upto)) or 0)
    items = with_counts(session, cases, timezone)
    return CasePage(items, total, page, per_page, more=total > MANY)


@contextmanager
def _walking_in_order(session: Session) -> Iterator[None]:
    """PostgreSQL cannot estimate a text test per row and guesses that few
    cases pass it, so it scans and sorts all of them (500 ms at 100,000)
    instead of walking the order's index until the page is full (58 ms); and
    the high cost it then estimates switches JIT compilation on. Both are
    turned off for these statements only."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.execute(text("SET LOCAL enable_sort = off"))
    session.execute(text("SET LOCAL jit = off"))
    try:
        yield
    finally:
        session.execute(text("SET LOCAL enable_sort TO DEFAULT"))
        session.execute(text("SET LOCAL jit TO DEFAULT"))


def search_cases(
    session: Session, text: str, timezone: str, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Every case matching `text`, in number order (`cases search`)."""
    if not text.strip():
        raise UserError("the search text is empty")
    query = filtered(select(Case), CaseFilter(q=text), now or utcnow())
    cases = list(session.scalars(query.order_by(Case.year, Case.seq)))
    return with_counts(session, cases, timezone)


def with_counts(
    session: Session, cases: list[Case], timezone: str
) -> list[dict[str, Any]]:
    """Case objects with their message and attachment counts (one query each)."""
    ids = [c.id for c in cases]
    messages = _counts(session, Message.case_id, ids)
    attachments = _counts(session, Attachment.case_id, ids)
    return [
        case_dict(c, timezone, messages.get(c.id, 0), attachments.get(c.id, 0))
        for c in cases
    ]


def _counts(session: Session, column: Any, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(column, func.count()).where(column.in_(ids)).group_by(column)
    )
    return {int(key): int(n) for key, n in rows}


def overview(
    session: Session, timezone: str, *, now: datetime | None = None
) -> Overview:
    """Open, due this week (until Sunday night, local time), overdue, waiting
    for a letter, and open cases per assignee: one pass over the open cases
    for the counts, one for the assignees."""
    now = now or utcnow()
    local = now.astimezone(ZoneInfo(timezone))
    week_end = datetime.combine(
        local.date() + timedelta(days=8 - local.isoweekday()),
        time(0),
        tzinfo=local.tzinfo,
    )
    open_ = Case.status.in_(OPEN_STATUSES)
    running = Case.answered_at.is_(None)
    letter = cast(Case.flags, String).like(f'%"{Flag.AWAITING_LETTER}"%')

    def tally(*conditions: Any) -> Any:
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    counts = session.execute(
        select(
            func.count(),
            tally(running, Case.answer_due >= now, Case.answer_due < week_end),
            tally(running, Case.answer_due < now),
            tally(letter),
        ).where(open_)
    ).one()
    per_assignee = {
        who: int(n)
        for who, n in session.execute(
            select(Case.assigned_to, func.count())
            .where(open_)
            .group_by(Case.assigned_to)
        )
    }
    return Overview(
        open=int(counts[0]),
        due_this_week=int(counts[1]),
        overdue=int(counts[2]),
        awaiting_letter=int(counts[3]),
        per_assignee=per_assignee,
    )


def attachment_file(
    session: Session, number: str, attachment_id: int
) -> AttachmentFile:
    """The attachment `attachment_id` of case `number`; NotFound when the id is
    unknown or belongs to another case (whose existence is not revealed)."""
    case = case_by_number(session, number)
    row = session.scalars(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.case_id == case.id
        )
    ).first()
    if row is None:
        raise NotFound(f"case {number} has no attachment {attachment_id}")
    return AttachmentFile(
        id=row.id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        data=row.data,
    )
