"""The one read shape of a case: what every reader outside the store sees.

The case JSON (`cases list`, `case show`), the delivery worker and its
templates, the letter and the reminder planning all read a `CaseView`, built
from an ORM `Case` or a row of the cases table, with its member as a
`Member`. Narrower reads (the report's streamed lines) are projections:
their fields are case column names, and their query is derived from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column

from store.errors import UserError
from store.member import Member
from store.models import Case
from store.vocabulary import Flag

CASES = Case.__table__


@dataclass(frozen=True)
class CaseView:
    """A case as read: its clocks, state, member and classification."""

    id: int
    number: str
    status: str
    channel: str
    language: str
    received_at: datetime
    ack_due: datetime
    answer_due: datetime
    acknowledged_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    member: Member
    subject: str | None
    category: str | None
    regional_office: str | None
    flags: tuple[str, ...]
    assigned_to: str | None
    outcome: str | None
    referred_at: datetime | None
    letter_sent_at: datetime | None
    # What the yearly analysis learns (`case edit`), and a reclassification.
    cause: str | None = None
    service: str | None = None
    measure: str | None = None
    reclassified_as: str | None = None
    duplicate_of: str | None = None

    @classmethod
    def of(cls, case: Any) -> CaseView:
        """From a `Case` or a row of the cases table (same names)."""
        return cls(
            **{name: getattr(case, name) for name in _PLAIN},
            member=Member.of_case(case),
            flags=tuple(case.flags or ()),
        )


# The fields read as they are stored (the member and the flags are not).
_PLAIN = tuple(
    name for name in CaseView.__dataclass_fields__ if name not in ("member", "flags")
)


# What the workspace tells a person to do about a missing address; the command
# line names its own options instead.
COMPLETE_ADDRESS = "complete the member's street, postcode and municipality"


def refuse_unpostable(case: CaseView, how: str = COMPLETE_ADDRESS) -> None:
    """A letter nobody can post is not made, nor an answer by post recorded:
    UserError while the member's street, postcode or municipality is missing
    (flag awaiting_address, or not). `how` says how to complete it."""
    if Flag.AWAITING_ADDRESS in case.flags or not case.member.postable:
        raise UserError(
            f"case {case.number} has no postal address to send a letter to: {how}"
        )


def case_columns(names: Iterable[str]) -> list[Column[Any]]:
    """The columns of the cases table a projection's fields name, in order."""
    return [CASES.c[name] for name in names]
