"""`klachten privacy rotate-key|new-key`: wiring only (store/rekey.py)."""

from __future__ import annotations

import argparse

from service.app import App

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


def new_key(app: App, args: argparse.Namespace) -> int:
    from store.crypto import new_key as make

    print(make())
    return 0
