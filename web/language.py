"""The person's language, remembered beyond the session.

The session forgets everything after `session_idle_minutes` idle, so the
choice is also kept in its own cookie for a year. It is not signed: its value
is only ever one of LANGUAGES (anything else reads as no choice), and it says
nothing about who the person is.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from web.labels import LANGUAGES, chosen

COOKIE = "klachten_lang"
MAX_AGE = 365 * 24 * 3600
SESSION_KEY = "lang"


def current(request: Request) -> str:
    """The session's choice, else the long-lived cookie's, else the default."""
    for value in (request.session.get(SESSION_KEY), request.cookies.get(COOKIE)):
        if isinstance(value, str) and value in LANGUAGES:
            return value
    return chosen(None)


def remember(request: Request, response: Response, language: str, secure: bool) -> None:
    """Keep a supported `language` in the session and in the cookie."""
    if language not in LANGUAGES:
        return
    request.session[SESSION_KEY] = language
    response.set_cookie(
        COOKIE,
        language,
        max_age=MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )
