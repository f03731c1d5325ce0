"""`klachten messages list`."""

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
        ["received", "class", "case", "reason"],
        [
            [(m["received_at"] or "")[:16], m["class"], m["case"] or "", m["reason"]]
            for m in messages
        ],
    )
    return 0
