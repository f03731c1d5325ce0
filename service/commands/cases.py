"""`klachten cases list` and `case show`; attachments a person hands in."""

from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
from pathlib import Path
from typing import Any

from service.app import App
from service.output import print_json, print_table, printable, printable_tree
from store.errors import UserError


def list_cases(app: App, args: argparse.Namespace) -> int:
    from store.queries import CaseFilter
    from store.queries import list_cases as query

    app.require_schema()
    filters = CaseFilter(
        status=args.status,
        open=args.open,
        overdue=args.overdue,
        due_within=args.due_within,
        assigned_to=args.assigned_to,
        channel=args.channel,
        year=args.year,
    )
    with app.transaction() as session:
        cases = query(session, filters, app.timezone)
    if args.format == "json":
        print_json(cases)
        return 0
    print_table(
        ["number", "status", "channel", "received", "answer due", "flags", "subject"],
        [
            [
                c["number"],
                c["status"],
                c["channel"],
                (c["received_at"] or "")[:10],
                (c["answer_due"] or "")[:10],
                ",".join(c["flags"]),
                (c["subject"] or "")[:50],
            ]
            for c in cases
        ],
    )
    return 0


def show_case(app: App, args: argparse.Namespace) -> int:
    from store.queries import show_case as query

    app.require_schema()
    with app.transaction() as session:
        case = query(session, args.number, app.timezone)
    if args.format == "json":
        print_json(case)
    else:
        print(render_case_text(case))
    return 0


def render_case_text(case: dict[str, Any]) -> str:
    """A readable page for one case, for a coordinator at a terminal.

    Every value is shown with its control characters as escapes (a newline in
    a name is "\\n", not a line of its own); only the description keeps its
    line breaks.
    """
    description = [
        printable(line) for line in (case.get("description") or "").split("\n")
    ]
    case = printable_tree(case)
    member = case["member"]
    lines = [
        f"{case['number']}  [{case['status']}]  {case['channel']}  "
        f"({case['language']})",
        f"  subject:      {case['subject'] or '-'}",
        f"  received:     {case['received_at']}",
        f"  ack due:      {case['ack_due']}   acknowledged: "
        f"{case['acknowledged_at'] or '-'}",
        f"  answer due:   {case['answer_due']}   answered: "
        f"{case['answered_at'] or '-'}",
        f"  category:     {case['category'] or '-'}",
        f"  cause:        {case.get('cause') or '-'}   service: "
        f"{case.get('service') or '-'}",
        f"  measure:      {case.get('measure') or '-'}",
        f"  assigned to:  {case['assigned_to'] or '-'}",
        f"  flags:        {', '.join(case['flags']) or '-'}",
        *(
            [
                f"  not a complaint: {case['reclassified_as']}"
                + (f" of {case['duplicate_of']}" if case.get("duplicate_of") else "")
            ]
            if case.get("reclassified_as")
            else []
        ),
        "member:",
    ]
    for key in ("name", "email", "phone", "street", "postcode", "city"):
        lines.append(f"  {key + ':':<14}{member[key] or '-'}")
    lines.append(f"  {'member no:':<14}{member['member_number'] or '-'}")
    insz_state = {True: "valid", False: "INVALID", None: ""}[member["insz_valid"]]
    lines.append(f"  {'insz:':<14}{member['insz'] or '-'} {insz_state}".rstrip())
    if case.get("description"):
        lines += [
            "description:",
            *(f"  {ln}" for ln in description),
        ]
    if case.get("form_fields"):
        lines.append("form fields:")
        lines += [
            f"  {f['key']}: {f['value']}  ({f['source']}, {f['origin']})"
            for f in case["form_fields"]
        ]
    lines.append(f"messages ({len(case.get('messages', []))}):")
    lines += [
        f"  {m['received_at']}  {m['class']}  {m.get('sender') or '-'}  "
        f"{m['subject'] or ''}"
        for m in case.get("messages", [])
    ]
    if case.get("attachments"):
        lines.append("attachments:")
        lines += [
            f"  {a['filename']}  {a['content_type']}  {a['size']} bytes"
            + (f"  [{', '.join(a['flags'])}]" if a["flags"] else "")
            for a in case["attachments"]
        ]
    lines.append("events:")
    lines += [
        f"  {e['at']}  {e['kind']:<24} {e['actor']}  "
        + (json.dumps(e["details"], ensure_ascii=False) if e["details"] else "")
        for e in case.get("events", [])
    ]
    return "\n".join(lines)


def read_attachment(path: Path):
    from store.registration_input import AttachmentRecord

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read attachment {path}: {exc.strerror}") from None
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return AttachmentRecord(
        filename=path.name[:200],
        content_type=content_type,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )
