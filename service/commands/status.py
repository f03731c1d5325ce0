"""`klachten status [--format text|json] [--strict]`: health.

Exit 1 when operations need attention (stall, quarantine, failed mail); the
coordinators' backlog (overdue cases) is shown and fails only with --strict.
"""

from __future__ import annotations

import argparse

from service.app import App
from service.output import print_json


def status(app: App, args: argparse.Namespace) -> int:
    from service.status import collect, render_text

    try:
        report = collect(app)
    finally:
        app.close()  # a check run every minute must not leave connections behind
    if args.format == "json":
        print_json(report)
    else:
        print(render_text(report))
    if not report["healthy"]:
        return 1
    strict = getattr(args, "strict", False)
    return 1 if strict and report.get("backlog") else 0
