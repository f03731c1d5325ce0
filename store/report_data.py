"""The SQL side of the yearly report: aggregates and streamed per-case timings.

Counts are done by the database (GROUP BY), never by loading case objects:
a year may hold 100,000 cases. What needs local calendar arithmetic (months,
days to answer, lateness) is streamed as narrow rows of timestamps with
`yield_per`, and computed in `responder.report.figures`.

"Received in the year" means received between local 1 January 00:00 and
local 1 January 00:00 of the next year, in the configured time zone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, cast, exists, func, or_, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from store.case_view import case_columns
from store.deadlines import end_of_day
from store.models import Case, Message, OutboxMail
from store.privacy_keys import keyed, known_secret
from store.vocabulary import (
    ERASED_SKIP_REASON,
    Flag,
    MailKind,
    MailStatus,
    MessageClass,
    Status,
)

BATCH = 5_000


@dataclass(frozen=True)
class YearWindow:
    """The instants bounding a report year (all aware)."""

    year: int
    timezone: str
    start: datetime  # local 1 January 00:00 of `year`
    stop: datetime  # local 1 January 00:00 of the next year (exclusive)
    year_end: datetime  # local 31 December 23:59:59


def year_window(year: int, timezone: str) -> YearWindow:
    """The window of `year` in `timezone`."""
    zone = ZoneInfo(timezone)
    return YearWindow(
        year=year,
        timezone=timezone,
        start=datetime.combine(date(year, 1, 1), time(), tzinfo=zone),
        stop=datetime.combine(date(year + 1, 1, 1), time(), tzinfo=zone),
        year_end=end_of_day(date(year, 12, 31), timezone),
    )


@dataclass(frozen=True)
class YearCounts:
    """Everything about a year the database counts by itself."""

    total: int
    by_channel: dict[str, int]
    by_category: dict[str | None, int]
    by_language: dict[str, int]
    by_regional_office: dict[str | None, int]
    by_outcome: dict[str | None, int]
    by_status: dict[str, int]
    ombudsdienst: int
    repeat_members: int
    follow_up_total: int
    follow_up_cases: int
    follow_up_max: int
    # (status, reason text, count) of acknowledgements skipped or failed.
    acks_unsent: list[tuple[str, str | None, int]] = field(default_factory=list)
    # Cases without any acknowledgement row, by why: see `_no_ack_reason`.
    acks_missing: dict[str, int] = field(default_factory=dict)
    # Cases whose acknowledgement came back (flag ack_bounced).
    acks_bounced: int = 0
    messages_by_class: dict[str, int] = field(default_factory=dict)
    # The analysis (issue 17, item 13): (service, cause) -> count, (service,
    # outcome) and (category, outcome) -> count; and the measures recorded,
    # as (category, service, measure) without anything about the member.
    by_service_cause: dict[tuple[str | None, str | None], int] = field(
        default_factory=dict
    )
    by_service_outcome: dict[tuple[str | None, str | None], int] = field(
        default_factory=dict
    )
    by_category_outcome: dict[tuple[str | None, str | None], int] = field(
        default_factory=dict
    )
    measures: list[tuple[str | None, str | None, str]] = field(default_factory=list)


class CaseTiming(NamedTuple):
    """The clocks of one case: no personal data (a projection of the case:
    each field names its column)."""

    received_at: datetime
    ack_due: datetime
    answer_due: datetime
    acknowledged_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    # ack_bounced among them: the acknowledgement did not reach the member.
    flags: list[str] | None = None


class CaseLine(NamedTuple):
    """One line of the internal case list (`--with-cases`): personal data (a
    projection of the case: each field names its column)."""

    number: str
    received_at: datetime
    channel: str
    category: str | None
    status: str
    outcome: str | None
    member_name: str | None
    answered_at: datetime | None


def _in_year(window: YearWindow) -> ColumnElement[bool]:
    """Complaints received in the window: a case a person reclassified as not
    a complaint (staff, question, spam, duplicate) is left out."""
    return and_(
        Case.received_at >= window.start,
        Case.received_at < window.stop,
        Case.status != Status.RECLASSIFIED,
    )


def count_cases(session: Session, window: YearWindow) -> int:
    """How many cases were received in the window."""
    statement = select(func.count()).select_from(Case).where(_in_year(window))
    return int(session.execute(statement).scalar_one())


def year_counts(session: Session, window: YearWindow) -> YearCounts:
    """All grouped counts of one year, a handful of aggregate queries."""
    total = count_cases(session, window)
    follow = _follow_ups(session, window)
    return YearCounts(
        total=total,
        by_channel=_grouped(session, window, Case.channel),
        by_category=_grouped(session, window, Case.category),
        by_language=_grouped(session, window, Case.language),
        by_regional_office=_grouped(session, window, Case.regional_office),
        by_outcome=_grouped(session, window, Case.outcome),
        by_status=_grouped(session, window, Case.status),
        ombudsdienst=_ombudsdienst(session, window),
        repeat_members=_repeat_members(session, window),
        follow_up_total=follow[0],
        follow_up_cases=follow[1],
        follow_up_max=follow[2],
        acks_unsent=_acks_unsent(session, window),
        acks_missing=_grouped(session, window, _no_ack_reason(), _no_ack_row()),
        acks_bounced=_acks_bounced(session, window),
        messages_by_class=_messages_by_class(session, window),
        by_service_cause=_pairs(session, window, Case.service, Case.cause),
        by_service_outcome=_pairs(session, window, Case.service, Case.outcome),
        by_category_outcome=_pairs(session, window, Case.category, Case.outcome),
        measures=_measures(session, window),
    )


def _grouped(
    session: Session,
    window: YearWindow,
    column: ColumnElement[Any],
    *conditions: ColumnElement[bool],
) -> dict[Any, int]:
    key = column.label("key")
    statement = (
        select(key, func.count()).where(_in_year(window), *conditions).group_by(key)
    )
    return {row[0]: int(row[1]) for row in session.execute(statement)}


def _pairs(
    session: Session,
    window: YearWindow,
    first: ColumnElement[Any],
    second: ColumnElement[Any],
) -> dict[tuple[Any, Any], int]:
    """Counts by two columns at once."""
    statement = (
        select(first, second, func.count())
        .where(_in_year(window))
        .group_by(first, second)
    )
    return {(row[0], row[1]): int(row[2]) for row in session.execute(statement)}


def _measures(
    session: Session, window: YearWindow
) -> list[tuple[str | None, str | None, str]]:
    """The measures taken, with their category and service, in case order;
    nothing that names the member or the case."""
    statement = (
        select(Case.category, Case.service, Case.measure)
        .where(_in_year(window), Case.measure.is_not(None))
        .order_by(Case.received_at, Case.id)
    )
    return [(row[0], row[1], row[2]) for row in session.execute(statement)]


def _ombudsdienst(session: Session, window: YearWindow) -> int:
    # Flags are a JSON list; its text form holds '"ombudsdienst"' on both
    # SQLite and PostgreSQL, which saves dialect-specific JSON functions.
    flagged = cast(Case.flags, String).like(f'%"{Flag.OMBUDSDIENST}"%')
    statement = (
        select(func.count())
        .select_from(Case)
        .where(_in_year(window), or_(Case.referred_at.is_not(None), flagged))
    )
    return int(session.execute(statement).scalar_one())


def member_key(
    insz_valid: bool | None, insz: str | None, number: str | None, email: str | None
) -> str | None:
    """Who the member is: valid INSZ, else member number, else e-mail."""
    if insz_valid and insz is not None:
        return "i:" + insz
    if number is not None:
        return "n:" + number
    if email is not None:
        return "e:" + email.lower()
    return None


def member_key_of(case: Case) -> str | None:
    """`member_key` of one loaded case."""
    return member_key(
        case.member_insz_valid, case.member_insz, case.member_number, case.member_email
    )


def _repeat_members(session: Session, window: YearWindow) -> int:
    """Members with more than one complaint in the year.

    Counted here, not in SQL: in an encrypted store the national number is
    sealed with a fresh nonce per case, so only its opened value compares.
    An erased case holds only the keyed pseudonym of its member
    (store/erasure.py), so when any case was ever erased every key is
    compared in that keyed form."""
    secret = known_secret(session)
    rows = session.execute(
        select(
            Case.member_insz_valid,
            Case.member_insz,
            Case.member_number,
            Case.member_email,
            Case.member_pseudonym,
        )
        .where(_in_year(window))
        .execution_options(yield_per=BATCH)
    )
    seen: Counter[str] = Counter()
    for valid, insz, number, email, pseudonym in rows:
        member = member_key(valid, insz, number, email)
        if pseudonym:
            seen[pseudonym] += 1
        elif member is not None:
            seen[member if secret is None else keyed(secret, member)] += 1
    return sum(1 for count in seen.values() if count > 1)


def _follow_ups(session: Session, window: YearWindow) -> tuple[int, int, int]:
    """(follow-up messages, cases with any, most on one case) of the year's cases."""
    per_case = (
        select(Message.case_id, func.count().label("n"))
        .join(Case, Case.id == Message.case_id)
        .where(_in_year(window), Message.klass == MessageClass.FOLLOW_UP)
        .group_by(Message.case_id)
        .subquery()
    )
    statement = select(
        func.coalesce(func.sum(per_case.c.n), 0),
        func.count(),
        func.coalesce(func.max(per_case.c.n), 0),
    ).select_from(per_case)
    total, cases, most = session.execute(statement).one()
    return int(total), int(cases), int(most)


