"""Accounts, for admins: the list, a new account, disabling one.

The same store functions as `klachten user add|list|disable`; the actor of
each change is the admin's account e-mail.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from store.errors import UserError
from web.actions import field
from web.guard import guarded, need, status_of
from web.people import Person
from web.rendering import page
from web.workspace import Workspace


def _page(
    request: Request, ws: Workspace, code: int = 200, **values: object
) -> Response:
    from store.accounts import list_accounts

    with ws.transaction() as db:
        accounts = list_accounts(db)
    values.setdefault("problem", None)
    values.setdefault("values", {})
    return page(request, "users.html.j2", code, accounts=accounts, **values)


@guarded("admin")
def users(request: Request, ws: Workspace, person: Person | None) -> Response:
    return _page(request, ws)


@guarded("admin")
def add(request: Request, ws: Workspace, person: Person | None, form: FormData):
    from store.accounts import add_account

    values = {k: field(form, k) for k in ("email", "name", "role")}
    password = str(form.get("password") or "") or None
    try:
        with ws.transaction() as db:
            add_account(
                db,
                values["email"],
                values["name"],
                values["role"],
                password,
                need(person).email,
            )
    except UserError as exc:
        return _page(request, ws, status_of(exc), problem=str(exc), values=values)
    request.session["flash"] = "done"
    return RedirectResponse("/users", 303)


@guarded("admin")
def disable(request: Request, ws: Workspace, person: Person | None, form: FormData):
    from store.accounts import disable_account

    try:
        with ws.transaction() as db:
            disable_account(db, field(form, "email"), need(person).email)
    except UserError as exc:
        return _page(request, ws, status_of(exc), problem=str(exc))
    request.session["flash"] = "done"
    return RedirectResponse("/users", 303)
