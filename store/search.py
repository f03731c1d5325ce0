"""Search over cases: number, member, national and phone numbers, and text.

Every case has one row in `case_search` holding one folded text (accents and
case removed, whitespace collapsed): the number, the member's name, e-mail,
member number and address, national and phone numbers also as bare digits
in their usual national and international forms, then the subject,
description, desired solution, message subjects, senders and texts, form
fields and attachment names. A query matches a case when every word of it
occurs in that text (as a substring); a query that looks like a number
(digits with dots, dashes, spaces, slashes or a "+") matches its bare digits
too, so "85.07.30-033.28", "85073003328" and "0470 12 34 56" find what was
typed in any other formatting.

The substring matching is indexed: on PostgreSQL by a trigram GIN index
(pg_trgm) on the text, used by LIKE; on SQLite by an FTS5 table with the
trigram tokenizer over the same rows (`case_search_fts`, kept in step by
triggers), used by GLOB. Both give the same answers; words shorter than three
characters are matched by scanning.

In an encrypted store (`[privacy] key_file`) the text holds national and
phone numbers and e-mail addresses as keyed hashes, and no address or form
field (store/search_hashes.py); a number or an address is then found when
typed whole, not by a part of it.

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

from sqlalchemy import (
    Boolean,
    and_,
    column,
    delete,
    insert,
    or_,
    select,
    table,
    union,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from store import search_hashes
from store.crypto import Keyring, keyring_of
from store.sealed import SealedText

_CASES = table(
    "cases",
    column("id"),
    column("number"),
    column("member_name"),
    column("member_email"),
    column("member_phone", SealedText()),
    column("member_street", SealedText()),
    column("member_postcode", SealedText()),
    column("member_city", SealedText()),
    column("member_number"),
    column("member_insz", SealedText()),
    column("subject"),
    column("description", SealedText()),
    column("desired_solution", SealedText()),
)
_MESSAGES = table(
    "messages",
    column("case_id"),
    column("id"),
    column("subject"),
    column("sender"),
    column("new_text", SealedText()),
    column("body_text", SealedText()),
)
_FORM_FIELDS = table(
    "form_fields", column("case_id"), column("id"), column("value", SealedText())
)
_ATTACHMENTS = table("attachments", column("case_id"), column("filename"))
SEARCH = table("case_search", column("case_id"), column("text"))
FTS = table("case_search_fts", column("rowid"), column("text"))

# Made by migration 0005 for one engine each, not declared in the models: the
# FTS5 table (and the shadow tables SQLite makes for it) and the GIN index.
MIGRATION_ONLY = ("case_search_fts", "ix_case_search_text_trgm")
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


def case_text(
    row: Any, extra: Iterable[str | None], keyring: Keyring | None = None
) -> str:
    """The folded search text of a case row and what hangs under it; with a
    keyring, identifiers as keyed hashes (store/search_hashes.py)."""
    if keyring is not None:
        hashed = search_hashes.hashed_parts(row, extra, keyring, fold, digit_forms)
        return "\n".join(dict.fromkeys(part for part in hashed if part))
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
        row.subject,
        row.description,
        row.desired_solution,
        *extra,
    ]
    # A text that is already there once adds nothing to a substring search:
    # a complaint by mail has its description and its message's text alike,
    # and storing (and indexing) them twice doubled a case's write, enough
    # for the WAL and its checkpoint not to fit a disk the case itself fits.
    folded = dict.fromkeys(fold(p) for p in parts if p)
    return "\n".join(text for text in folded if text)


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
    keyring = keyring_of(session)
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
    if keyring is None:  # sealed form fields stay out of the search text
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
                {"case_id": row.id, "text": case_text(row, extra[row.id], keyring)}
                for row in rows
            ],
        )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _glob(text: str) -> str:
    escaped = "".join(f"[{ch}]" if ch in "*?[" else ch for ch in text)
    return f"*{escaped}*"


def query_terms(query: str) -> tuple[list[str], bool]:
    """(terms, any_of): the folded words that must all occur, or for a number
    its forms of which one must occur. No terms for an empty query."""
    text = fold(query)
    if not text:
        return [], False
    if _NUMBERISH.match(text) and digit_forms(text):
        return [text, *digit_forms(text)], True
    return text.split(" ")[:MAX_WORDS], False


class _Match(ColumnElement[bool]):
    """`case_id IN (cases whose text has the terms)`, compiled per engine."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, case_id: ColumnElement[Any], terms: list[str], any_of: bool):
        self.case_id, self.terms, self.any_of = case_id, terms, any_of

    def terms_for(self, dialect: Any) -> tuple[list[str], bool]:
        """The terms as the engine's search text holds them: hashed numbers
        and addresses too when it has a keyring (computed when compiled, so
        a query built without a session still searches an encrypted store)."""
        keyring = keyring_of(dialect)
        if keyring is None:
            return self.terms, self.any_of
        return search_hashes.query_tokens(self.terms, self.any_of, keyring)


@compiles(_Match)
def _compile_like(element: _Match, compiler: Any, **kw: Any) -> str:
    terms, any_of = element.terms_for(compiler.dialect)
    likes = [SEARCH.c.text.like(_like(t), escape="\\") for t in terms]
    where = or_(*likes) if any_of else and_(*likes)
    ids = select(SEARCH.c.case_id).where(where)
    return compiler.process(element.case_id.in_(ids), **kw)


@compiles(_Match, "sqlite")
def _compile_fts(element: _Match, compiler: Any, **kw: Any) -> str:
    # One GLOB per term on the FTS5 trigram table: each is answered from the
    # index. OR is not pushed into a virtual table, so "any of" is a union.
    terms, any_of = element.terms_for(compiler.dialect)
    globs = [FTS.c.text.op("GLOB")(_glob(t)) for t in terms]
    if any_of:
        ids: Any = union(*(select(FTS.c.rowid).where(g) for g in globs))
    else:
        ids = select(FTS.c.rowid).where(and_(*globs))
    return compiler.process(element.case_id.in_(ids), **kw)


def matches(case_id: ColumnElement[Any], query: str) -> ColumnElement[bool] | None:
    """The condition "`case_id` is a case matching `query`"; None when the
    query has no words."""
    terms, any_of = query_terms(query)
    if not terms:
        return None
    return _Match(case_id, terms, any_of)