def _acks_unsent(
    session: Session, window: YearWindow
) -> list[tuple[str, str | None, int]]:
    """Acknowledgements skipped or failed, by status and reason.

    One left out: the acknowledgement skipped because its member's data was
    erased while it still waited (store/erasure.py). Before the erasure the
    report counted that pending mail nowhere; so that the figures of any year
    stay the same after an erasure or a purge (issue 19), it counts it
    nowhere after either."""
    # A failed mail has no skip reason: NULL compared is NULL, hence coalesce.
    not_by_erasure = func.coalesce(OutboxMail.skip_reason, "") != ERASED_SKIP_REASON
    reason = when(
        (OutboxMail.status == MailStatus.SKIPPED, OutboxMail.skip_reason),
        else_=OutboxMail.last_error,
    ).label("reason")
    statement = (
        select(OutboxMail.status, reason, func.count())
        .join(Case, Case.id == OutboxMail.case_id)
        .where(
            _in_year(window),
            OutboxMail.kind == MailKind.ACKNOWLEDGEMENT,
            OutboxMail.status.in_((MailStatus.SKIPPED, MailStatus.FAILED)),
            not_by_erasure,
        )
        .group_by(OutboxMail.status, reason)
    )
    return [(row[0], row[1], int(row[2])) for row in session.execute(statement)]


