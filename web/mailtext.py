"""Mails and letters as the member will get them, for previews and by post.

The same templates, context and rendering as outbox delivery (responder/), so
the preview is the mail that goes out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responder.context import Org, mail_context
from responder.dates import date_long
from responder.letter import member_address_lines, render_letter_pdf, sender_lines
from responder.render import RenderedMail, build_environment, render_mail

if TYPE_CHECKING:
    import jinja2

    from config import Settings
    from store.case_view import CaseView


@cache
def _environment(templates_dir: str, timezone: str) -> jinja2.Environment:
    override = Path(templates_dir) if templates_dir else None
    return build_environment(override, timezone=timezone)


def org_of(settings: Settings) -> Org:
    return Org(
        name=settings.responder.org_name,
        from_name=settings.smtp.from_name,
        from_address=settings.smtp.from_address,
        phone=settings.responder.org_phone,
    )


def _context(settings: Settings, case: CaseView, text: str) -> dict[str, Any]:
    from store.registration_input import CaseRules

    terms = CaseRules.from_settings(settings.cases, settings.smtp)
    return mail_context(org_of(settings), case, {"answer_text": text}, terms=terms)


def answer_mail(settings: Settings, case: CaseView, text: str) -> RenderedMail:
    """The answer mail of `case` with the coordinator's `text`."""
    env = _environment(settings.responder.templates_dir, settings.cases.timezone)
    context = _context(settings, case, text)
    return render_mail(env, "member", "answer", case.language, context)


def answer_letter(settings: Settings, case: CaseView, text: str) -> bytes:
    """The answer as a printable A4 letter (PDF), for an answer by post: the
    letter `case answer --by-post` prints (member/answer_letter: the decision,
    the text, the ombudsdienst)."""
    env = _environment(settings.responder.templates_dir, settings.cases.timezone)
    context = {**_context(settings, case, text), "outcome": case.outcome}
    mail = render_mail(env, "member", "answer_letter", case.language, context)
    member = context["case"]["member"]
    org = org_of(settings)
    responder = settings.responder
    sender = sender_lines(settings, org, case.regional_office)
    language = case.language if case.language in ("nl", "fr", "de", "en") else "nl"
    date = date_long(datetime.now(UTC), language, tz=settings.cases.timezone)
    return render_letter_pdf(
        body_text=mail.text,
        recipient_lines=member_address_lines(member),
        sender_lines=sender,
        place_date=f"{responder.org_city}, {date}" if responder.org_city else date,
        subject=mail.subject,
    )
