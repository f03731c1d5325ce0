"""`klachten import FILE.eml|DIR|FILE.mbox ...`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from service.app import App
from store.errors import UserError
from store.models import utcnow


def import_files(app: App, args: argparse.Namespace) -> int:
    """Register messages from files; idempotent, so a rerun adds nothing."""
    from ingest.batch import process_waiting
    from ingest.files_source import FilesSource
    from service.log_setup import configure_logging
    from service.runner import make_intake

    app.require_schema()
    configure_logging(level=app.settings.service.log_level, stream=sys.stderr)
    source = FilesSource(args.paths)
    try:
        source.open()
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    progress = None if args.no_progress else _progress_line()
    intake = make_intake(app)
    if not args.acknowledge:
        # Mail older than the acknowledgement term is registered, not
        # acknowledged months late; the coordinators see ack_not_sent.
        cutoff = utcnow() - timedelta(days=app.settings.cases.ack_days)
        record = replace(intake.options.record, acknowledge_received_after=cutoff)
        intake.options = replace(intake.options, record=record)
    try:
        stats = process_waiting(source, intake, on_progress=progress)
    finally:
        app.close()  # the process may live on (tests): return the connections
    if progress is not None and sys.stderr.isatty():
        sys.stderr.write("\n")
    print(f"import: {stats.describe()}")
    return 1 if stats.failed else 0


def _progress_line() -> Callable[[int, int], None] | None:
    """A "\\r" progress line on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r[{bar}] {done}/{total}")
        sys.stderr.flush()

    return show
