"""The workspace application: routes, middleware, error pages.

`create_app(settings)` builds it; `klachten web` (service/) passes outbox
delivery and serves it with uvicorn. Tests serve the same object.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from config import Settings
from web import actions, answering, api, overview, pages, registering, users
from web.auth import Problem
from web.guard import json_error
from web.rendering import page
from web.secret import load_secret_key
from web.security import HEADERS, SecurityHeaders
from web.workspace import Deliver, Workspace

log = structlog.get_logger("klachten.web")
STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "klachten_session"
CASE = "/cases/{number}"


def routes() -> list[Route | Mount]:
    return [
        Route("/", lambda request: RedirectResponse("/cases", 303)),
        Route("/signin", pages.signin_form, methods=["GET"]),
        Route("/signin", pages.signin, methods=["POST"]),
        Route("/signout", pages.signout, methods=["POST"]),
        Route("/language", pages.choose_language, methods=["POST"]),
        Route("/cases", pages.cases),
        Route(CASE, pages.case_page),
        Route(CASE + "/attachments/{attachment_id}", pages.attachment),
        Route(CASE + "/assign", actions.assign, methods=["POST"]),
        Route(CASE + "/note", actions.note, methods=["POST"]),
        Route(CASE + "/reviewed", actions.reviewed, methods=["POST"]),
        Route(
            CASE + "/messages/{message_id}/own-complaint",
            actions.own_complaint,
            methods=["POST"],
        ),
        Route(CASE + "/close", actions.close, methods=["POST"]),
        Route(CASE + "/reopen", actions.reopen, methods=["POST"]),
        Route(CASE + "/refer", actions.refer, methods=["POST"]),
        Route(CASE + "/edit", actions.edit, methods=["POST"]),
        Route(CASE + "/reclassify", actions.reclassify, methods=["POST"]),
        Route(CASE + "/merge", actions.merge, methods=["POST"]),
        Route(CASE + "/write", actions.write, methods=["POST"]),
        Route(CASE + "/answer", answering.answer, methods=["POST"]),
        Route(CASE + "/answer-letter.pdf", answering.letter),
        Route("/register", registering.register_form, methods=["GET"]),
        Route("/register", registering.register, methods=["POST"]),
        Route("/users", users.users, methods=["GET"]),
        Route("/users", users.add, methods=["POST"]),
        Route("/users/disable", users.disable, methods=["POST"]),
        Route("/overview", overview.overview),
        Route("/overview/report", overview.report),
        Route("/api/cases", api.list_cases),
        Route("/api/cases/{number}", api.show_case, methods=["GET"]),
        Route("/api/cases/{number}", api.patch_case, methods=["PATCH"]),
        Route("/api/cases/{number}/notes", api.add_note, methods=["POST"]),
        Route("/api/cases/{number}/answer", api.answer, methods=["POST"]),
        Route("/api/cases/{number}/attachments/{attachment_id}", api.attachment),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]


def create_app(
    settings: Settings,
    *,
    deliver: Deliver | None = None,
    environ: Mapping[str, str] | None = None,
) -> Starlette:
    """The ASGI application of the workspace."""
    environ = os.environ if environ is None else environ
    ws = Workspace(settings, load_secret_key(settings, environ), deliver)
    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=ws.secret_key,
                session_cookie=COOKIE,
                max_age=settings.web.session_idle_minutes * 60,
                same_site="lax",
                https_only=ws.secure_cookies,
            ),
        ],
        exception_handlers={
            Problem: _problem,
            404: _not_found,
            405: _not_allowed,
            Exception: _unexpected,
        },
    )
    app.state.ws = ws
    return app


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return _error(request, exc.status, exc.message)


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error(request, 404, "not found")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return _error(request, 405, "method not allowed")


async def _unexpected(request: Request, exc: Exception) -> Response:
    """Answered by the outermost middleware, so the headers are set here."""
    log.error("web.unexpected", error=type(exc).__name__, path=request.url.path)
    response = (
        json_error(500, "internal error")
        if request.url.path.startswith("/api/")
        else PlainTextResponse("internal error", status_code=500)
    )
    response.headers.update(HEADERS)
    return response


def _error(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return json_error(status, message)
    return page(request, "error.html.j2", status, status=status, message=message)
