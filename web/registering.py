"""Registering a complaint by post or at the counter, with the scanned letter.

The same record and checks as `klachten case register`: an e-mail that is
not one, a postcode of other than four digits or a future date give the form
again with the field's message; a national register number whose check
digits fail is kept as typed and flagged. With an e-mail address the member
gets the acknowledgement; without one the case waits for a letter.
"""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from starlette.background import BackgroundTask
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from store.manual_registration import opening_flags
from store.member import check_member
from store.registration_input import AttachmentRecord, NewCase
from web.actions import field
from web.guard import guarded, need
from web.people import Person
from web.rendering import page
from web.workspace import Workspace

CHANNELS = ("post", "oral")
MEMBER = ("name", "email", "phone", "street", "postcode", "city", "member_number",
          "insz")  # fmt: skip


@guarded("coordinator")
def register_form(request: Request, ws: Workspace, person: Person | None) -> Response:
    return page(request, "register.html.j2", values={}, errors={}, settings=ws.settings)


@guarded("coordinator")
def register(
    request: Request, ws: Workspace, person: Person | None, form: FormData
) -> Response:
    from store.registration import acknowledgement_address, register_case

    values = {k: field(form, k) for k in form if k not in ("csrf", "scan")}
    errors: dict[str, str] = {}
    new = build(ws, values, errors)
    scan = _scan(form.get("scan"), ws.settings.imap.max_message_size, errors)
    if errors or new is None:
        return page(
            request,
            "register.html.j2",
            422,
            values=values,
            errors=errors,
            settings=ws.settings,
        )
    acknowledge_to = acknowledgement_address(new)
    with ws.transaction() as db:
        case = register_case(
            db,
            ws.rules,
            new,
            attachments=scan,
            acknowledge_to=acknowledge_to,
            actor=need(person).email,
        )
        number = case.number
    response = RedirectResponse(f"/cases/{number}", 303)
    if acknowledge_to and ws.deliver is not None:
        response.background = BackgroundTask(ws.deliver)
    request.session["flash"] = "done"
    return response


def build(
    ws: Workspace, values: dict[str, str], errors: dict[str, str]
) -> NewCase | None:
    """The new case from the form; messages go into `errors`."""
    channel = values.get("channel", "")
    if channel not in CHANNELS:
        errors["channel"] = "choose post or oral"
    received = _received(values.get("received_at", ""), ws.timezone, errors)
    checked = check_member(**{k: values.get(k) for k in MEMBER})
    for key in ("email", "postcode"):  # wrong ones refuse; the others flag
        problem = checked.problem(key)
        if problem is not None:
            errors[key] = problem.message
    if not values.get("description"):
        errors["description"] = "the description is empty"
    category = values.get("category") or None
    if category and category not in ws.settings.cases.categories:
        errors["category"] = "unknown category"
    if errors or received is None:
        return None
    flags = [flag for flag in checked.flags if flag not in ("email_invalid",)]
    member = checked.member
    status = "awaiting_confirmation" if channel == "oral" else "registered"
    flags.extend(opening_flags(status, member.email, address_complete=member.postable))
    return NewCase(
        channel=channel,
        received_at=received,
        language=values.get("language") or ws.settings.cases.default_language,
        member=member,
        subject=values.get("subject") or None,
        description=values["description"],
        category=category,
        regional_office=values.get("regional_office") or None,
        flags=tuple(flags),
        status=status,
    )


def _received(text: str, timezone: str, errors: dict[str, str]) -> datetime | None:
    zone = ZoneInfo(timezone)
    now = datetime.now(UTC).astimezone(zone)
    try:
        day = date.fromisoformat(text) if text else now.date()
    except ValueError:
        errors["received_at"] = "a date: YYYY-MM-DD"
        return None
    if day > now.date():
        errors["received_at"] = "the date lies in the future"
        return None
    return now if day == now.date() else datetime.combine(day, time(12), tzinfo=zone)


def _scan(
    upload: Any, limit: int, errors: dict[str, str]
) -> tuple[AttachmentRecord, ...]:
    if not isinstance(upload, UploadFile) or not upload.filename:
        return ()
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        errors["scan"] = f"the scan is larger than {limit // (1024 * 1024)} MB"
        return ()
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:200] or "scan"
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return (AttachmentRecord(name, kind, data, hashlib.sha256(data).hexdigest()),)
