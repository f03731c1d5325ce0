"""`klachten case assign|note|answer|close|reopen|refer|confirm`.

Each command is one transaction: the input is checked and read first (files,
dates, addresses), then the store changes the case and writes its event, or
refuses with one line and exit code 2 and writes nothing.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from service.app import App
from store.errors import UserError
from store.manual_registration import EARLIEST

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from store.models import Case


def assign(app: App, args: argparse.Namespace) -> int:
    from store import lifecycle
    from store.member_checks import valid_email

    address = args.to.strip().lower()
    if not valid_email(address):
        raise UserError(f"invalid e-mail address {args.to!r}")
    return _change(
        app,
        lambda s: lifecycle.assign(s, args.number, address, app.actor),
        lambda case: f"assigned to {address} ({case.status})",
    )


def note(app: App, args: argparse.Namespace) -> int:
    from store import lifecycle

    return _change(
        app,
        lambda s: lifecycle.note(s, args.number, args.text, app.actor),
        lambda case: "note added",
    )


def reviewed(app: App, args: argparse.Namespace) -> int:
    from store import lifecycle

    return _change(
        app,
        lambda s: lifecycle.reviewed(s, args.number, args.note, app.actor),
        lambda case: "reviewed: needs_review cleared",
    )


def answer(app: App, args: argparse.Namespace) -> int:
    from store import lifecycle

    delivery = "email" if args.send else "post" if args.by_post else "none"
    if args.output and delivery != "post":
        raise UserError("--output applies to answers sent --by-post")
    reply = lifecycle.Answer(
        outcome=args.outcome, text=read_text(args.message_file), delivery=delivery
    )
    if delivery == "post":
        return _answer_by_post(app, args, reply)
    _change(
        app,
        lambda s: lifecycle.answer(s, app.rules, args.number, reply, app.actor),
        lambda case: f"answered ({args.outcome}, {_how(delivery)})",
    )
    if delivery == "email":
        app.delivery.deliver_pending()
    return 0


def _answer_by_post(app: App, args: argparse.Namespace, reply) -> int:
    """Record the answer and write its letter: the letter is made (and the
    member's address checked) before anything changes, and removed again
    when the store refuses the answer."""
    from service.commands.letter import build_letter, refuse_unpostable, write_letter
    from store import lifecycle
    from store.outbox import case_view_by_number

    app.require_schema()
    with app.transaction() as session:
        case = case_view_by_number(session, args.number)
    refuse_unpostable(case)
    extra = {"answer_text": reply.text, "outcome": reply.outcome}
    pdf = build_letter(app, case, "answer_letter", extra)
    target = Path(args.output or f"{case.number}-antwoord.pdf")
    existed = target.exists()
    write_letter(target, pdf)
    try:
        _change(
            app,
            lambda s: lifecycle.answer(s, app.rules, args.number, reply, app.actor),
            lambda case: f"answered ({args.outcome}, {_how(reply.delivery)})",
        )
    except BaseException:
        if not existed:
            target.unlink(missing_ok=True)
        raise
    print(target)
    return 0


def _how(delivery: str) -> str:
    return {"email": "queued for e-mail", "post": "sent by post"}.get(
        delivery, "recorded only"
    )


def close(app: App, args: argparse.Namespace) -> int:
    from store import lifecycle

    return _change(
        app,
        lambda s: lifecycle.close(s, args.number, app.actor),
        lambda case: "closed",
    )


def reopen(app: App, args: argparse.Namespace) -> int:
    from store import lifecycle

    return _change(
        app,
        lambda s: lifecycle.reopen(s, args.number, args.reason, app.actor),
        lambda case: f"reopened ({case.status})",
    )


def refer(app: App, args: argparse.Namespace) -> int:
    from store import lifecycle

    at = instant_of(args.date, app.timezone, "referral date")
    return _change(
        app,
        lambda s: lifecycle.refer(s, args.number, at, app.actor),
        lambda case: "referred to the ombudsdienst",
    )


def confirm(app: App, args: argparse.Namespace) -> int:
    from service.commands.cases import read_attachment
    from store import lifecycle

    at = instant_of(args.received_at, app.timezone, "received date")
    attachments = [read_attachment(Path(p)) for p in args.attach]
    return _change(
        app,
        lambda s: lifecycle.confirm(s, args.number, at, attachments, app.actor),
        lambda case: f"confirmed ({case.status})",
    )


def _change(
    app: App,
    action: Callable[[Session], Case],
    says: Callable[[Case], str],
) -> int:
    """Run one lifecycle action in its own transaction and say what it did."""
    app.require_schema()
    with app.transaction() as session:
        case = action(session)
        line = f"{case.number}: {says(case)}"
    print(line)
    return 0


def instant_of(
    day: date | None, timezone: str, what: str, now: datetime | None = None
) -> datetime:
    """A date given on the command line as an instant: now when it is today
    (or not given), noon local time on an earlier day; a future date, or one
    before 2000, is bad input."""
    zone = ZoneInfo(timezone)
    now = (now or datetime.now(zone)).astimezone(zone)
    if day is None or day == now.date():
        return now
    if day > now.date():
        raise UserError(f"{what} {day.isoformat()} lies in the future")
    if day < EARLIEST:
        raise UserError(f"{what} {day.isoformat()} lies before {EARLIEST.isoformat()}")
    return datetime.combine(day, time(12, 0), tzinfo=zone)


def read_text(path: str) -> str:
    """The UTF-8 text of a message file, refused when unreadable or empty."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UserError(f"cannot read {path}: {reason}") from None
    if not text.strip():
        raise UserError(f"{path} is empty")
    return text.strip() + "\n"
