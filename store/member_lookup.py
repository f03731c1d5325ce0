"""Which cases and messages are about one member (access request, erasure).

A member is named by e-mail address (compared without regard to case) or by
national register number in any formatting ("85.07.30-033.28",
"85073003328", "850730 033 28"): the stored number is compared by its
digits. Messages count when they belong to one of the member's cases, or
belong to no case and were sent from the member's address (a bounce, an
auto-reply, a quarantined mail).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from store import search
from store.crypto import keyring_of
from store.errors import UserError
from store.member_checks import valid_email
from store.models import Case, Message

if TYPE_CHECKING:
    from store.registration_input import NewCase


@dataclass(frozen=True)
class MemberQuery:
    """Who is asked for: exactly one of the two is set."""

    email: str | None = None
    insz: str | None = None

    def describe(self) -> str:
        return "that e-mail address" if self.email else "that national number"


def member_query(email: str | None, insz: str | None) -> MemberQuery:
    """The query, or UserError for an address or number that cannot be one."""
    if (email is None) == (insz is None):
        raise UserError("name the member by --email or by --insz, not both")
    if email is not None:
        if not valid_email(email):
            raise UserError(f"not an e-mail address: {email!r}")
        return MemberQuery(email=email.strip().lower())
    assert insz is not None
    if re.search(r"[^\d\s.\-/]", insz):
        raise UserError("a national register number holds only digits")
    digits = re.sub(r"\D", "", insz)
    if len(digits) != 11:
        raise UserError(f"a national register number has 11 digits, not {len(digits)}")
    return MemberQuery(insz=digits)


def _digits(column: ColumnElement[str | None]) -> ColumnElement[str | None]:
    for separator in (".", "-", " ", "/"):
        column = func.replace(column, separator, "")
    return column


def _case_condition(query: MemberQuery) -> ColumnElement[bool]:
    if query.email is not None:
        return func.lower(Case.member_email) == query.email
    return _digits(Case.member_insz) == query.insz


def member_cases(session: Session, query: MemberQuery) -> list[Case]:
    """The member's cases in number order."""
    order = (Case.year, Case.seq)
    if query.insz is not None and keyring_of(session) is not None:
        # Encrypted: each sealed number has its own nonce, so no column
        # compares; the search index holds the number's keyed hash. Its
        # candidates are checked against the opened value.
        found = select(Case).where(search.matches(Case.id, query.insz))
        return [
            case
            for case in session.scalars(found.order_by(*order))
            if re.sub(r"\D", "", case.member_insz or "") == query.insz
        ]
    statement = select(Case).where(_case_condition(query)).order_by(*order)
    return list(session.scalars(statement))


def loose_messages(session: Session, query: MemberQuery) -> list[Message]:
    """Messages of no case sent from the member's address."""
    if query.email is None:
        return []
    statement = (
        select(Message)
        .where(Message.case_id.is_(None), func.lower(Message.sender) == query.email)
        .order_by(Message.id)
    )
    return list(session.scalars(statement))


def require_member(
    session: Session, query: MemberQuery
) -> tuple[list[Case], list[Message]]:
    """The member's cases and loose messages; UserError when there are none."""
    cases = member_cases(session, query)
    loose = loose_messages(session, query)
    if not cases and not loose:
        raise UserError(f"no case or message is about {query.describe()}")
    return cases, loose


def case_messages(session: Session, case_ids: list[int]) -> list[Message]:
    """Every message of the cases, in arrival order."""
    if not case_ids:
        return []
    statement = (
        select(Message)
        .where(Message.case_id.in_(case_ids))
        .order_by(Message.received_at, Message.id)
    )
    return list(session.scalars(statement))


def earlier_language(session: Session, email: str | None) -> str | None:
    """The language of the member's latest case by that address (or None):
    it decides a new complaint whose text and forms do not (issue 17)."""
    if not email:
        return None
    statement = (
        select(Case.language)
        .where(func.lower(Case.member_email) == email.strip().lower())
        .where(Case.language.is_not(None))
        .order_by(Case.received_at.desc(), Case.id.desc())
        .limit(1)
    )
    return session.scalar(statement)


def with_earlier_language(session: Session, new: NewCase) -> NewCase:
    """A new case whose language neither a person, a form nor its text
    decided takes the language of the member's latest earlier case (before
    the postcode and the default): mail intake and registration by hand."""
    if not new.language_from_history:
        return new
    language = earlier_language(session, new.member.email)
    if language and language != new.language:
        return replace(new, language=language, language_from_history=False)
    return new
