"""`klachten status [--format text|json]`: health, exit 1 when attention is due."""

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
    return 0 if report["healthy"] else 1
