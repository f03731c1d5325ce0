"""Form actions on one case, each the store function the command line calls.

Success: back to the case page (303). A refusal (closed case, bad value):
the case page again with the reason and what was typed, nothing saved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from store.errors import NotFound, UserError
from store.vocabulary import Outcome, values
from web.auth import Problem
from web.guard import guarded, need, status_of
from web.labels import DELIVERY_WORDS
from web.pages import case_view
from web.people import Person
from web.rendering import page
from web.workspace import Workspace

OUTCOMES = values(Outcome)
DELIVERIES = tuple(DELIVERY_WORDS)


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def act(
    request: Request,
    ws: Workspace,
    change: Callable[[Session], Any],
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    after: Callable[[], None] | None = None,
) -> Response:
    """Run `change` in one transaction; on refusal show the case again."""
    number = request.path_params["number"]
    problem = None
    if not errors:
        try:
            with ws.transaction() as db:
                change(db)
        except NotFound:
            raise
        except UserError as exc:
            problem, status = str(exc), status_of(exc)
            errors = getattr(exc, "errors", None)  # store.case_edit.InvalidFields
    else:
        problem, status = "; ".join(errors.values()), 422
    if problem is not None:
        view = case_view(
            request,
            ws,
            number,
            problem=problem,
            errors=errors or {},
            values=values or {},
        )
        return page(request, "case.html.j2", status, **view)
    if after is not None:
        after()
    request.session["flash"] = "done"
    return RedirectResponse(f"/cases/{number}", 303)


@guarded("coordinator")
def assign(request: Request, ws: Workspace, person: Person | None, form: FormData):
    from store import lifecycle
    from store.member_checks import valid_email

    to = field(form, "to").lower()
    errors = {} if valid_email(to) else {"to": f"invalid e-mail address {to!r}"}
    number = request.path_params["number"]
    return act(
        request,
        ws,
        lambda db: lifecycle.assign(db, number, to, need(person).email),
        values={"to": to},
        errors=errors,
    )


@guarded("coordinator")
def note(request: Request, ws: Workspace, person: Person | None, form: FormData):
    from store import lifecycle

    number, text = request.path_params["number"], field(form, "text")
    return act(
        request,
        ws,
        lambda db: lifecycle.note(db, number, text, need(person).email),
        values={"text": text},
    )


@guarded("coordinator")
def reviewed(request: Request, ws: Workspace, person: Person | None, form: FormData):
    from store import lifecycle

    number, text = request.path_params["number"], field(form, "text")
    return act(
        request,
        ws,
        lambda db: lifecycle.reviewed(db, number, text, need(person).email),
        values={"review": text},
    )


@guarded("coordinator")
def close(request: Request, ws: Workspace, person: Person | None, form: FormData):
    from store import lifecycle

    number = request.path_params["number"]
    return act(request, ws, lambda db: lifecycle.close(db, number, need(person).email))


@guarded("coordinator")
def reopen(request: Request, ws: Workspace, person: Person | None, form: FormData):
    from store import lifecycle

    number, reason = request.path_params["number"], field(form, "reason")
    return act(
        request,
        ws,
        lambda db: lifecycle.reopen(db, number, reason, need(person).email),
        values={"reason": reason},
    )


@guarded("coordinator")
def refer(request: Request, ws: Workspace, person: Person | None, form: FormData):
    from store import lifecycle

    number = request.path_params["number"]
    try:
        at = instant_of(field(form, "date"), ws.timezone)
    except ValueError as exc:
        return act(request, ws, lambda db: None, errors={"date": str(exc)})
    return act(
        request, ws, lambda db: lifecycle.refer(db, number, at, need(person).email)
    )


def instant_of(text: str, timezone: str) -> datetime:
    """A typed date as an instant: now for today or empty, noon on a past day."""
    zone = ZoneInfo(timezone)
    now = datetime.now(UTC).astimezone(zone)
    if not text:
        return now
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    if day > now.date():
        raise ValueError(f"{text} lies in the future")
    return now if day == now.date() else datetime.combine(day, time(12), tzinfo=zone)


@guarded("coordinator")
def edit(request: Request, ws: Workspace, person: Person | None, form: FormData):
    """Correct the case's details; the form sends every field, only the
    changed ones are written (each change its audit event)."""
    from store.queries import show_case
    from web.editing import CASE_FIELDS, MEMBER_FIELDS, change_case

    number = request.path_params["number"]
    with ws.transaction() as db:
        case = show_case(db, number, ws.timezone)

    def changed(name: str, now: Any) -> bool:
        return name in form and (field(form, name) or None) != now

    fields = {k: field(form, k) or None for k in CASE_FIELDS if changed(k, case.get(k))}
    member = {
        k: field(form, "member." + k) or None
        for k in MEMBER_FIELDS
        if changed("member." + k, case["member"][k])
    }
    values = {k: field(form, k) for k in form if k != "csrf"}
    return act(
        request,
        ws,
        lambda db: change_case(db, ws, number, fields, member, need(person).email),
        values=values,
    )


@guarded("coordinator")
def reclassify(request: Request, ws: Workspace, person: Person | None, form: FormData):
    """Not a complaint (staff, question, spam, duplicate of another case)."""
    from store.reclassify import reclassify as store_reclassify

    number, as_ = request.path_params["number"], field(form, "as")
    of = field(form, "of") or None
    return act(
        request,
        ws,
        lambda db: store_reclassify(db, number, as_, need(person).email, of=of),
        values={"as": as_, "of": of or ""},
    )


@guarded("coordinator")
def merge(request: Request, ws: Workspace, person: Person | None, form: FormData):
    """This case joins another; the page of the case it joined comes next."""
    from store.reclassify import merge as store_merge

    number, into = request.path_params["number"], field(form, "into")
    response = act(
        request,
        ws,
        lambda db: store_merge(db, number, into, need(person).email),
        values={"into": into},
    )
    if isinstance(response, RedirectResponse):
        response.headers["location"] = f"/cases/{into}"
    return response


@guarded("coordinator")
def own_complaint(
    request: Request, ws: Workspace, person: Person | None, form: FormData
):
    """A stranger's mail that named this case becomes a case of its own (as
    `messages register`); the new case's page comes next."""
    from store.stranger_case import open_case_from_message

    try:
        message_id = int(request.path_params["message_id"])
    except ValueError:
        raise Problem(404, "no such message") from None
    opened: list[str] = []

    def change(db: Session) -> None:
        case = open_case_from_message(db, ws.rules, message_id, need(person).email)
        opened.append(case.number)

    response = act(request, ws, change)
    if isinstance(response, RedirectResponse):
        response.headers["location"] = f"/cases/{opened[0]}"
    return response


@guarded("coordinator")
def write(request: Request, ws: Workspace, person: Person | None, form: FormData):
    """A mail to the member from a template in the member's language."""
    from store.member_mail import write_to_member

    number = request.path_params["number"]
    template, text = field(form, "template"), field(form, "text") or None
    response = act(
        request,
        ws,
        lambda db: write_to_member(
            db, ws.rules, number, template, need(person).email, text=text
        ),
        values={"template": template, "write_text": text or ""},
    )
    if isinstance(response, RedirectResponse) and ws.deliver is not None:
        response.background = BackgroundTask(ws.deliver)
    return response
