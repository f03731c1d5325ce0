"""Headers on every response, the cross-site token of forms, the API's Origin.

Forms carry a token kept in the signed session; a POST without the right one
gets 403. The JSON API has no forms: a state-changing request whose `Origin`
is not the origin of `[web] base_url` gets 403, and it must be JSON, which a
page on another site cannot send without the browser asking first.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self';"
        " base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_KEY = "csrf"
TOKEN_FIELD = "csrf"


class SecurityHeaders:
    """Adds HEADERS to every HTTP response (pages, API, static files, errors)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    # A handler may tighten or extend the policy (the yearly
                    # report's own stylesheet), never drop default-src 'self'.
                    own = headers.get(name, "")
                    if name != "Content-Security-Policy" or not own.startswith(
                        "default-src 'self'"
                    ):
                        headers[name] = value
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(session: dict[str, Any]) -> str:
    """The session's form token, made on first use."""
    token = session.get(TOKEN_KEY)
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        session[TOKEN_KEY] = token
    return token


def csrf_ok(session: dict[str, Any], submitted: object) -> bool:
    """True when the form's token is the session's (compared in constant time)."""
    expected = session.get(TOKEN_KEY)
    return (
        isinstance(expected, str)
        and isinstance(submitted, str)
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )


def origin_ok(request: Request, allowed: str) -> bool:
    """An Origin, when the browser sent one, must be base_url's.

    Browsers send Origin with every cross-site POST and PATCH; a request
    without one comes from a program, not from another site's page.
    """
    origin = request.headers.get("origin")
    return origin is None or origin.rstrip("/").lower() == allowed
