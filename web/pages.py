"""Pages that read: sign-in, the cases, one case, an attachment, the language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from store.errors import UserError
from store.vocabulary import Flag
from web.auth import Problem, client_address, sign_out, start_session
from web.guard import guarded
from web.language import remember
from web.listing import find_cases, read_query
from web.people import Person, sign_in
from web.rendering import days_left, page
from web.workspace import Workspace


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an address elsewhere."""
    # "//host" and "/\\host" are addresses elsewhere to a browser.
    if target and target.startswith("/") and target[1:2] not in ("/", "\\"):
        return target
    return "/cases"


@guarded(role=None)
def signin_form(request: Request, ws: Workspace, person: Person | None) -> Response:
    target = _safe_next(request.query_params.get("next"))
    return page(request, "signin.html.j2", next=target)


@guarded(role=None)
def signin(
    request: Request, ws: Workspace, person: Person | None, form: FormData
) -> Response:
    email = str(form.get("email") or "").strip().lower()
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or ""))
    # Behind the proxy, the person's address: the proxy's would make five
    # wrong passwords from anyone lock everybody out.
    address = client_address(request, ws)
    with ws.transaction() as db:
        found = sign_in(db, email, password, address)
    if found is None:
        # One message for every reason: no hint which e-mails have accounts.
        return page(request, "signin.html.j2", 401, next=target, failed=True)
    start_session(request, found)
    return RedirectResponse(target, 303)


@guarded(role=None)
def signout(
    request: Request, ws: Workspace, person: Person | None, form: FormData
) -> Response:
    sign_out(request)
    return RedirectResponse("/signin", 303)


@guarded(role=None)
def choose_language(
    request: Request, ws: Workspace, person: Person | None, form: FormData
) -> Response:
    response = RedirectResponse(_safe_next(str(form.get("next") or "")), 303)
    remember(request, response, str(form.get("lang") or ""), ws.secure_cookies)
    return response


@guarded()
def cases(request: Request, ws: Workspace, person: Person | None) -> Response:
    try:
        query = read_query(request.query_params)
    except UserError as exc:
        raise Problem(422, str(exc)) from None
    now = datetime.now(UTC)
    with ws.transaction() as db:
        found = find_cases(db, query, person, ws.timezone, now)
    for row in found.items:
        row["days_left"] = days_left(row["answer_due"], ws.timezone, now)
    return page(
        request,
        "cases.html.j2",
        cases=found.items,
        total=f"{found.total - 1}+" if found.more else found.total,
        query=query,
        pages=found.pages,
        link=lambda **changes: "/cases?" + _encode(query.args(**changes)),
        settings=ws.settings,
    )


def _encode(args: dict[str, str]) -> str:
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in args.items())


def case_view(
    request: Request, ws: Workspace, number: str, **extra: Any
) -> dict[str, Any]:
    """What the case page shows; raises NotFound for an unknown number."""
    from store.case_edit import may_change
    from store.queries import show_case
    from store.stranger_case import strangers_mail

    with ws.transaction() as db:
        case = show_case(db, number, ws.timezone)
    now = datetime.now(UTC)
    case["days_left"] = days_left(case["answer_due"], ws.timezone, now)
    return {
        "case": case,
        # A closed case takes only the analysis fields (store.case_edit).
        "full_edit": may_change(case["status"], ("subject",)),
        "needs_review": Flag.NEEDS_REVIEW in case["flags"],
        # Messages a coordinator may make a complaint of their own.
        "strangers": {
            m["id"]
            for m in case["messages"]
            if strangers_mail(m["class"], m["sender"], case["member"]["email"])
        },
        "settings": ws.settings,
        "errors": {},
        "values": {},
        "problem": None,
        **extra,
    }


@guarded()
def case_page(request: Request, ws: Workspace, person: Person | None) -> Response:
    number = request.path_params["number"]
    return page(request, "case.html.j2", **case_view(request, ws, number))


@guarded()
def attachment(request: Request, ws: Workspace, person: Person | None) -> Response:
    return attachment_response(request, ws)


def attachment_response(request: Request, ws: Workspace) -> Response:
    """The bytes, never shown inline: a download with its name and type."""
    from store.workspace import attachment_file

    number = request.path_params["number"]
    try:
        attachment_id = int(request.path_params["attachment_id"])
    except ValueError:
        raise Problem(404, "no such attachment") from None
    with ws.transaction() as db:
        item = attachment_file(db, number, attachment_id)
    name = item.filename.replace("\\", "_").replace('"', "_")
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    disposition = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    return Response(
        item.data,
        media_type=_content_type(item.content_type),
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _content_type(value: str) -> str:
    """The stored type when it looks like one, else plain bytes."""
    main, _, sub = value.partition("/")
    if main.isascii() and sub and all(c.isalnum() or c in "-.+" for c in main + sub):
        return value.lower()
    return "application/octet-stream"
