"""One wrapper around every handler: who is asking, may they, is it forged?

Pages: nobody signed in goes to the sign-in page; a state-changing form must
carry the session's token (403 otherwise). API: nobody is 401, a
state-changing request must be JSON from base_url's origin (403 otherwise).
A role below the handler's gets 403. Expected store errors become 404
(unknown), 409 (wrong state) or 422 (bad input).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from store.errors import NotFound, UserError, WrongState
from web.auth import Problem, identify
from web.people import Person
from web.security import SAFE_METHODS, TOKEN_FIELD, csrf_ok, origin_ok
from web.workspace import Workspace

# Handlers are plain functions: they run in the thread pool, so a slow query
# never holds up the event loop (and with it every other person's page).
Handler = Callable[..., Response]
MAX_FORM_FILES = 5
MAX_FORM_FIELDS = 100


def status_of(error: UserError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, WrongState):
        return 409
    return 422


def guarded(role: str | None = "viewer", *, api: bool = False):
    """Wrap `handler(request, ws, person[, form])` with the checks above."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            ws: Workspace = request.app.state.ws
            person = await run_in_threadpool(identify, request, ws)
            request.state.person = person
            if role is not None:
                if person is None:
                    if api:
                        raise Problem(401, "sign in first")
                    target = quote(str(request.url.path), safe="/")
                    return RedirectResponse(f"/signin?next={target}", 303)
                if not person.may(role):
                    raise Problem(403, f"this needs the {role} role")
            args: list[Any] = [request, ws, person]
            if request.method not in SAFE_METHODS:
                if api:
                    args.append(await _json_checked(request, ws))
                else:
                    args.append(await _form_checked(request, ws))
            try:
                return await run_in_threadpool(handler, *args)
            except UserError as exc:
                raise Problem(status_of(exc), str(exc)) from None
            finally:
                if isinstance(args[-1], FormData):
                    await args[-1].close()  # uploaded files' temporary copies

        return endpoint

    return wrap


async def _form_checked(request: Request, ws: Workspace) -> FormData:
    own = f"{request.url.scheme}://{request.url.netloc}".lower()
    if not (origin_ok(request, ws.origin) or origin_ok(request, own)):
        raise Problem(403, "a form from another site is refused")
    form = await request.form(
        max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS, max_part_size=1 << 20
    )
    if not csrf_ok(request.session, form.get(TOKEN_FIELD)):
        raise Problem(403, "the form's security token is missing or stale")
    return form


async def _json_checked(request: Request, ws: Workspace) -> Any:
    if not origin_ok(request, ws.origin):
        raise Problem(403, "Origin is not the workspace's address")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Problem(415 if kind else 422, "the body must be application/json")
    try:
        body = await request.json()
    except ValueError:
        raise Problem(422, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise Problem(422, "the body must be a JSON object")
    return body


def need(person: Person | None) -> Person:
    """The person of a handler whose guard required one."""
    assert person is not None
    return person


def json_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)
