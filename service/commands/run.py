"""`klachten run [--once]`."""

from __future__ import annotations

import argparse
import sys

from service.app import App


def run(app: App, args: argparse.Namespace) -> int:
    """The daemon; with `--once` one pass of everything, a summary line, exit 0.

    `--once` exits 1 when the mail source could not be read, and when mail
    that could be sent now is still unsent (the count is on the summary line
    and on stderr).
    """
    if not args.once:
        from service.daemon import run_forever

        return run_forever(app)
    from service.log_setup import configure_logging
    from service.runner import run_once

    app.require_schema()
    # Log lines go to stderr here, so stdout carries only the summary.
    configure_logging(level=app.settings.service.log_level, stream=sys.stderr)
    try:
        summary = run_once(app)
    finally:
        app.close()  # the process may live on (tests): return the connections
    print(summary.line())
    if summary.unsent:
        print(
            f"klachten: {summary.unsent} mail(s) that could be sent now are "
            "still unsent",
            file=sys.stderr,
        )
    return 0 if summary.ok else 1
