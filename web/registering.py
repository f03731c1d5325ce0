"""Registering a complaint by post or at the counter, with the scanned letter.

The same steps as `klachten case register` (ingest.hand_registration): a
scanned form is read as a mail's form is, and fills what was not typed (the
member, the description, the category; its fields are kept with where each
came from); the language not chosen is detected as for a mail. An e-mail
that is not one, a postcode of other than four digits, or a date after today
or before 2000 give the form again with the field's message, nothing saved;
a national register number whose check digits fail is kept as typed and
flagged. With an e-mail address the member gets the acknowledgement;
without one the case waits for a letter.
"""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import date
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ingest.hand_registration import (
    Refused,
    Scanned,
    Typed,
    build_new_case,
    read_forms,
)
from store.case_edit import MEMBER_FIELDS
from store.registration_input import AttachmentRecord, NewCase
from store.vocabulary import Channel
from web.actions import field
from web.guard import guarded, need
from web.people import Person
from web.rendering import page
from web.workspace import Workspace

# The workspace registers what reaches a person: letters and conversations.
CHANNELS = (Channel.POST.value, Channel.ORAL.value)


@guarded("coordinator")
def register_form(request: Request, ws: Workspace, person: Person | None) -> Response:
    return page(
        request,
        "register.html.j2",
        values={},
        errors={},
        settings=ws.settings,
        channels=CHANNELS,
    )


@guarded("coordinator")
def register(
    request: Request, ws: Workspace, person: Person | None, form: FormData
) -> Response:
    from store.registration import acknowledgement_address, register_case

    values = {k: field(form, k) for k in form if k not in ("csrf", "scan")}
    errors: dict[str, str] = {}
    scan = _scan(form.get("scan"), ws.settings.imap.max_message_size, errors)
    new, scanned = build(ws, values, scan, errors)
    if errors or new is None:
        return page(
            request,
            "register.html.j2",
            422,
            values=values,
            errors=errors,
            settings=ws.settings,
            channels=CHANNELS,
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
            form_fields=scanned.fields,
        )
        number = case.number
    response = RedirectResponse(f"/cases/{number}", 303)
    if acknowledge_to and ws.deliver is not None:
        response.background = BackgroundTask(ws.deliver)
    request.session["flash"] = "done"
    return response


def build(
    ws: Workspace,
    values: dict[str, str],
    scan: tuple[AttachmentRecord, ...],
    errors: dict[str, str],
) -> tuple[NewCase | None, Scanned]:
    """The new case from the form and the forms in the scan, by the steps of
    `case register` (ingest.hand_registration); messages go into `errors`."""
    channel = values.get("channel", "")
    if channel not in CHANNELS:
        errors["channel"] = "choose post or oral"
    received_on = _day(values.get("received_at", ""), errors)
    scanned = read_forms(scan, ws.settings)
    typed = Typed(
        channel=channel,
        member={key: values.get(key) or None for key in MEMBER_FIELDS},
        received_on=received_on,
        description=values.get("description") or None,
        subject=values.get("subject") or None,
        category=values.get("category") or None,
        regional_office=values.get("regional_office") or None,
        language=values.get("language") or None,
    )
    try:
        new = build_new_case(typed, scanned, ws.settings)
    except Refused as refused:
        for key, message in refused.problems.items():
            errors.setdefault(key, message)
        return None, scanned
    return (None if errors else new), scanned


def _day(text: str, errors: dict[str, str]) -> date | None:
    """The date typed (None: today, decided with the other rules)."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        errors["received_at"] = "a date: YYYY-MM-DD"
        return None


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
