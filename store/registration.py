"""Registration: the only code that creates cases, for every channel.

`open_cases` numbers and inserts new cases in one multi-row statement; intake
(`store.inbound`, a batch of mail) and postal or oral registration
(`register_case`, a batch of one) both go through it, and both queue the
acknowledgement with the one row builder `acknowledgement_row`. The ORM
helpers below serve the lifecycle (events, outbox mails) on cases already
loaded. Everything happens in the caller's transaction: either all of it
commits or none of it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store import blobs, deadlines, search
from store.errors import NotFound
from store.member_lookup import with_earlier_language
from store.models import (
    Attachment,
    Case,
    Event,
    FormFieldValue,
    Message,
    OutboxMail,
    utcnow,
)
from store.numbering import format_number, parse_number, raise_counters, take_seqs
from store.registration_input import (
    AttachmentRecord,
    CaseRules,
    FormFieldRecord,
    NewCase,
)
from store.registration_rows import (
    SYSTEM_ACTOR,
    acknowledgement_row,
    attachment_row,
    case_row,
    event_row,
    outbox_row,
    registered_event,
)
from store.vocabulary import Flag, Status


def open_cases(
    session: Session, rules: CaseRules, news: Sequence[NewCase]
) -> list[tuple[int, str]]:
    """Number new cases (in the given order, per year) and insert them.

    Returns (id, number) per case, in the order of `news`. A case's year is
    that of its received date in the configured timezone.
    """
    if not news:
        return []
    rows: list[dict[str, Any]] = [{} for _ in news]
    kept = _earlier_numbers(session, rules.number_format, news)
    for index, (year, seq) in kept.items():
        number = format_number(rules.number_format, year, seq)
        rows[index] = case_row(rules, news[index], number, year, seq)
    by_year: dict[int, list[int]] = {}
    for index, new in enumerate(news):
        if index in kept:
            continue
        year = deadlines.local_date(new.received_at, rules.timezone).year
        by_year.setdefault(year, []).append(index)
    for year, indexes in sorted(by_year.items()):
        taken = take_seqs(session, year, len(indexes))
        for index, seq in zip(indexes, taken, strict=True):
            number = format_number(rules.number_format, year, seq)
            rows[index] = case_row(rules, news[index], number, year, seq)
    table = Case.__table__
    ids = _insert_returning_ids(session, table, table.c.number, rows)
    return [(ids[row["number"]], row["number"]) for row in rows]


def _earlier_numbers(
    session: Session, number_format: str, news: Sequence[NewCase]
) -> dict[int, tuple[int, int]]:
    """(year, seq) per index of `news` whose earlier number is kept: one in
    the configured format that no case holds (the first asker wins). The
    year's counter is raised past it, so it is never handed out again."""
    wanted: dict[int, tuple[int, int]] = {}
    for index, new in enumerate(news):
        parsed = parse_number(number_format, new.number) if new.number else None
        if parsed is not None and parsed not in wanted.values():
            wanted[index] = parsed
    if not wanted:
        return {}
    numbers = {format_number(number_format, *pair) for pair in wanted.values()}
    taken = set(session.scalars(select(Case.number).where(Case.number.in_(numbers))))
    kept = {
        index: pair
        for index, pair in wanted.items()
        if format_number(number_format, *pair) not in taken
    }
    highest: dict[int, int] = {}
    for year, seq in kept.values():
        highest[year] = max(seq, highest.get(year, 0))
    raise_counters(session, highest)
    return kept


def acknowledgement_address(new: NewCase) -> str | None:
    """Where the acknowledgement of a complaint registered by hand goes: the
    member's address, unless it was handled at once (closed when registered);
    the command line and the workspace alike."""
    return new.member.email if new.status != Status.CLOSED else None


