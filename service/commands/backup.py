"""`klachten backup --output F`: wiring only; the copy is store/backup.py."""

from __future__ import annotations

import argparse
from pathlib import Path

from service.app import App


def backup(app: App, args: argparse.Namespace) -> int:
    from store.backup import backup as copy_store

    done = copy_store(app.settings.store.url, Path(args.output))
    if done.engine == "postgresql":
        print(f"backup: pg_dump of {done.source} to {done.output}")
    else:
        print(f"backup: SQLite online backup of {done.source} to {done.output}")
    return 0
