"""`klachten reminders preview` and `klachten reminders run`."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from service.app import App
from service.output import print_json, printable


def preview(app: App, args: argparse.Namespace) -> int:
    """Show what would be sent, and to whom, without sending or recording."""
    from responder.reminder_job import preview as plan_at
    from responder.reminder_times import parse_clock

    app.require_schema()
    zone = ZoneInfo(app.timezone)
    if args.as_of is None:
        now = datetime.now(zone)
    else:
        send_time = parse_clock(app.settings.reminders.send_time)
        now = datetime.combine(args.as_of, send_time, tzinfo=zone)
    plan = plan_at(app, now)
    body = {
        "as_of": now.date().isoformat(),
        "mails": [_mail_dict(mail) for mail in plan.mails],
        "skipped": len(plan.skipped),
    }
    if args.format == "json":
        print_json(body)
    else:
        print(render_preview(body))
    return 0


def _mail_dict(mail: Any) -> dict[str, Any]:
    return {
        "recipient": mail.recipient,
        "language": mail.language,
        "cases": [
            {**entry.line, "threshold": entry.threshold} for entry in mail.entries
        ],
    }


def render_preview(body: dict[str, Any]) -> str:
    """The preview as a coordinator reads it at a terminal."""
    lines = [f"reminders due on {body['as_of']}:"]
    if not body["mails"]:
        lines.append("  (nothing due)")
    for mail in body["mails"]:
        count = len(mail["cases"])
        lines.append(
            f"  to {mail['recipient']} ({mail['language']}):"
            f" {count} case{'s' if count != 1 else ''}"
        )
        lines += [_case_row(c) for c in mail["cases"]]
    if body["skipped"]:
        lines.append(f"  {body['skipped']} passed threshold(s) would be marked done")
    return "\n".join(lines)


def _case_row(case: dict[str, Any]) -> str:
    row = (
        f"    {case['number']}  {case['kind']} {case['threshold']}"
        f"  due {case['deadline'][:10]}  "
        f"{case['days_left']:+d} days  {case['assignee'] or '-'}  "
        f"{printable(case['subject'] or '')}"
    )
    return row.rstrip()


def run(app: App, args: argparse.Namespace) -> int:
    """Send every due reminder now, whatever the hour."""
    from responder.reminder_job import run_due

    app.require_schema()
    report = run_due(app)
    print(f"reminders: {report.describe()}")
    if report.mails:
        app.delivery.deliver_pending()
    return 0
