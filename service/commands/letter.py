"""`klachten case letter NUMBER`: the acknowledgement as a printable A4 letter.

For complaints without an e-mail address (post, oral, a form without one).
Such cases carry the flag "awaiting_letter" (shown by `cases list`) until the
letter is recorded as posted with --mark-sent.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responder.context import mail_context
from responder.dates import date_long
from responder.delivery_run import build_delivery_setup
from responder.letter import member_address_lines, render_letter_pdf, sender_lines
from responder.render import render_mail
from service.app import App
from service.output import write_private
from store.case_view import refuse_unpostable as store_refuse
from store.errors import UserError
from store.models import utcnow

if TYPE_CHECKING:
    from store.case_view import CaseView


def letter(app: App, args: argparse.Namespace) -> int:
    """Write the letter's PDF; with --mark-sent also record it as posted."""
    from store.outbox import case_view_by_number, mark_letter_sent

    app.require_schema()
    with app.transaction() as session:
        case = case_view_by_number(session, args.number)
    refuse_unpostable(case)
    pdf = build_letter(app, case)
    target = Path(args.output or f"{case.number}-ontvangstmelding.pdf")
    write_letter(target, pdf)
    print(target)
    if args.mark_sent:
        with app.transaction() as session:
            mark_letter_sent(session, case.number, now=utcnow(), actor=app.actor)
        print(f"{case.number}: letter recorded as sent")
    return 0


def refuse_unpostable(case: CaseView) -> None:
    """The store's refusal (exit 2), naming the options that complete it."""
    store_refuse(
        case,
        how="complete it with case edit --member-street/--member-postcode/"
        "--member-city",
    )


def write_letter(target: Path, pdf: bytes) -> None:
    try:
        write_private(target, pdf)
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror}") from None


def build_letter(
    app: App,
    case: CaseView,
    kind: str = "letter",
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """The PDF of the acknowledgement letter of `case`; with `kind` "answer_letter"
    and `extra` (answer_text, outcome), the answer letter."""
    settings = app.settings
    env = app.templates
    org = build_delivery_setup(settings, app.rules).org
    context = mail_context(org, case, extra, terms=app.rules)
    mail = render_mail(env, "member", kind, case.language, context)
    responder = settings.responder
    sender = sender_lines(settings, org, case.regional_office)
    language = case.language if case.language in ("nl", "fr", "de", "en") else "nl"
    date = date_long(utcnow(), language, tz=settings.cases.timezone)
    return render_letter_pdf(
        body_text=mail.text,
        recipient_lines=member_address_lines(context["case"]["member"]),
        sender_lines=sender,
        place_date=f"{responder.org_city}, {date}" if responder.org_city else date,
        subject=mail.subject,
    )
