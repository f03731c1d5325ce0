"""`klachten db upgrade|current`."""

from __future__ import annotations

import argparse

from service.app import App


def upgrade(app: App, args: argparse.Namespace) -> int:
    from store.migrate import upgrade as apply

    app.may_create_store = True  # the one command that makes a new store
    before, after = apply(app.engine)
    if before == after:
        print(f"schema is up to date ({after})")
    else:
        print(f"schema upgraded from {before or 'empty'} to {after}")
    return 0


def current(app: App, args: argparse.Namespace) -> int:
    from store.migrate import current_revision, head_revision

    revision = current_revision(app.engine)
    head = head_revision()
    print(f"{revision or 'empty'} (head {head})")
    return 0 if revision == head else 2
