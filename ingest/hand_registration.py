"""A complaint registered by hand, from the command line or the workspace.

`klachten case register` and the workspace's registration page take the
same steps, here, so they cannot drift apart: the scanned forms among the
attachments are read by the readers and under the limits of mail intake;
what the person typed wins over what a form says; the received date, the
status and the flags follow the store's rules (store.manual_registration);
and the language is decided as intake decides it for a mail: the one chosen,
else the form's, else the text's own, else the member's earlier cases (at
registration), the postcode and the default (issue 17).

Refusals are collected per field (`Refused`), so the workspace shows each
field's message at once while the command line prints the first one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from ingest.categories import category_from_form
from ingest.forms.merge import MergeOutcome, merge_member
from ingest.language import guess_language, language_from_postcode
from store.case_edit import MEMBER_FIELDS
from store.errors import UserError
from store.manual_registration import opening_flags, opening_status, received_instant
from store.member import Member, check_member
from store.registration_input import AttachmentRecord, FormFieldRecord, NewCase
from store.vocabulary import Flag

if TYPE_CHECKING:
    from config import Settings

# A wrong address typed by a person would send the acknowledgement (or the
# letter) nowhere: refused. The same values read from a form are flagged.
REFUSED = ("email", "postcode")
NO_DESCRIPTION = "no description: type one, or attach a form that holds one"
T = TypeVar("T")


class Refused(UserError):
    """Bad input, per field: `problems` maps a field to its message, in the
    order found; the message of the exception is the first one."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(next(iter(problems.values())))
        self.problems = dict(problems)


@dataclass(frozen=True)
class Typed:
    """What the person typed; None where they typed nothing.

    `member` holds the keys of store.case_edit.MEMBER_FIELDS, an address typed
    on one line already split (store.manual_registration.fill_address).
    """

    channel: str
    member: Mapping[str, str | None]
    received_on: date | None = None
    description: str | None = None
    subject: str | None = None
    category: str | None = None
    regional_office: str | None = None
    language: str | None = None
    handled_immediately: bool = False


@dataclass(frozen=True)
class Scanned:
    """What the forms among the attachments say, merged as intake merges a
    mail's forms (None: no form), and their fields as read, to keep."""

    merged: MergeOutcome | None = None
    fields: tuple[FormFieldRecord, ...] = ()

    @property
    def language(self) -> str | None:
        """The language a form stated or was written in, if one did."""
        merged = self.merged
        return merged.language if merged and merged.language_decided else None


def read_forms(attachments: Sequence[AttachmentRecord], settings: Settings) -> Scanned:
    """The forms among `attachments` (a posted form, scanned), read in the
    form workers under the limits of [ingest], as a mail's attachments are."""
    if not attachments:
        return Scanned()
    from ingest.form_reading import read_scans
    from ingest.options import IntakeOptions

    limits = IntakeOptions.from_settings(settings).record.read_settings
    files = [(a.filename, a.content_type, a.data) for a in attachments]
    forms = [f for f in read_scans(files, limits) if f.fields]
    if not forms:
        return Scanned()
    merged = merge_member(
        None,
        None,
        None,
        forms,
        default_language=settings.cases.default_language,
        categories=tuple(settings.cases.categories),
    )
    fields = tuple(
        FormFieldRecord(key=v.key, value=v.value, source=v.source, origin=v.origin)
        for form in forms
        for v in form.fields.values()
    )
    return Scanned(merged, fields)


