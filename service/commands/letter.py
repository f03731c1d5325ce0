"""`klachten case letter NUMBER`: the acknowledgement as a printable A4 letter.

For complaints without an e-mail address (post, oral, a form without one).
Such cases carry the flag "awaiting_letter" (shown by `cases list`) until the
letter is recorded as posted with --mark-sent.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from responder.context import mail_context
from responder.dates import date_long
from responder.delivery_run import build_delivery_setup
from responder.letter import member_address_lines, render_letter_pdf, sender_lines
from responder.render import render_mail
from service.app import App
from service.output import write_private
from store.errors import UserError
from store.models import utcnow


def letter(app: App, args: argparse.Namespace) -> int:
    """Write the letter's PDF; with --mark-sent also record it as posted."""
    from store.outbox import case_view_by_number, mark_letter_sent

    app.require_schema()
    with app.transaction() as session:
        case = case_view_by_number(session, args.number)
    pdf = build_letter(app, case)
    target = Path(args.output or f"{case.number}-ontvangstmelding.pdf")
    try:
        write_private(target, pdf)
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror}") from None
    print(target)
    if args.mark_sent:
        with app.transaction() as session:
            mark_letter_sent(session, case.number, now=utcnow(), actor=app.actor)
        print(f"{case.number}: letter recorded as sent")
    return 0


def build_letter(app: App, case) -> bytes:
    """The PDF of the acknowledgement letter of `case` (store.case_view.CaseView)."""
    settings = app.settings
    env = app.templates
    org = build_delivery_setup(settings, app.rules).org
    context = mail_context(org, case, terms=app.rules)
    mail = render_mail(env, "member", "letter", case.language, context)
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