def _acks_bounced(session: Session, window: YearWindow) -> int:
    """Cases of the year flagged ack_bounced (flags is a JSON list: its text
    holds the quoted word on SQLite and PostgreSQL alike)."""
    flagged = cast(Case.flags, String).like(f'%"{Flag.ACK_BOUNCED.value}"%')
    statement = select(func.count()).select_from(Case).where(_in_year(window), flagged)
    return int(session.execute(statement).scalar_one())


def _no_ack_row() -> ColumnElement[bool]:
    return ~exists().where(
        OutboxMail.case_id == Case.id, OutboxMail.kind == MailKind.ACKNOWLEDGEMENT
    )


def _no_ack_reason() -> ColumnElement[str]:
    """Why a case has no acknowledgement mail (no e-mail address, mostly)."""
    return when(
        (Case.letter_sent_at.is_not(None), "letter_sent"),
        (Case.acknowledged_at.is_not(None), "acknowledged_otherwise"),
        (Case.closed_at.is_not(None), "closed_without_acknowledgement"),
        else_="awaiting_letter",
    )


def _messages_by_class(session: Session, window: YearWindow) -> dict[str, int]:
    statement = (
        select(Message.klass, func.count())
        .where(Message.received_at >= window.start, Message.received_at < window.stop)
        .group_by(Message.klass)
    )
    return {row[0]: int(row[1]) for row in session.execute(statement)}


def case_timings(
    session: Session, window: YearWindow, batch: int = BATCH
) -> Iterator[CaseTiming]:
    """The clocks of every case of the year, streamed in batches."""
    statement = (
        select(*case_columns(CaseTiming._fields))
        .where(_in_year(window))
        .execution_options(yield_per=batch)
    )
    return (CaseTiming(*row) for row in session.execute(statement))


def case_lines(
    session: Session, window: YearWindow, batch: int = BATCH
) -> Iterator[CaseLine]:
    """The internal case list of the year in number order (personal data)."""
    statement = (
        select(*case_columns(CaseLine._fields))
        .where(_in_year(window))
        .order_by(Case.year, Case.seq)
        .execution_options(yield_per=batch)
    )
    return (CaseLine(*row) for row in session.execute(statement))