def register_case(
    session: Session,
    rules: CaseRules,
    new: NewCase,
    *,
    attachments: Sequence[AttachmentRecord] = (),
    acknowledge_to: str | None = None,
    actor: str = SYSTEM_ACTOR,
    form_fields: Sequence[FormFieldRecord] = (),
) -> Case:
    """Register a complaint that did not come by e-mail (post, oral, ...);
    `form_fields` are the values read from a scanned form, as typed."""
    new = with_earlier_language(session, new)
    ((case_id, number),) = open_cases(session, rules, [new])
    now = utcnow()
    events = [registered_event(new, case_id, now, actor=actor)]
    if new.status == Status.CLOSED:
        events.append(
            event_row(
                "closed",
                {"handled_immediately": True},
                case_id=case_id,
                at=now,
                actor=actor,
            )
        )
    if attachments:
        rows = [attachment_row(item, case_id) for item in attachments]
        blobs.insert_rows(session, Attachment.__table__, rows, blob="data")
    session.execute(insert(Event.__table__), events)
    if form_fields:
        session.execute(
            insert(FormFieldValue.__table__),
            [
                {
                    "case_id": case_id,
                    "key": item.key[:60],
                    "value": item.value,
                    "source": item.source[:40],
                    "origin": item.origin[:255],
                }
                for item in form_fields
            ],
        )
    if acknowledge_to:
        # A coordinator typed the address and the subject: both are theirs.
        row = acknowledgement_row(
            rules, case_id, number, new.language, acknowledge_to, verified=True
        )
        session.execute(insert(OutboxMail.__table__), [row])
    search.reindex(session, [case_id])
    case = session.get(Case, case_id)
    assert case is not None
    return case


def case_by_number(session: Session, number: str, *, lock: bool = False) -> Case:
    statement = select(Case).where(Case.number == number)
    if lock:
        statement = statement.with_for_update()
    case = session.scalars(statement).first()
    if case is None:
        raise NotFound(f"no case with number {number}")
    return case


def add_event(
    session: Session,
    kind: str,
    /,
    *,
    case: Case | None = None,
    message: Message | None = None,
    actor: str = SYSTEM_ACTOR,
    **details: Any,
) -> Event:
    """Append to the audit trail (`kind` is positional: details may use "kind")."""
    event = Event(kind=kind, actor=actor, details=details, at=utcnow())
    event.case = case
    event.message = message
    session.add(event)
    return event


def staff_acted(case: Case) -> None:
    """A person acted on the case: a member's reply has been seen to."""
    if Flag.MEMBER_REPLIED in (case.flags or ()):
        # A new list, not an in-place change: JSON columns only see assignment.
        case.flags = sorted(set(case.flags) - {Flag.MEMBER_REPLIED})


def enqueue_mail(
    session: Session,
    rules: CaseRules,
    *,
    kind: str,
    audience: str,
    template: str,
    language: str,
    recipients: list[str],
    case: Case | None = None,
    context: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
) -> OutboxMail:
    """Write one outbox row; the responder renders and sends it later."""
    row = outbox_row(
        rules,
        kind=kind,
        audience=audience,
        template=template,
        language=language,
        recipients=recipients,
        context=context,
        dedupe_key=dedupe_key,
        in_reply_to=in_reply_to,
        references=references,
    )
    return _add_mail(session, row, case)


def _add_mail(session: Session, row: dict[str, Any], case: Case | None) -> OutboxMail:
    """The ORM object of an outbox row, attached to its (loaded) case."""
    row.pop("case_id")
    mail = OutboxMail(**row)
    mail.case = case
    session.add(mail)
    return mail


def is_conflict(error: IntegrityError) -> bool:
    """True when an insert lost a race on a unique key (a duplicate)."""
    text = str(error.orig).lower()
    return "unique" in text or "duplicate key" in text


def add_attachments(
    session: Session,
    case: Case,
    records: Sequence[AttachmentRecord],
    extra_flags: Sequence[str] = (),
) -> None:
    """Keep files handed in outside a mail (a scanned letter, a confirmation)."""
    for item in records:
        row = attachment_row(item, case.id, extra_flags=tuple(extra_flags))
        del row["case_id"], row["message_id"]
        session.add(Attachment(case=case, **row))


def _insert_returning_ids(
    session: Session, table: Any, key: Any, rows: list[dict[str, Any]]
) -> dict[Any, int]:
    """Insert `rows` in one multi-row statement; their ids by unique `key`.

    The ids are matched by the key, not by position: asking SQLAlchemy for
    rows in parameter order makes it insert one row at a time on SQLite.
    """
    statement = insert(table).returning(table.c.id, key)
    return {row[1]: row[0] for row in session.execute(statement, rows)}
