"""The member: one value type and one check, for every channel.

Intake (forms and mail), the command line and the workspace all make a
`Member` through `check_member`, so a value is normalised by the same rules
wherever it was typed. The check never refuses: it returns the normalised
member with a problem per field that looks wrong, and the caller decides.
Intake flags the case (`Problem.flag`); the command line and the workspace
refuse with the problem's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from types import MappingProxyType

from store.member_checks import (
    check_insz,
    normalise_phone,
    valid_email,
    valid_postcode,
)
from store.models import Case
from store.vocabulary import Flag


@dataclass(frozen=True)
class Member:
    """Who filed a complaint, as the case keeps it (all optional)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    member_number: str | None = None
    insz: str | None = None
    insz_valid: bool | None = None

    @property
    def postable(self) -> bool:
        """A letter can be posted: street, postcode and municipality known."""
        return bool(self.street and self.postcode and self.city)

    def clipped(self) -> Member:
        """Values cut to their column's size: a long value must not fail a batch."""
        return replace(
            self,
            **{
                key: value[:limit]
                for key, limit in MEMBER_LIMITS.items()
                if (value := getattr(self, key)) is not None
            },
        )

    def as_dict(self) -> dict[str, str | bool | None]:
        """The member object of the case JSON (key order of the dataclass)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def of_case(cls, case: object) -> Member:
        """The member of a case row (ORM object or row with `member_*` columns)."""
        return cls(**{key: getattr(case, column) for key, column in COLUMNS.items()})


# The case column that holds each member field.
COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        f.name: f.name if f.name == "member_number" else f"member_{f.name}"
        for f in fields(Member)
    }
)
# Column sizes of the text fields, read from the model.
MEMBER_LIMITS: Mapping[str, int] = MappingProxyType(
    {
        key: length
        for key, column in COLUMNS.items()
        if (length := getattr(Case.__table__.c[column].type, "length", None))
    }
)


@dataclass(frozen=True)
class Problem:
    """A value that looks wrong: the field, the case flag, a line for a person."""

    field: str
    flag: str
    message: str


@dataclass(frozen=True)
class CheckedMember:
    """The normalised member and what looked wrong in what was typed."""

    member: Member
    problems: tuple[Problem, ...] = ()

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(p.flag for p in self.problems)

    def problem(self, field: str) -> Problem | None:
        return next((p for p in self.problems if p.field == field), None)


def check_member(
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    street: str | None = None,
    postcode: str | None = None,
    city: str | None = None,
    member_number: str | None = None,
    insz: str | None = None,
) -> CheckedMember:
    """Normalise typed member details; a wrong value is kept as typed.

    Blank values become None; e-mail is lower-cased; a phone number becomes
    E.164; a valid INSZ is formatted YY.MM.DD-XXX.CC and `insz_valid` tells
    whether it passed its check digits.
    """
    problems: list[Problem] = []
    email = _text(email)
    if email is not None:
        email = email.lower()
        if not valid_email(email):
            message = f"invalid e-mail address {email!r}"
            problems.append(Problem("email", Flag.EMAIL_INVALID, message))
    phone = _text(phone)
    if phone is not None:
        normalised = normalise_phone(phone)
        if normalised is None:
            message = f"invalid phone number {phone!r}"
            problems.append(Problem("phone", Flag.PHONE_INVALID, message))
        phone = normalised or phone
    postcode = _text(postcode)
    if postcode is not None and not valid_postcode(postcode):
        message = f"invalid Belgian postcode {postcode!r}: expected 1000 to 9992"
        problems.append(Problem("postcode", Flag.POSTCODE_INVALID, message))
    insz, insz_valid = _insz(_text(insz), problems)
    member = Member(
        name=_text(name),
        email=email,
        phone=phone,
        street=_text(street),
        postcode=postcode,
        city=_text(city),
        member_number=_text(member_number),
        insz=insz,
        insz_valid=insz_valid,
    )
    return CheckedMember(member, tuple(problems))


def _insz(typed: str | None, problems: list[Problem]) -> tuple[str | None, bool | None]:
    if typed is None:
        return None, None
    check = check_insz(typed)
    if not check.valid:
        message = f"invalid national register number {typed!r}: {check.reason}"
        problems.append(Problem("insz", Flag.INSZ_INVALID, message))
        return check.typed, False
    return check.formatted, True


def _text(value: str | None) -> str | None:
    return (value.strip() or None) if value is not None else None
