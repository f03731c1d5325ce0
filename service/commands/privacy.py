"""`klachten member export|erase`, `klachten purge` and `klachten privacy
rotate-key|new-key`: wiring only.

The behaviour is in the store (store/member_export.py, store/erasure.py,
store/retention.py, store/rekey.py), one function each: bad input ends with
one line and exit 2, nothing changed or written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from service.app import App
from service.output import write_private
from store.errors import UserError


def _target(output: str) -> Path:
    target = Path(output).expanduser()
    if target.is_dir():
        raise UserError(f"output is a directory: {output}")
    if not target.absolute().parent.is_dir():
        raise UserError(f"output directory does not exist: {target.parent}")
    return target


def export(app: App, args: argparse.Namespace) -> int:
    from store.member_export import export_member
    from store.member_lookup import member_query

    query = member_query(args.email, args.insz)
    target = _target(args.output)
    app.require_schema()
    with app.transaction() as session:
        data = export_member(session, query, actor=app.actor, timezone=app.timezone)
        try:  # inside: the audit events stand only when the file was written
            write_private(target, data)
        except OSError as exc:
            raise UserError(f"cannot write {target}: {exc.strerror}") from None
    print(f"{args.output}: export written ({len(data)} bytes)")
    return 0


def erase(app: App, args: argparse.Namespace) -> int:
    from store.db import forget_old_pages
    from store.erasure import erase_member
    from store.member_lookup import member_query

    query = member_query(args.email, args.insz)
    app.require_schema()
    with app.transaction() as session:
        done = erase_member(
            session, query, reason=args.reason, actor=app.actor, force=args.force
        )
    forget_old_pages(app.engine)
    numbers = ", ".join(done.cases) or "no case"
    print(f"erased: {numbers}; {done.messages} messages")
    return 0


def purge(app: App, args: argparse.Namespace) -> int:
    from store.db import forget_old_pages
    from store.models import utcnow
    from store.retention import purge as purge_cases

    app.require_schema()
    years = app.settings.privacy.retention_years
    with app.transaction() as session:
        done = purge_cases(
            session, now=utcnow(), years=years, dry_run=args.dry_run, actor=app.actor
        )
    if (done.cases or done.messages) and not args.dry_run:
        forget_old_pages(app.engine)
    verb = "would purge" if args.dry_run else "purged"
    cutoff = done.cutoff.date().isoformat()
    print(
        f"{verb} {len(done.cases)} cases closed or reclassified before {cutoff}"
        f" and {len(done.messages)} messages of no case received before it"
    )
    for number in done.cases:
        print(number)
    # A message of no case by its id, class and day: nothing from the mail.
    for message in done.messages:
        day = message.received_at.date().isoformat()
        print(f"message {message.id}: {message.klass}, received {day}")
    return 0


# Passes over the store: a daemon that has not yet read the new key file may
# seal a few values under the old key while the first pass runs.
PASSES = 3


def rotate_key(app: App, args: argparse.Namespace) -> int:
    from store.rekey import remaining, rotate

    app.require_schema()
    total: dict[str, int] = {}
    for _ in range(PASSES):
        done = rotate(app.sessions)
        for name, count in done.resealed.items():
            total[name] = total.get(name, 0) + count
        with app.transaction() as session:
            left = {name: n for name, n in remaining(session).items() if n}
        if not left:
            break
    resealed = ", ".join(f"{n} {name}" for name, n in total.items())
    print(f"privacy: sealed anew under key {done.key_id}: {resealed}")
    if left:
        shown = ", ".join(f"{n} {name}" for name, n in left.items())
        print(
            f"privacy: still under an older key: {shown}; a running process"
            " seals with an older key file: restart it, then run rotate-key again"
        )
        return 1
    return 0


def new_key(app: App | None, args: argparse.Namespace) -> int:
    """A new key; needs no configuration (`app` is None)."""
    from store.crypto import new_key as make

    print(make())
    return 0
