"""`klachten case register`: a complaint that came by post, orally or by a form.

A posted form handed in as a scan (`--attach SCAN.pdf`) is read by the same
readers, under the same limits, as a mail's attachments; what the person
types on the command line wins over what the form says, and the description
may then come from the form. The steps are those of the workspace's
registration page (ingest.hand_registration): the rules of status, flags,
received time and the address on one line are the store's
(store.manual_registration); the language, when no --language is given, is
the form's, else the description's own, else that of the member's earlier
cases, the postcode's or the default, as for a mail.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from service.app import App
from service.commands.cases import read_attachment
from store.case_edit import MEMBER_FIELDS
from store.errors import UserError
from store.manual_registration import fill_address

if TYPE_CHECKING:
    from ingest.hand_registration import Scanned
    from store.registration_input import NewCase

_MISSING = (
    "no description: give --description or --description-file, "
    "or --attach a form that holds one"
)


def register_case(app: App, args: argparse.Namespace) -> int:
    from ingest.hand_registration import read_forms
    from store.registration import acknowledgement_address
    from store.registration import register_case as register

    app.require_schema()
    attachments = tuple(read_attachment(Path(p)) for p in args.attach)
    scanned = read_forms(attachments, app.settings)
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
            form_fields=scanned.fields,
        )
        number = case.number
    print(number)
    if acknowledge_to:
        app.delivery.deliver_pending()  # what fails here, the daemon retries
    return 0


def build_new_case(
    app: App, args: argparse.Namespace, scanned: Scanned | None = None
) -> NewCase:
    """The case the options describe, by the rules the workspace follows too
    (ingest.hand_registration); the first refusal is the one line printed."""
    from ingest.hand_registration import Scanned, Typed
    from ingest.hand_registration import build_new_case as build

    street, postcode, city = fill_address(
        args.address, args.street, args.postcode, args.city
    )
    member = {key: getattr(args, key) for key in MEMBER_FIELDS}
    member.update(street=street, postcode=postcode, city=city)
    typed = Typed(
        channel=args.channel,
        member=member,
        received_on=args.received_at,
        description=_typed_description(args),
        subject=args.subject,
        category=args.category,
        regional_office=args.regional_office,
        language=args.language,
        handled_immediately=args.handled_immediately,
    )
    return build(typed, scanned or Scanned(), app.settings, no_description=_MISSING)


def _typed_description(args: argparse.Namespace) -> str | None:
    """--description, or the text of --description-file; None if neither."""
    if args.description_file is None:
        return args.description
    try:
        return Path(args.description_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {args.description_file}: {exc}") from None
