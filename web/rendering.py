"""The workspace's one Jinja2 environment (autoescape on) and page responses."""

from __future__ import annotations

from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from store.vocabulary import Outcome, Reclassification, values
from web.labels import DELIVERY_WORDS, term, word
from web.language import current
from web.listing import ACK_AWAITED, CHANNELS, STATUSES
from web.security import csrf_token

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every page; a mail's subject is only ever text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = lambda value: (value or "")[:10]
    env.filters["when"] = lambda value: (value or "")[:16].replace("T", " ")
    env.globals.update(choices())
    return env


def choices() -> dict[str, Any]:
    """The values the pages offer and test, derived from the store's words
    (store/vocabulary.py): no page types a list of them."""
    from store.member_mail import TEMPLATES

    return {
        "STATUSES": STATUSES,
        "CHANNELS": CHANNELS,
        "OUTCOMES": values(Outcome),
        "RECLASSIFICATIONS": values(Reclassification),
        # Chosen until a person picks another: most of what is not a
        # complaint is a question.
        "LIKELY_RECLASSIFICATION": Reclassification.QUESTION.value,
        "MEMBER_TEMPLATES": tuple(TEMPLATES),
        "ACK_AWAITED": ACK_AWAITED,
        "DELIVERIES": tuple(DELIVERY_WORDS.items()),
        # Details of the trail's events that hold a code of these vocabularies.
        "DETAIL_CODES": ("outcome", "channel", "status"),
    }


def language(request: Request) -> str:
    return current(request)


def page(
    request: Request, template: str, code: int = 200, **values: Any
) -> HTMLResponse:
    """Render `template` with the person, the labels and the form token."""
    lang = language(request)
    context = {
        "request": request,
        "lang": lang,
        "t": partial(word, lang),
        "term": partial(term, lang),
        "person": getattr(request.state, "person", None),
        "csrf": csrf_token(request.session),
        "flash": request.session.pop("flash", None),
        "path": request.url.path,
        **values,
    }
    body = environment().get_template(template).render(context)
    return HTMLResponse(body, status_code=code)


def days_left(answer_due: str | None, timezone: str, now: datetime) -> int | None:
    """Whole local days from today to the answer deadline (negative: late)."""
    if not answer_due:
        return None
    zone = ZoneInfo(timezone)
    due = datetime.fromisoformat(answer_due).astimezone(zone).date()
    return (due - now.astimezone(zone).date()).days
