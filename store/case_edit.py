"""Correcting or completing a case's details: one audit event per change.

`edit_case` takes the changes as a mapping of field names (`EDITABLE`) to new
values; None or an empty string clears a field. Every value is checked before
anything is written: a bad value refuses the whole edit (`InvalidFields`, which
names each field and its message, for the workspace's form). A reclassified
case refuses any edit; a closed case takes only the analysis fields (cause,
service, measure: the yearly analysis needs them, and they are usually known
only once the case is done, issue 17 item 13) and refuses the rest. Member
details are checked by the one member check intake uses
(store.member.check_member).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from store import search
from store.errors import UserError, WrongState
from store.member import Member, check_member
from store.models import Case
from store.registration import add_event, case_by_number, staff_acted
from store.sealed import SealedText, seal_text
from store.vocabulary import Flag, Status

LANGUAGES = ("nl", "fr", "de", "en")
CASE_FIELDS = (
    "category",
    "language",
    "regional_office",
    "subject",
    "cause",
    "service",
    "measure",
)
MEMBER_FIELDS = (
    "name",
    "email",
    "phone",
    "street",
    "postcode",
    "city",
    "member_number",
    "insz",
)
EDITABLE = (*CASE_FIELDS, *(f"member.{name}" for name in MEMBER_FIELDS))
# A case in one of these states is finished: its details no longer change,
# except the analysis fields of a closed case.
FROZEN_STATUSES = (Status.CLOSED, Status.RECLASSIFIED)
# What the yearly analysis learns from a case: a closed case still takes them.
ANALYSIS_FIELDS = ("cause", "service", "measure")
# Flags a person's correction settles; giving the value a flag doubts (the
# suggested category) confirms it, and settles the flag as well.
_SETTLED_BY = {
    "category": (Flag.CATEGORY_SUGGESTED, Flag.CATEGORY_UNKNOWN),
    "member.insz": (Flag.INSZ_INVALID,),
}


class InvalidFields(UserError):
    """One or more values cannot be taken; `errors` maps field -> message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(self.errors.values()))


@dataclass(frozen=True)
class EditRules:
    """The configured lists a value must come from ([cases] settings)."""

    categories: tuple[str, ...] = ()
    causes: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    regional_offices: tuple[str, ...] = ()
    languages: tuple[str, ...] = LANGUAGES

    @classmethod
    def from_settings(cls, cases: Any) -> EditRules:
        """From a `[cases]` settings object (offices as names or tables)."""
        offices = tuple(_office_name(o) for o in getattr(cases, "regional_offices", ()))
        return cls(
            categories=tuple(getattr(cases, "categories", ())),
            causes=tuple(getattr(cases, "causes", ())),
            services=tuple(getattr(cases, "services", ())),
            regional_offices=tuple(o for o in offices if o),
        )


def _office_name(office: Any) -> str:
    if isinstance(office, str):
        return office
    if isinstance(office, Mapping):
        return str(office.get("name", ""))
    return str(getattr(office, "name", ""))


@dataclass(frozen=True)
class EditResult:
    """The case after the edit and the fields that actually changed."""

    case: Case
    changed: list[str] = field(default_factory=list)


