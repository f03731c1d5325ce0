"""`klachten reconcile [--dry-run] [--acknowledge]`: wiring only."""

from __future__ import annotations

import argparse

from service.app import App
from store.errors import KlachtenError


def reconcile(app: App, args: argparse.Namespace) -> int:
    from ingest.source import SOURCE_ERRORS
    from service.restore import run_reconcile
    from store.restore_state import clear_restore_marker

    app.require_schema()
    try:
        done = run_reconcile(app, dry_run=args.dry_run, acknowledge=args.acknowledge)
    except SOURCE_ERRORS as exc:
        raise KlachtenError(f"mail source unavailable: {exc}") from None
    verb = "would register" if args.dry_run else "registered"
    print(
        f"reconcile: {done.seen} processed messages in the mailbox, "
        f"{len(done.missing)} missing from the store; {verb} {len(done.missing)}"
    )
    for year, seq in sorted(done.given.items()):
        line = f"reconcile: our sent mail names numbers of {year} up to {seq}"
        if done.moved.get(year):
            line += f"; {done.moved[year]} numbers skipped, never given again"
        print(line)
    for item in done.missing:
        line = f"  {item.received_at.isoformat(timespec='seconds')} {item.key}"
        if item.earlier is not None:
            line += f" (acknowledged as {item.earlier.number})"
        print(line)
    if not args.dry_run:
        print(f"reconcile: {done.stats.describe()}")
        if not done.stats.failed:
            with app.transaction() as session:
                clear_restore_marker(session)
    return 1 if done.stats.failed else 0
