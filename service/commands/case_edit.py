"""`klachten case edit|reclassify|merge|write|attachment` and `cases search`.

Each is one store function in one transaction (the same the workspace calls):
bad input or a wrong state ends with one line and exit code 2, nothing
changed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from service.app import App
from service.commands.lifecycle import read_text
from service.output import print_json, print_table, write_private
from store.errors import UserError

# Command-line option (dest) -> the store's field name.
EDIT_OPTIONS = {
    "category": "category",
    "language": "language",
    "regional_office": "regional_office",
    "subject": "subject",
    "cause": "cause",
    "service": "service",
    "measure": "measure",
    "member_name": "member.name",
    "member_email": "member.email",
    "member_phone": "member.phone",
    "member_street": "member.street",
    "member_postcode": "member.postcode",
    "member_city": "member.city",
    "member_number": "member.member_number",
    "member_insz": "member.insz",
}


def edit(app: App, args: argparse.Namespace) -> int:
    from store.case_edit import EditRules, edit_case

    changes = {
        field: getattr(args, dest)
        for dest, field in EDIT_OPTIONS.items()
        if getattr(args, dest) is not None
    }
    if not changes:
        raise UserError("nothing to change: give at least one option")
    rules = EditRules.from_settings(app.settings.cases)
    app.require_schema()
    with app.transaction() as session:
        result = edit_case(session, rules, args.number, changes, app.actor)
        number = result.case.number
    said = ", ".join(result.changed) if result.changed else "nothing changed"
    print(f"{number}: {said}")
    return 0


def reclassify(app: App, args: argparse.Namespace) -> int:
    from store.reclassify import reclassify as mark

    app.require_schema()
    with app.transaction() as session:
        case = mark(session, args.number, args.as_, app.actor, of=args.of)
        line = f"{case.number}: not a complaint ({case.reclassified_as}" + (
            f" of {case.duplicate_of})" if case.duplicate_of else ")"
        )
    print(line)
    return 0


def merge(app: App, args: argparse.Namespace) -> int:
    from store.reclassify import merge as join

    app.require_schema()
    with app.transaction() as session:
        target = join(session, args.number, args.into, app.actor)
        line = f"{args.number}: merged into {target.number}"
    print(line)
    return 0


def write(app: App, args: argparse.Namespace) -> int:
    from store.member_mail import write_to_member

    text = read_text(args.message_file) if args.message_file else None
    app.require_schema()
    with app.transaction() as session:
        mail = write_to_member(
            session, app.rules, args.number, args.template, app.actor, text
        )
        line = f"{args.number}: {args.template} queued for {mail.recipients[0]}"
    print(line)
    app.delivery.deliver_pending()  # what fails here, the daemon retries
    return 0


def attachment(app: App, args: argparse.Namespace) -> int:
    from store.workspace import attachment_file

    app.require_schema()
    with app.transaction() as session:
        found = attachment_file(session, args.number, args.id)
    target = Path(args.output)
    try:
        write_private(target, found.data)
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror}") from None
    print(f"{args.output}: {found.filename} ({found.content_type}, {found.size} bytes)")
    return 0


def search(app: App, args: argparse.Namespace) -> int:
    from store.workspace import search_cases

    app.require_schema()
    with app.transaction() as session:
        cases = search_cases(session, args.text, app.timezone)
    if args.format == "json":
        print_json(cases)
        return 0
    print_table(
        ["number", "status", "received", "member", "subject"],
        [
            [
                c["number"],
                c["status"],
                (c["received_at"] or "")[:10],
                (c["member"]["name"] or c["member"]["email"] or "")[:30],
                (c["subject"] or "")[:50],
            ]
            for c in cases
        ],
    )
    return 0
