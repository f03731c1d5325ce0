"""The filters of the cases page and the API, read from query parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.datastructures import QueryParams

from store.errors import UserError
from store.queries import CaseFilter
from store.vocabulary import Channel, Status, values
from web.people import Person

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from store.workspace import CasePage

PAGE_SIZE = 50
CHANNELS = values(Channel)
STATUSES = ("open", "all", *values(Status))
# Statuses in which a case without acknowledged_at shows "ack_not_sent" on the
# cases page: its acknowledgement has not gone out (yet).
ACK_AWAITED = values((Status.REGISTERED, Status.IN_PROGRESS))
MAX_DAYS = 36_500  # as `cases list --due-within`


@dataclass(frozen=True)
class CaseQuery:
    status: str | None = None  # a status, "open" (default) or "all"
    assignee: str | None = None  # an e-mail or "mine"
    channel: str | None = None
    regional_office: str | None = None
    category: str | None = None
    year: int | None = None
    overdue: bool = False
    due_within: int | None = None
    q: str | None = None
    page: int = 1

    def args(self, **changes: Any) -> dict[str, str]:
        """The query parameters of this query (for links to other pages)."""
        values = {**self.__dict__, **changes}
        return {
            key: ("1" if value is True else str(value))
            for key, value in values.items()
            if value not in (None, False, "") and not (key == "page" and value == 1)
        }


def read_query(params: QueryParams, default_status: str = "open") -> CaseQuery:
    """A CaseQuery from ?status=&assignee=&...; UserError for a bad value.

    The pages show the open cases unless asked otherwise; the API, like
    `cases list`, every case (default_status "all")."""

    def text(name: str) -> str | None:
        value = (params.get(name) or "").strip()
        return value or None

    year = _number(text("year"), "year", 1970, 9998)
    page = _number(text("page"), "page", 1, 1_000_000) or 1
    channel = text("channel")
    if channel and channel not in CHANNELS:
        raise UserError(f"unknown channel {channel!r}")
    status = text("status") or ("open" if _yes(params, "open") else default_status)
    if status not in STATUSES:
        raise UserError(f"unknown status {status!r}: one of {', '.join(STATUSES)}")
    return CaseQuery(
        status=status,
        assignee=text("assignee") or text("assigned_to"),
        channel=channel,
        regional_office=text("regional_office"),
        category=text("category"),
        year=year,
        overdue=_yes(params, "overdue"),
        due_within=_number(text("due_within"), "due_within", 0, MAX_DAYS),
        q=text("q"),
        page=page,
    )


def _yes(params: QueryParams, name: str) -> bool:
    return (params.get(name) or "").lower() in ("1", "true", "on", "yes")


def _number(value: str | None, name: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise UserError(f"{name} must be a number from {low} to {high}")
    return int(value)


def assignee_of(query: CaseQuery, person: Person | None) -> str | None:
    """The e-mail the assignee filter names ("mine": the signed-in person)."""
    if query.assignee == "mine":
        return person.email if person else None
    return query.assignee


def case_filter(query: CaseQuery, person: Person | None) -> CaseFilter:
    """The store's filter for this query ("open" and "all" are no status)."""
    status = query.status if query.status not in (None, "open", "all") else None
    return CaseFilter(
        status=status,
        open=query.status in (None, "open"),
        overdue=query.overdue,
        due_within=query.due_within,
        assigned_to=assignee_of(query, person),
        channel=query.channel,
        year=query.year,
        regional_office=query.regional_office,
        category=query.category,
        q=query.q,
    )


def find_cases(
    db: Session,
    query: CaseQuery,
    person: Person | None,
    timezone: str,
    now: datetime,
) -> CasePage:
    """One page of the cases, the most urgent answer deadline first."""
    from store.workspace import find_cases as store_find

    return store_find(
        db,
        case_filter(query, person),
        timezone,
        page=query.page,
        per_page=PAGE_SIZE,
        order="answer_due",
        now=now,
    )


def all_cases(
    db: Session, query: CaseQuery, person: Person | None, timezone: str, now: datetime
) -> list[dict[str, Any]]:
    """Every matching case in number order, as `cases list --format json`."""
    from store.queries import list_cases

    return list_cases(db, case_filter(query, person), timezone, now=now)
