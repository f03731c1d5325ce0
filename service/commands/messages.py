"""`klachten messages list|register`."""

from __future__ import annotations

import argparse

from service.app import App
from service.output import print_json, print_table


def list_messages(app: App, args: argparse.Namespace) -> int:
    from store.queries import list_messages as query

    app.require_schema()
    with app.transaction() as session:
        messages = query(session, app.timezone, args.klass)
    if args.format == "json":
        print_json(messages)
        return 0
    print_table(
        ["id", "received", "class", "case", "reason"],
        [
            [
                m["id"],
                (m["received_at"] or "")[:16],
                m["class"],
                m["case"] or "",
                m["reason"],
            ]
            for m in messages
        ],
    )
    return 0


def register_message(app: App, args: argparse.Namespace) -> int:
    """A stranger's mail that names a case becomes a case of its own; prints
    the new number, as `case register` does."""
    from store.stranger_case import open_case_from_message

    app.require_schema()
    with app.transaction() as session:
        case = open_case_from_message(session, app.rules, args.id, app.actor)
        number, acknowledge = case.number, case.member_email is not None
    print(number)
    if acknowledge:
        app.delivery.deliver_pending()  # what fails here, the daemon retries
    return 0
