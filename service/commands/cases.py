"""`klachten cases list`, `case show` and `case register`."""

from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from service.app import App
from service.output import print_json, print_table
from store.errors import UserError
from store.vocabulary import Channel, Flag, Status


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
    """A readable page for one case, for a coordinator at a terminal."""
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
        f"  assigned to:  {case['assigned_to'] or '-'}",
        f"  flags:        {', '.join(case['flags']) or '-'}",
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
            *(f"  {ln}" for ln in case["description"].split("\n")),
        ]
    if case.get("form_fields"):
        lines.append("form fields:")
        lines += [
            f"  {f['key']}: {f['value']}  ({f['source']}, {f['origin']})"
            for f in case["form_fields"]
        ]
    lines.append(f"messages ({len(case.get('messages', []))}):")
    lines += [
        f"  {m['received_at']}  {m['class']}  {m['subject'] or ''}"
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


def register_case(app: App, args: argparse.Namespace) -> int:
    from store.registration import register_case as register

    app.require_schema()
    new = build_new_case(app, args)
    attachments = tuple(read_attachment(Path(p)) for p in args.attach)
    acknowledge_to = new.member.email if new.status != Status.CLOSED else None
    with app.transaction() as session:
        case = register(
            session,
            app.rules,
            new,
            attachments=attachments,
            acknowledge_to=acknowledge_to,
            actor=app.actor,
        )
        number = case.number
    print(number)
    if acknowledge_to:
        from service.delivery import deliver_pending

        deliver_pending(app)  # what fails here, the daemon retries
    return 0


def build_new_case(app: App, args: argparse.Namespace):
    from store.registration_input import NewCase

    description = _description(args)
    if args.handled_immediately and args.channel != Channel.ORAL:
        raise UserError("--handled-immediately applies to oral complaints only")
    member, flags = _member(args)
    status = Status.REGISTERED
    if args.channel == Channel.ORAL:
        status = (
            Status.CLOSED if args.handled_immediately else Status.AWAITING_CONFIRMATION
        )
    if not member.email and status != Status.CLOSED:
        flags.append(Flag.AWAITING_LETTER)
    return NewCase(
        channel=args.channel,
        received_at=received_instant(args.received_at, app.timezone),
        language=args.language or app.settings.cases.default_language,
        member=member,
        subject=args.subject,
        description=description,
        category=_category(app, args.category),
        regional_office=args.regional_office,
        flags=tuple(flags),
        status=status,
    )


def received_instant(day: date, timezone: str) -> datetime:
    """A received date as an instant: now if today, else noon that day; a
    date in the future or before 2000 is refused (one rule with `case
    confirm`)."""
    from service.commands.lifecycle import instant_of

    return instant_of(day, timezone, "received date")


def _description(args: argparse.Namespace) -> str:
    if args.description is not None:
        text = args.description
    else:
        try:
            text = Path(args.description_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read {args.description_file}: {exc}") from None
    if not text.strip():
        raise UserError("the description is empty")
    return text.strip()


_ADDRESS = re.compile(r"^(?P<street>.+?),?\s+(?P<postcode>\d{4})\s+(?P<city>.+)$")


def _member(args: argparse.Namespace):
    from ingest.forms.validate import (
        check_insz,
        normalise_phone,
        valid_email,
        valid_postcode,
    )
    from store.registration_input import MemberRecord

    flags: list[str] = []
    street, postcode, city = args.street, args.postcode, args.city
    if args.address:
        match = _ADDRESS.match(args.address.strip())
        if match:
            street = street or match["street"].strip()
            postcode = postcode or match["postcode"]
            city = city or match["city"].strip()
        else:
            street = street or args.address.strip()
    if postcode and not valid_postcode(postcode):
        raise UserError(f"invalid Belgian postcode {postcode!r}: expected 4 digits")
    if args.email and not valid_email(args.email):
        raise UserError(f"invalid e-mail address {args.email!r}")
    phone = args.phone
    if phone:
        phone = normalise_phone(phone) or phone
    insz, insz_valid = args.insz, None
    if insz:
        check = check_insz(insz)
        insz_valid = check.valid
        insz = check.formatted if check.valid else insz
        if not check.valid:
            flags.append(Flag.INSZ_INVALID)
    member = MemberRecord(
        name=args.name,
        email=args.email.lower() if args.email else None,
        phone=phone,
        street=street,
        postcode=postcode,
        city=city,
        member_number=args.member_number,
        insz=insz,
        insz_valid=insz_valid,
    )
    return member, flags


def _category(app: App, category: str | None) -> str | None:
    if category is None:
        return None
    known = {c.lower(): c for c in app.settings.cases.categories}
    if category.lower() not in known:
        raise UserError(
            f"unknown category {category!r}: one of "
            + ", ".join(app.settings.cases.categories)
        )
    return known[category.lower()]


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
