"""Search over cases: number, member, national and phone numbers, and text.

Every case has one row in `case_search` holding two folded texts (accents
and case removed, whitespace collapsed): `ident` (number, name, e-mail,
member number, address, and national and phone numbers as bare digits in
their usual national and international forms) and `body` (subject,
description, desired solution, message subjects and texts, form fields,
attachment names). A query matches a case when every word of it occurs in
one of the two texts; a query that looks like a number (digits with dots,
dashes, spaces, slashes or a "+") also matches its bare digits, so
"85.07.30-033.61", "85073003361" and "0470 12 34 56" find what was typed in
any other formatting.

The write paths call `reindex` for the cases they touch; the migration that
made the table fills it for the cases already stored. Only plain columns are
read here (no ORM entities), so the migration can use it whatever columns
later versions add.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, column, delete, insert, or_, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

_CASES = table(
    "cases",
    column("id"),
    column("number"),
    column("member_name"),
    column("member_email"),
    column("member_phone"),
    column("member_street"),
    column("member_postcode"),
    column("member_city"),
    column("member_number"),
    column("member_insz"),
    column("subject"),
    column("description"),
    column("desired_solution"),
)
_MESSAGES = table(
    "messages",
    column("case_id"),
    column("id"),
    column("subject"),
    column("sender"),
    column("new_text"),
    column("body_text"),
)
_FORM_FIELDS = table("form_fields", column("case_id"), column("id"), column("value"))
_ATTACHMENTS = table("attachments", column("case_id"), column("filename"))
SEARCH = table("case_search", column("case_id"), column("ident"), column("body"))

_SPACE = re.compile(r"\s+")
_NUMBERISH = re.compile(r"^\+?[\d\s./\-()]+$")
BATCH = 500
MAX_WORDS = 8


def fold(text: str | None) -> str:
    """Lower case without accents, whitespace collapsed: "Élodie  Dupré" ->
    "elodie dupre"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", bare.casefold()).strip()


def digit_forms(text: str | None) -> list[str]:
    """The bare digits of a number, and for a Belgian phone number both its
    national (0...) and international (32...) forms."""
    if not text:
        return []
    digits = re.sub(r"\D", "", text)
    if len(digits) < 6:
        return []
    forms = [digits]
    if digits.startswith("0032"):
        digits = digits[2:]
        forms.append(digits)
    if digits.startswith("32") and len(digits) in (10, 11):
        forms.append("0" + digits[2:])
    elif digits.startswith("0") and len(digits) in (9, 10):
        forms.append("32" + digits[1:])
    return forms


def ident_text(row: Any) -> str:
    """The folded identifying text of a case row."""
    parts = [
        row.number,
        row.member_name,
        row.member_email,
        row.member_street,
        row.member_postcode,
        row.member_city,
        row.member_number,
        row.member_insz,
        row.member_phone,
        *digit_forms(row.member_insz),
        *digit_forms(row.member_phone),
        *digit_forms(row.member_number),
    ]
    return "\n".join(fold(p) for p in parts if p)


def body_text(row: Any, extra: Iterable[str | None]) -> str:
    """The folded free text of a case row and what hangs under it."""
    parts = [row.subject, row.description, row.desired_solution, *extra]
    return "\n".join(fold(p) for p in parts if p)


def reindex(session: Session | Connection, case_ids: Iterable[int]) -> None:
    """Rebuild the search rows of `case_ids` in the caller's transaction."""
    ids = sorted({int(i) for i in case_ids if i is not None})
    for start in range(0, len(ids), BATCH):
        _reindex_batch(session, ids[start : start + BATCH])


def reindex_all(session: Session | Connection) -> None:
    """Rebuild every case's search row (the migration, and repairs)."""
    ids = session.execute(select(_CASES.c.id).order_by(_CASES.c.id)).scalars()
    reindex(session, list(ids))


def _reindex_batch(session: Session | Connection, ids: Sequence[int]) -> None:
    extra: dict[int, list[str | None]] = defaultdict(list)
    messages = select(
        _MESSAGES.c.case_id,
        _MESSAGES.c.subject,
        _MESSAGES.c.sender,
        _MESSAGES.c.new_text,
        _MESSAGES.c.body_text,
    ).where(_MESSAGES.c.case_id.in_(ids))
    for case_id, subject, sender, new, body in session.execute(
        messages.order_by(_MESSAGES.c.id)
    ):
        extra[case_id] += [subject, sender, new or body]
    fields = select(_FORM_FIELDS.c.case_id, _FORM_FIELDS.c.value).where(
        _FORM_FIELDS.c.case_id.in_(ids)
    )
    for case_id, value in session.execute(fields.order_by(_FORM_FIELDS.c.id)):
        extra[case_id].append(value)
    names = select(_ATTACHMENTS.c.case_id, _ATTACHMENTS.c.filename).where(
        _ATTACHMENTS.c.case_id.in_(ids)
    )
    for case_id, filename in session.execute(names):
        extra[case_id].append(filename)
    rows = session.execute(select(_CASES).where(_CASES.c.id.in_(ids))).all()
    session.execute(delete(SEARCH).where(SEARCH.c.case_id.in_(ids)))
    if rows:
        session.execute(
            insert(SEARCH),
            [
                {
                    "case_id": row.id,
                    "ident": ident_text(row),
                    "body": body_text(row, extra[row.id]),
                }
                for row in rows
            ],
        )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matches(query: str) -> ColumnElement[bool] | None:
    """The condition on `case_search` for `query`; None for an empty query.

    Each word must occur in the identifying text or the free text; a query
    that is a number in any formatting also matches its bare digits.
    """
    text = fold(query)
    if not text:
        return None
    if _NUMBERISH.match(text) and digit_forms(text):
        forms = [text, *digit_forms(text)]
        return or_(*(SEARCH.c.ident.like(_like(f), escape="\\") for f in forms))
    conditions: list[ColumnElement[bool]] = []
    for word in text.split(" ")[:MAX_WORDS]:
        pattern = _like(word)
        conditions.append(
            or_(
                SEARCH.c.ident.like(pattern, escape="\\"),
                SEARCH.c.body.like(pattern, escape="\\"),
            )
        )
    return and_(*conditions)


def matching_case_ids(query: str) -> Any:
    """A subquery of the case ids matching `query` (see `matches`)."""
    condition = matches(query)
    statement = select(SEARCH.c.case_id)
    if condition is not None:
        statement = statement.where(condition)
    return statement
