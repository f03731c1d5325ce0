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
    func,
    insert,
    or_,
    select,
    table,
    text,
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
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_NUMBERISH = re.compile(r"^\+?[\d\s./\-()]+$")
BATCH = 500
MAX_WORDS = 8


def fold(text: str | None) -> str:
    """Lower case without accents, whitespace collapsed: "Élodie  Dupré" ->
    "elodie dupre"."""
    if not text:
        return ""
    # ASCII has no decompositions and no combining marks: only the other
    # characters are looked at (a case's text is mostly ASCII; a generator
    # over every character cost a third of a batch's search index).
    if not text.isascii():
        text = _NON_ASCII.sub(_without_marks, unicodedata.normalize("NFKD", text))
    return _SPACE.sub(" ", text.casefold()).strip()


def _without_marks(run: re.Match[str]) -> str:
    return "".join(ch for ch in run.group() if not unicodedata.combining(ch))


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


def rebuild_all(session: Session | Connection) -> None:
    """Every case's search row made anew, the SQLite index built in one pass.

    For a store that already holds many cases (a repair, a benchmark): the
    FTS5 triggers are set aside while the rows are written, then the index
    is rebuilt from them and the triggers put back as they were, all in the
    caller's transaction. Growing the index a trigger at a time costs
    superlinearly (20,000 cases: 27.7 s against 12.6 s).
    """
    if session.get_bind().dialect.name != "sqlite":
        session.execute(delete(SEARCH))
        reindex_all(session)
        return
    triggers = session.execute(
        text(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'trigger' AND tbl_name = 'case_search'"
        )
    ).all()
    for name, _ in triggers:
        session.execute(text(f'DROP TRIGGER "{name}"'))
    session.execute(delete(SEARCH))
    reindex_all(session)
    session.execute(
        text("INSERT INTO case_search_fts(case_search_fts) VALUES ('rebuild')")
    )
    for _, sql in triggers:
        session.execute(text(sql))


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
        return _as_stored(self.terms, self.any_of, dialect)


def _matching_ids(dialect: str, terms: list[str], any_of: bool) -> Any:
    """The ids of the cases whose text has the terms, from the engine's index."""
    if dialect == "sqlite":
        # One GLOB per term on the FTS5 trigram table: each is answered from
        # the index. OR is not pushed into a virtual table, so "any of" is a
        # union.
        globs = [FTS.c.text.op("GLOB")(_glob(t)) for t in terms]
        if any_of:
            return union(*(select(FTS.c.rowid).where(g) for g in globs))
        return select(FTS.c.rowid).where(and_(*globs))
    return select(SEARCH.c.case_id).where(_likes(terms, any_of))


def _likes(
    terms: list[str], any_of: bool, text: ColumnElement[Any] = SEARCH.c.text
) -> ColumnElement[bool]:
    likes = [text.like(_like(t), escape="\\") for t in terms]
    return or_(*likes) if any_of else and_(*likes)


@compiles(_Match)
def _compile_like(element: _Match, compiler: Any, **kw: Any) -> str:
    terms, any_of = element.terms_for(compiler.dialect)
    ids = _matching_ids("default", terms, any_of)
    return compiler.process(element.case_id.in_(ids), **kw)


@compiles(_Match, "sqlite")
def _compile_fts(element: _Match, compiler: Any, **kw: Any) -> str:
    terms, any_of = element.terms_for(compiler.dialect)
    ids = _matching_ids("sqlite", terms, any_of)
    return compiler.process(element.case_id.in_(ids), **kw)


def count_upto(session: Session, query: str, limit: int) -> int:
    """How many cases match `query`, counting no further than `limit`.

    Cheap however common the words are: the index stops at `limit`."""
    terms, any_of = _stored_terms(session, query)
    if not terms:
        return 0
    dialect = session.get_bind().dialect.name
    ids = _matching_ids(dialect, terms, any_of).limit(limit).subquery()
    return int(session.scalar(select(func.count()).select_from(ids)) or 0)


def _stored_terms(session: Session, query: str) -> tuple[list[str], bool]:
    """The query's terms as the search text holds them (hashed numbers and
    addresses in an encrypted store)."""
    return _as_stored(*query_terms(query), session)


def _as_stored(terms: list[str], any_of: bool, bind: Any) -> tuple[list[str], bool]:
    """`terms` as the search text of `bind`'s engine holds them: with a
    keyring, numbers and addresses as their keyed hashes."""
    keyring = keyring_of(bind)
    if not terms or keyring is None:
        return terms, any_of
    return search_hashes.query_tokens(terms, any_of, keyring)


def each_matches(
    session: Session, case_id: ColumnElement[Any], query: str
) -> ColumnElement[bool]:
    """"This case's text has the terms", tested row by row (no index).

    For a query most cases match: walking the cases in a page's order and
    testing each finds a page after about as many tests as it has rows,
    where the index would first list (and check) every match. The text is
    a scalar subquery, which PostgreSQL does not turn into a join over the
    trigram index (an EXISTS it did: every match fetched, 480 ms)."""
    terms, any_of = _stored_terms(session, query)
    text_of = (
        select(SEARCH.c.text).where(SEARCH.c.case_id == case_id).scalar_subquery()
    )
    return _likes(terms, any_of, text_of)


def matches(case_id: ColumnElement[Any], query: str) -> ColumnElement[bool] | None:
    """The condition "`case_id` is a case matching `query`"; None when the
    query has no words."""
    terms, any_of = query_terms(query)
    if not terms:
        return None
    return _Match(case_id, terms, any_of)