def build_new_case(
    typed: Typed,
    scanned: Scanned,
    settings: Settings,
    *,
    no_description: str = NO_DESCRIPTION,
    now: datetime | None = None,
) -> NewCase:
    """The new case; Refused with every field's message when input is bad.

    `no_description` is the message when neither the person nor a form gave
    a description (the command line names its options in it).
    """
    problems: dict[str, str] = {}
    description = _description(typed.description, scanned, no_description, problems)
    status = _attempt(problems, "handled_immediately", opening_status,
                      typed.channel, typed.handled_immediately)  # fmt: skip
    member, flags = _member(typed.member, scanned.merged, problems)
    received = _attempt(problems, "received_at", received_on,
                        typed.received_on, settings.cases.timezone, now)  # fmt: skip
    category = _attempt(problems, "category", _category,
                        typed.category, settings.cases.categories)  # fmt: skip
    if problems:
        raise Refused(problems)
    assert description is not None and status is not None and received is not None
    flags.extend(opening_flags(status, member.email, address_complete=member.postable))
    language, from_history = decide_language(
        typed.language,
        scanned.language,
        description,
        member.postcode,
        settings.cases.default_language,
    )
    merged = scanned.merged
    return NewCase(
        channel=typed.channel,
        received_at=received,
        language=language,
        language_from_history=from_history,
        member=member,
        subject=typed.subject,
        description=description,
        category=category or (merged.category if merged else None),
        regional_office=typed.regional_office,
        flags=tuple(dict.fromkeys(flags)),
        status=status,
    )


def received_on(
    day: date | None, timezone: str, now: datetime | None = None
) -> datetime:
    """The received instant of `day` (None: today), by the store's one rule:
    no date after today, none before store.manual_registration.EARLIEST."""
    if day is None:
        zone = ZoneInfo(timezone)
        day = (now or datetime.now(zone)).astimezone(zone).date()
    return received_instant(day, timezone, now)


def decide_language(
    chosen: str | None,
    form: str | None,
    text: str,
    postcode: str | None,
    default: str,
) -> tuple[str, bool]:
    """The case's language, and whether the member's earlier cases may still
    replace it at registration (neither a person, a form nor the text decided).

    As for a mail: the person's choice, else the form's, else the text's own
    language; then the earlier cases (store.registration), the Belgian
    postcode and the configured default break the tie.
    """
    decided = chosen or form or guess_language(text)
    if decided:
        return decided, False
    return language_from_postcode(postcode) or default, True


def _description(
    typed: str | None, scanned: Scanned, missing: str, problems: dict[str, str]
) -> str | None:
    """The text typed, else the form's; a typed text of only blanks is refused
    even when a form holds one (the person meant to type something)."""
    merged = scanned.merged
    if typed is not None:
        text = typed
    elif merged is not None and merged.description:
        text = merged.description
    else:
        problems["description"] = missing
        return None
    if not text.strip():
        problems["description"] = "the description is empty"
        return None
    return text.strip()


def _member(
    typed: Mapping[str, str | None],
    scanned: MergeOutcome | None,
    problems: dict[str, str],
) -> tuple[Member, list[str]]:
    """The member as typed over what a form said: a wrong e-mail or postcode
    typed by the person is refused; the rest, and what a form said wrongly,
    is flagged as intake flags it."""
    read = scanned.member.as_dict() if scanned else {}
    values = {
        key: typed.get(key) if typed.get(key) is not None else read.get(key)
        for key in MEMBER_FIELDS
    }
    checked = check_member(**values)
    for problem in checked.problems:
        if problem.field in REFUSED and typed.get(problem.field) is not None:
            problems.setdefault(problem.field, problem.message)
    # Whether the member can be reached is decided by opening_flags.
    read_flags = scanned.flags if scanned else ()
    flags = [f for f in read_flags if f != Flag.NO_CONTACT_ADDRESS]
    return checked.member, flags + list(checked.flags)


def _category(typed: str | None, categories: Sequence[str]) -> str | None:
    """The configured category named (in any of its wordings, as on a form)."""
    if typed is None:
        return None
    known = category_from_form(typed, categories)
    if known is None:
        shown = ", ".join(categories)
        raise UserError(f"unknown category {typed!r}: one of {shown}")
    return known


def _attempt(
    problems: dict[str, str], key: str, rule: Callable[..., T], *args: Any
) -> T | None:
    """`rule(*args)`, its UserError kept as the message of field `key`."""
    try:
        return rule(*args)
    except UserError as exc:
        problems.setdefault(key, str(exc))
        return None
