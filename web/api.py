"""The JSON API beside the pages: the same sign-in, the same store functions.

Errors are JSON objects with a message: 401 nobody signed in, 403 a role
that may not (or another origin), 404 unknown, 409 wrong state, 422 bad input.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from store.case_edit import CASE_FIELDS
from store.errors import UserError
from web.actions import DELIVERIES, OUTCOMES
from web.auth import Problem
from web.guard import guarded, need
from web.listing import all_cases, read_query
from web.pages import attachment_response
from web.people import Person
from web.workspace import Workspace

EDITABLE = (*CASE_FIELDS, "assigned_to")


@guarded(api=True)
def list_cases(request: Request, ws: Workspace, person: Person | None) -> Response:
    query = read_query(request.query_params, default_status="all")
    with ws.transaction() as db:
        rows = all_cases(db, query, person, ws.timezone, datetime.now(UTC))
    return JSONResponse(rows)


@guarded(api=True)
def show_case(request: Request, ws: Workspace, person: Person | None) -> Response:
    from store.queries import show_case as query

    with ws.transaction() as db:
        case = query(db, request.path_params["number"], ws.timezone)
    return JSONResponse(case)


@guarded(api=True)
def attachment(request: Request, ws: Workspace, person: Person | None) -> Response:
    return attachment_response(request, ws)


@guarded("coordinator", api=True)
def add_note(
    request: Request, ws: Workspace, person: Person | None, body: dict[str, Any]
) -> Response:
    from store import lifecycle

    text = body.get("text")
    if not isinstance(text, str):
        raise Problem(422, "text must be a string")
    number = request.path_params["number"]
    with ws.transaction() as db:
        lifecycle.note(db, number, text, need(person).email)
    return _case(ws, number, 201)


@guarded("coordinator", api=True)
def answer(
    request: Request, ws: Workspace, person: Person | None, body: dict[str, Any]
) -> Response:
    from store import lifecycle

    outcome, text, send = body.get("outcome"), body.get("text"), body.get("send")
    if outcome not in OUTCOMES:
        raise Problem(422, "outcome must be one of " + ", ".join(OUTCOMES))
    if not isinstance(text, str) or not text.strip():
        raise Problem(422, "text must be a non-empty string")
    if not isinstance(send, bool):
        raise Problem(422, "send must be true or false")
    delivery = body.get("delivery", "email" if send else "none")
    if delivery not in DELIVERIES:
        raise Problem(422, "delivery must be one of " + ", ".join(DELIVERIES))
    number = request.path_params["number"]
    reply = lifecycle.Answer(outcome, text.strip() + "\n", delivery)
    with ws.transaction() as db:
        lifecycle.answer(db, ws.rules, number, reply, need(person).email)
    response = _case(ws, number, 200)
    if delivery == "email" and ws.deliver is not None:
        response.background = BackgroundTask(ws.deliver)
    return response


@guarded("coordinator", api=True)
def patch_case(
    request: Request, ws: Workspace, person: Person | None, body: dict[str, Any]
) -> Response:
    from web.editing import InvalidFields, change_case

    unknown = set(body) - {*EDITABLE, "member"}
    if unknown:
        raise Problem(422, "cannot change " + ", ".join(sorted(unknown)))
    member = body.get("member", {})
    if not isinstance(member, dict):
        raise Problem(422, "member must be an object")
    number = request.path_params["number"]
    fields = {k: v for k, v in body.items() if k != "member"}
    try:
        with ws.transaction() as db:
            change_case(db, ws, number, fields, member, need(person).email)
    except InvalidFields as exc:
        return JSONResponse(
            {"error": str(exc), "status": 422, "fields": exc.errors},
            status_code=422,
        )
    return _case(ws, number, 200)


def _case(ws: Workspace, number: str, status: int) -> JSONResponse:
    from store.queries import show_case as query

    try:
        with ws.transaction() as db:
            case = query(db, number, ws.timezone)
    except UserError as exc:  # pragma: no cover - just written
        raise Problem(404, str(exc)) from None
    return JSONResponse(case, status_code=status)
