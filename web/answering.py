"""Answering from the case page: preview first, then send (or post).

The preview renders the member's mail with the same templates the outbox
uses; "send" records the answer through store.lifecycle.answer, which queues
the mail, and asks the composition root's delivery to send it now.
"""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from store.errors import UserError
from web.actions import DELIVERIES, OUTCOMES, act, field
from web.guard import guarded, need
from web.mailtext import answer_letter, answer_mail
from web.pages import case_view
from web.people import Person
from web.rendering import page
from web.workspace import Workspace


def checked(form: FormData) -> tuple[dict[str, str], dict[str, str]]:
    """The answer's values and a message per bad field."""
    values = {
        "outcome": field(form, "outcome"),
        "text": field(form, "text"),
        "delivery": field(form, "delivery") or "email",
    }
    errors = {}
    if values["outcome"] not in OUTCOMES:
        errors["outcome"] = "choose an outcome"
    if not values["text"]:
        errors["text"] = "the answer is empty"
    if values["delivery"] not in DELIVERIES:
        errors["delivery"] = "choose how the answer goes out"
    return values, errors


@guarded("coordinator")
def answer(request: Request, ws: Workspace, person: Person | None, form: FormData):
    from store import lifecycle
    from store.outbox import case_view_by_number

    number = request.path_params["number"]
    values, errors = checked(form)
    if errors or field(form, "step") != "send":
        if errors:
            return act(request, ws, lambda db: None, values=values, errors=errors)
        with ws.transaction() as db:
            facts = case_view_by_number(db, number)
        mail = answer_mail(ws.settings, facts, values["text"] + "\n")
        view = case_view(request, ws, number)
        return page(
            request,
            "answer_preview.html.j2",
            mail=mail,
            values=values,
            case=view["case"],
        )
    reply = lifecycle.Answer(
        outcome=values["outcome"],
        text=values["text"] + "\n",
        delivery=values["delivery"],
    )
    response = act(
        request,
        ws,
        lambda db: lifecycle.answer(db, ws.rules, number, reply, need(person).email),
        values=values,
    )
    if isinstance(response, RedirectResponse):
        if values["delivery"] == "email" and ws.deliver is not None:
            # After the response: what fails here, the daemon retries.
            response.background = BackgroundTask(ws.deliver)
        if values["delivery"] == "post":
            request.session["letter"] = number
    return response


@guarded("coordinator")
def letter(request: Request, ws: Workspace, person: Person | None) -> Response:
    """The PDF of the case's latest answer, to print and post."""
    from store.case_view import refuse_unpostable
    from store.outbox import case_view_by_number
    from store.queries import show_case

    number = request.path_params["number"]
    with ws.transaction() as db:
        facts = case_view_by_number(db, number)
        events = show_case(db, number, ws.timezone)["events"]
    answers = [e for e in events if e["kind"] == "answered"]
    if not answers:
        raise UserError(f"case {number} has not been answered")
    refuse_unpostable(facts)  # as `case answer --by-post` refuses it
    pdf = answer_letter(ws.settings, facts, answers[-1]["details"].get("text", ""))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{number}-antwoord.pdf"',
        },
    )
