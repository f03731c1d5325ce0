"""`klachten case register`: a complaint that came by post, orally or by a form.

A posted form handed in as a scan (`--attach SCAN.pdf`) is read by the same
readers, under the same limits, as a mail's attachments; what the person
types on the command line wins over what the form says, and the description
may then come from the form. The rules (status, flags, received time, the
address on one line) are the store's (store.manual_registration).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from service.app import App
from service.commands.cases import read_attachment
from store.case_edit import MEMBER_FIELDS
from store.errors import UserError
from store.manual_registration import (
    fill_address,
    opening_flags,
    opening_status,
    received_instant,
)
from store.vocabulary import Flag

if TYPE_CHECKING:
    from ingest.forms.merge import MergeOutcome
    from store.member import Member
    from store.registration_input import (
        AttachmentRecord,
        FormFieldRecord,
        NewCase,
    )

# A wrong address would send the acknowledgement (or the letter) nowhere.
_REFUSED = ("email", "postcode")
_NO_ADDRESS = Flag.NO_CONTACT_ADDRESS


def register_case(app: App, args: argparse.Namespace) -> int:
    from store.registration import acknowledgement_address
    from store.registration import register_case as register

    app.require_schema()
    attachments = tuple(read_attachment(Path(p)) for p in args.attach)
    scanned, fields = _read_forms(app, attachments)
    new = build_new_case(app, args, scanned)
    acknowledge_to = acknowledgement_address(new)
    with app.transaction() as session:
        case = register(
            session,
            app.rules,
            new,
            attachments=attachments,
            acknowledge_to=acknowledge_to,
            actor=app.actor,
            form_fields=fields,
        )
        number = case.number
    print(number)
    if acknowledge_to:
        app.delivery.deliver_pending()  # what fails here, the daemon retries
    return 0


def build_new_case(
    app: App, args: argparse.Namespace, scanned: MergeOutcome | None = None
) -> NewCase:
    from store.registration_input import NewCase

    description = _description(args, scanned)
    status = opening_status(args.channel, args.handled_immediately)
    member, flags = _member(args, scanned)
    flags.extend(opening_flags(status, member.email, address_complete=member.postable))
    language = args.language or (scanned.language if scanned else None)
    return NewCase(
        channel=args.channel,
        received_at=received_instant(args.received_at, app.timezone),
        language=language or app.settings.cases.default_language,
        member=member,
        subject=args.subject,
        description=description,
        category=_category(app, args.category)
        or (scanned.category if scanned else None),
        regional_office=args.regional_office,
        flags=tuple(dict.fromkeys(flags)),
        status=status,
    )


def _read_forms(
    app: App, attachments: tuple[AttachmentRecord, ...]
) -> tuple[MergeOutcome | None, tuple[FormFieldRecord, ...]]:
    """What the forms among the attachments say, merged as intake merges a
    mail's forms; and their fields as read, to keep with the case."""
    if not attachments:
        return None, ()
    from ingest.form_reading import read_scans
    from ingest.forms.merge import merge_member
    from ingest.options import IntakeOptions
    from store.registration_input import FormFieldRecord

    settings = app.settings
    options = IntakeOptions.from_settings(settings).record
    files = [(a.filename, a.content_type, a.data) for a in attachments]
    forms = [f for f in read_scans(files, options.read_settings) if f.fields]
    if not forms:
        return None, ()
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
    return merged, fields


def _description(args: argparse.Namespace, scanned: MergeOutcome | None) -> str:
    if args.description is not None:
        text = args.description
    elif args.description_file is not None:
        try:
            text = Path(args.description_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read {args.description_file}: {exc}") from None
    elif scanned is not None and scanned.description:
        text = scanned.description
    else:
        raise UserError(
            "no description: give --description or --description-file, "
            "or --attach a form that holds one"
        )
    if not text.strip():
        raise UserError("the description is empty")
    return text.strip()


def _member(
    args: argparse.Namespace, scanned: MergeOutcome | None
) -> tuple[Member, list[str]]:
    """The member as typed over what a form said: a wrong e-mail or postcode
    typed by the person is refused (exit 2); the rest, and what a form said
    wrongly, is flagged as intake flags it."""
    from store.member import check_member

    street, postcode, city = fill_address(
        args.address, args.street, args.postcode, args.city
    )
    typed = {key: getattr(args, key) for key in MEMBER_FIELDS}
    typed.update(street=street, postcode=postcode, city=city)
    read = scanned.member.as_dict() if scanned else {}
    values = {
        key: typed[key] if typed[key] is not None else read.get(key)
        for key in MEMBER_FIELDS
    }
    checked = check_member(**values)
    for problem in checked.problems:
        if problem.field in _REFUSED and typed[problem.field] is not None:
            raise UserError(problem.message)
    # Whether the member can be reached is decided below (opening_flags).
    read_flags = [f for f in (scanned.flags if scanned else ()) if f != _NO_ADDRESS]
    flags = read_flags + list(checked.flags)
    return checked.member, flags


def _category(app: App, category: str | None) -> str | None:
    """The configured category named (in any of its wordings, as on a form),
    else exit 2."""
    from ingest.categories import category_from_form

    if category is None:
        return None
    known = category_from_form(category, app.settings.cases.categories)
    if known is None:
        raise UserError(
            f"unknown category {category!r}: one of "
            + ", ".join(app.settings.cases.categories)
        )
    return known