def flatten(body: Mapping[str, Any]) -> dict[str, Any]:
    """{"category": .., "member": {"email": ..}} -> {"category": .., "member.email":
    ..}: the shape of the workspace's PATCH body as `edit_case` takes it."""
    flat: dict[str, Any] = {}
    for key, value in body.items():
        if key == "member" and isinstance(value, Mapping):
            flat.update({f"member.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def edit_case(
    session: Session,
    rules: EditRules,
    number: str,
    changes: Mapping[str, str | None],
    actor: str,
) -> EditResult:
    """Apply `changes` to the case: all of them, or none with the reasons."""
    unknown = [k for k in changes if k not in EDITABLE]
    if unknown:
        raise InvalidFields({k: f"{k} cannot be edited" for k in unknown})
    if not changes:
        raise UserError("nothing to change: give at least one field")
    values = check_values(rules, changes)
    case = case_by_number(session, number, lock=True)
    if not may_change(case.status, values):
        raise WrongState(f"case {number} is {case.status}: its details cannot change")
    changed = [
        name
        for name, value in values.items()
        if _apply(session, case, name, value, actor)
    ]
    if changed:
        _settle_address(case)
        staff_acted(case)
        search.reindex(session, [case.id])
    return EditResult(case, changed)


def may_change(status: str, names: Iterable[str]) -> bool:
    """Whether a case in `status` takes changes to the fields `names`."""
    if status == Status.CLOSED:
        return set(names) <= set(ANALYSIS_FIELDS)
    return status not in FROZEN_STATUSES


def _settle_address(case: Case) -> None:
    """A case awaiting an address stops waiting once the member can be
    reached: an e-mail address, or street, postcode and municipality."""
    if Flag.AWAITING_ADDRESS not in (case.flags or []):
        return
    if case.member_email or Member.of_case(case).postable:
        case.flags = sorted(set(case.flags) - {Flag.AWAITING_ADDRESS})


def check_values(rules: EditRules, changes: Mapping[str, str | None]) -> dict[str, Any]:
    """Every value checked and put in its stored form, or InvalidFields."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, raw in changes.items():
        text = raw.strip() if isinstance(raw, str) else raw
        if text is not None and not isinstance(text, str):
            errors[name] = f"{name} must be text"
            continue
        try:
            values[name] = _checked(rules, name, text or None)
        except UserError as exc:
            errors[name] = str(exc)
    if errors:
        raise InvalidFields(errors)
    return values


def _checked(rules: EditRules, name: str, value: str | None) -> Any:
    if name == "language":
        if value is None:
            raise UserError("a case always has a language")
        return _one_of(value.lower(), rules.languages, "language")
    if value is None:
        return None
    lists = {
        "category": (rules.categories, "category"),
        "cause": (rules.causes, "cause"),
        "service": (rules.services, "service"),
        "regional_office": (rules.regional_offices, "regional office"),
    }
    if name in lists:
        return _one_of(value, *lists[name])
    if name.startswith("member."):
        return _member_value(name.removeprefix("member."), value)
    return value


def _one_of(value: str, allowed: Iterable[str], what: str) -> str:
    known = {item.lower(): item for item in allowed}
    if value.lower() not in known:
        shown = ", ".join(known.values()) or "none configured"
        raise UserError(f"unknown {what} {value!r}: one of {shown}")
    return known[value.lower()]


def _member_value(name: str, value: str) -> Any:
    """The stored form of one member field, by the one member check
    (store.member); a value that check finds wrong is refused here."""
    checked = check_member(**{name: value})
    problem = checked.problem(name)
    if problem is not None:
        raise UserError(problem.message)
    return getattr(checked.member, name)


def _apply(session: Session, case: Case, name: str, value: Any, actor: str) -> bool:
    """Set one field; write its event. False when the value is unchanged."""
    column = "member_" + name.removeprefix("member.") if "." in name else name
    if column == "member_member_number":
        column = "member_number"
    old = getattr(case, column)
    settled = set(_SETTLED_BY.get(name, ())) & set(case.flags or ())
    if old == value and (not settled or value is None):
        return False
    if settled:
        case.flags = sorted(set(case.flags) - settled)
    if old == value:
        add_event(session, "edited", case=case, actor=actor, field=name,
                  confirmed=sorted(settled))  # fmt: skip
        return True
    setattr(case, column, value)
    if name == "member.insz":
        case.member_insz_valid = True if value is not None else None
    if isinstance(Case.__table__.c[column].type, SealedText):
        # The trail keeps an address or a national number as sealed as the
        # case does (store/views.py opens it again).
        dialect = session.get_bind().dialect
        old, value = seal_text(dialect, old), seal_text(dialect, value)
    add_event(session, "edited", case=case, actor=actor, field=name, old=old, new=value)
    return True
