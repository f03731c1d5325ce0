"""Merging what the mail tells with what the forms say (pure).

Form fields win over what was guessed from the mail; where the form's e-mail
differs from the sender's, both are kept and the difference is reported.
The values themselves are checked by `store.member.check_member`, as on
every other channel.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from config.machine_addresses import DAEMONS, NO_REPLY, NOTIFIERS, local_part_pattern
from ingest.addresses import usable_address
from ingest.categories import category_from_form
from ingest.forms.fields import DEFAULT_CATEGORIES
from ingest.forms.labels import fold
from ingest.forms.result import FormResult
from ingest.language import language_from_postcode
from store.member import CheckedMember, Member, check_member
from store.postal_address import PostalAddress, split_address
from store.vocabulary import Flag

_NO_REPLY = re.compile(
    rf"^({local_part_pattern((*NO_REPLY, *DAEMONS, *NOTIFIERS))})([+.\-_].*)?@",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MergeOutcome:
    """The member and the case details the forms and the mail tell.

    `conflicts` holds (field, from_email_value, from_form_value).
    """

    member: Member
    category: str | None
    description: str | None
    desired_solution: str | None
    language: str
    flags: tuple[str, ...]
    conflicts: tuple[tuple[str, str, str], ...]
    # False when neither a form nor the text decided the language (it came
    # from the postcode or the default): the member's earlier case may.
    language_decided: bool = True


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
    address = _address(values)
    checked = check_member(
        name=values.get("name") or sender_name,
        email=values.get("email"),
        phone=values.get("phone"),
        street=address.street,
        postcode=address.postcode,
        city=address.city,
        member_number=values.get("member_number"),
        insz=values.get("insz"),
    )
    flags.extend(checked.flags)
    member, conflicts = _email(sender_email, checked, flags)
    form_language = next((f.language for f in forms if f.language), None)
    language = (
        form_language
        or text_language
        or language_from_postcode(member.postcode)
        or default_language
    )
    return MergeOutcome(
        member=member,
        category=_category(values.get("category"), categories, flags),
        description=values.get("description"),
        desired_solution=values.get("desired_solution"),
        language=language,
        flags=tuple(dict.fromkeys(flags)),
        conflicts=conflicts,
        language_decided=bool(form_language or text_language),
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


def _address(values: dict[str, str]) -> PostalAddress:
    """Street, postcode and municipality: a street field that holds the whole
    address ("Kerkstraat 14, 9300 Aalst") is split; fields of their own win.
    The text as typed stays among the case's form fields."""
    split = split_address(values.get("street"))
    return PostalAddress(
        street=split.street,
        box=split.box,
        postcode=values.get("postcode") or split.postcode,
        city=values.get("city") or split.city,
    )


def _email(
    sender: str | None, checked: CheckedMember, flags: list[str]
) -> tuple[Member, tuple[tuple[str, str, str], ...]]:
    """The address to answer: the form's when valid, else the sender's."""
    sender = (sender or "").strip() or None
    usable_sender = sender if sender and not is_no_reply(sender) else None
    member = checked.member
    typed = member.email
    if typed is None:
        if usable_sender is None:
            flags.append(Flag.NO_CONTACT_ADDRESS)
        return replace(member, email=usable_sender), ()
    if checked.problem("email") is not None:
        # Kept for a person to correct, unless it could carry a header line
        # or a terminal sequence: such a value is never stored.
        kept = typed if usable_address(typed) else None
        return replace(member, email=usable_sender or kept), ()
    if usable_sender and usable_sender.lower() != typed:
        return member, (("email", usable_sender, typed),)
    return member, ()


def _category(
    typed: str | None, categories: Sequence[str], flags: list[str]
) -> str | None:
    if typed is None:
        return None
    category = category_from_form(typed, categories)
    if category is None:
        # Free text such as the website's "Onderwerp: Klacht" is no category;
        # the value stays among the form fields.
        flags.append(Flag.CATEGORY_UNKNOWN)
    return category
