"""Merging what the mail tells with what the forms say (pure).

Form fields win over what was guessed from the mail; where the form's e-mail
differs from the sender's, both are kept and the difference is reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.categories import category_from_form
from ingest.forms.fields import DEFAULT_CATEGORIES
from ingest.forms.labels import fold
from ingest.forms.result import FormResult
from ingest.forms.validate import (
    check_insz,
    normalise_phone,
    valid_email,
    valid_postcode,
)
from ingest.language import language_from_postcode
from store.vocabulary import Flag

_NO_REPLY = re.compile(
    r"^(no-?reply|do-?not-?reply|ne-?pas-?repondre|niet-?antwoorden|"
    r"mailer-daemon|postmaster|webform|e-?loket|notifications?)([+.\-_].*)?@",
    re.IGNORECASE,
)
_TEXT_KEYS = ("name", "street", "city", "member_number", "description")


@dataclass(frozen=True)
class MemberDetails:
    """The member's details for a new case, checked and normalised."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    member_number: str | None = None
    insz: str | None = None
    insz_valid: bool | None = None
    category: str | None = None
    description: str | None = None
    desired_solution: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class MergeOutcome:
    """Details plus flags and (field, from_email_value, from_form_value)."""

    member: MemberDetails
    flags: tuple[str, ...]
    conflicts: tuple[tuple[str, str, str], ...]


def is_no_reply(address: str | None) -> bool:
    """True for sender addresses that are not a person (no-reply, e-Loket)."""
    return bool(address and _NO_REPLY.match(address.strip()))


def merge_member(
    sender_name: str | None,
    sender_email: str | None,
    text_language: str | None,
    forms: Sequence[FormResult],
    *,
    default_language: str = "nl",
    categories: Sequence[str] = DEFAULT_CATEGORIES,
) -> MergeOutcome:
    """Combine the sender's name/address and the forms into member details."""
    values, flags = _form_values(forms)
    details: dict[str, str | bool | None] = {k: values.get(k) for k in _TEXT_KEYS}
    details["name"] = details["name"] or (sender_name or "").strip() or None
    details["desired_solution"] = values.get("desired_solution")
    conflicts = _email(sender_email, values.get("email"), details, flags)
    _insz(values.get("insz"), details, flags)
    _postcode(values.get("postcode"), details, flags)
    _phone(values.get("phone"), details, flags)
    _category(values.get("category"), categories, details, flags)
    form_language = next((f.language for f in forms if f.language), None)
    details["language"] = (
        form_language
        or text_language
        or language_from_postcode(details.get("postcode"))  # type: ignore[arg-type]
        or default_language
    )
    return MergeOutcome(
        member=MemberDetails(**details),  # type: ignore[arg-type]
        flags=tuple(dict.fromkeys(flags)),
        conflicts=conflicts,
    )


def _form_values(forms: Sequence[FormResult]) -> tuple[dict[str, str], list[str]]:
    """The first value of each field over the forms, in order; and flags."""
    values: dict[str, str] = {}
    flags: list[str] = []
    for form in forms:
        flags.extend(form.flags)
        for key, field in form.fields.items():
            if key not in values:
                values[key] = field.value
            elif fold(values[key]) != fold(field.value):
                flags.append(Flag.FORMS_DISAGREE)
    return values, flags


def _email(sender: str | None, typed: str | None, details: dict, flags: list):
    sender = (sender or "").strip() or None
    usable_sender = sender if sender and not is_no_reply(sender) else None
    details["email"] = usable_sender
    if typed is None:
        if usable_sender is None:
            flags.append(Flag.NO_CONTACT_ADDRESS)
        return ()
    if not valid_email(typed):
        flags.append(Flag.EMAIL_INVALID)
        details["email"] = usable_sender or typed
        return ()
    details["email"] = typed
    if usable_sender and usable_sender.lower() != typed.lower():
        return (("email", usable_sender, typed),)
    return ()


def _insz(typed: str | None, details: dict, flags: list) -> None:
    if typed is None:
        return
    check = check_insz(typed)
    details["insz"] = check.formatted if check.valid else check.typed
    details["insz_valid"] = check.valid
    if not check.valid:
        flags.append(Flag.INSZ_INVALID)


def _postcode(typed: str | None, details: dict, flags: list) -> None:
    details["postcode"] = typed
    if typed is not None and not valid_postcode(typed):
        flags.append(Flag.POSTCODE_INVALID)


def _phone(typed: str | None, details: dict, flags: list) -> None:
    if typed is None:
        return
    normalised = normalise_phone(typed)
    details["phone"] = normalised or typed
    if normalised is None:
        flags.append(Flag.PHONE_INVALID)


def _category(
    typed: str | None, categories: Sequence[str], details: dict, flags: list
) -> None:
    if typed is None:
        return
    details["category"] = category_from_form(typed, categories)
    if details["category"] is None:
        # Free text such as the website's "Onderwerp: Klacht" is no category;
        # the value stays among the form fields.
        flags.append(Flag.CATEGORY_UNKNOWN)
