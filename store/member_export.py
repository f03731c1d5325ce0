"""An access request (GDPR article 15): everything held about one member.

One zip: every case of the member as `case show --format json` gives it,
each message as the original .eml, each attachment's bytes, form fields and
the audit trail, plus messages of no case sent from the member's address;
`index.json` lists it all and `index.html` shows it readably, every string
escaped (a subject or a file name is hostile). The export is itself an
audit event (`exported`) on each case and loose message, in the same
transaction as the read, so what was handed over is on record.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.member_lookup import MemberQuery, require_member
from store.models import Attachment, Case, Event, Message, utcnow
from store.queries import loaded_case
from store.registration import add_event
from store.views import case_detail, event_dict, iso, message_dict

EXPORTED_KIND = "exported"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def export_member(
    session: Session, query: MemberQuery, *, actor: str, timezone: str
) -> bytes:
    """The zip of everything about the member; UserError when unknown."""
    cases, loose = require_member(session, query)
    now = utcnow()
    files: dict[str, bytes] = {}
    index = {
        "exported_at": iso(now, timezone),
        "member": {"email": query.email, "insz": query.insz},
        "cases": [_case(session, case, timezone, files) for case in cases],
        "messages": [_message(session, m, timezone, files) for m in loose],
    }
    for case in cases:
        add_event(session, EXPORTED_KIND, case=case, actor=actor)
    for message in loose:
        add_event(session, EXPORTED_KIND, message=message, actor=actor)
    session.flush()
    return _zip(index, files, now)


def _case(
    session: Session, case: Case, timezone: str, files: dict[str, bytes]
) -> dict[str, Any]:
    loaded = loaded_case(session, case.id)
    body = case_detail(loaded, timezone)
    folder = f"cases/{safe_name(case.number)}"
    by_id = {m.id: m for m in loaded.messages}
    for item in body["messages"]:
        item["file"] = _eml(by_id[item["id"]], folder, files)
    for item, attachment in zip(body["attachments"], loaded.attachments, strict=True):
        item["file"] = _attachment(attachment, folder, files)
    return body


def _message(
    session: Session, message: Message, timezone: str, files: dict[str, bytes]
) -> dict[str, Any]:
    """A message of no case, with its attachments and its audit events."""
    body = message_dict(message, timezone)
    body["text"] = message.new_text or message.body_text
    body["file"] = _eml(message, "messages", files)
    body["attachments"] = [
        {"filename": a.filename, "file": _attachment(a, "messages", files)}
        for a in message.attachments
    ]
    events = select(Event).where(Event.message_id == message.id).order_by(Event.id)
    body["events"] = [event_dict(e, timezone) for e in session.scalars(events)]
    return body


def _eml(message: Message, folder: str, files: dict[str, bytes]) -> str | None:
    if not message.raw:
        return None  # erased
    name = f"{folder}/messages/{message.id}.eml"
    files[name] = message.raw
    return name


def _attachment(attachment: Attachment, folder: str, files: dict[str, bytes]) -> str:
    name = f"{folder}/attachments/{attachment.id}-{safe_name(attachment.filename)}"
    files[name] = attachment.data
    return name


def safe_name(text: str) -> str:
    """A file name made of harmless characters only (never a path)."""
    cleaned = _UNSAFE_NAME.sub("_", text).strip("._")[:100]
    return cleaned or "file"


def _zip(index: dict[str, Any], files: dict[str, bytes], now: datetime) -> bytes:
    buffer = io.BytesIO()
    stamp = now.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = {
            "index.json": json.dumps(index, ensure_ascii=False, indent=2).encode(),
            "index.html": index_html(index).encode(),
            **files,
        }
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), data)
    return buffer.getvalue()


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def index_html(index: dict[str, Any]) -> str:
    """A readable page of the export; every value escaped."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<title>Export</title></head><body>",
        f"<h1>Export of {_e(index['exported_at'])}</h1>",
    ]
    for case in index["cases"]:
        parts.append(f"<h2>Case {_e(case['number'])}</h2>")
        parts.append(_table({k: v for k, v in case.items() if _plain(v)}))
        parts.append(_table(case["member"]))
        parts += _messages(case["messages"])
        parts.append("<h3>Attachments</h3><ul>")
        parts += [_link(a["file"], a["filename"]) for a in case["attachments"]]
        parts.append("</ul><h3>Form fields</h3>")
        parts.append(_table({f["key"]: f["value"] for f in case["form_fields"]}))
        parts.append("<h3>Audit trail</h3><ul>")
        parts += [
            f"<li>{_e(e['at'])} {_e(e['kind'])} ({_e(e['actor'])}) "
            f"{_e(json.dumps(e['details'], ensure_ascii=False))}</li>"
            for e in case["events"]
        ]
        parts.append("</ul>")
    if index["messages"]:
        parts.append("<h2>Messages without a case</h2>")
        parts += _messages(index["messages"])
    parts.append("</body></html>")
    return "\n".join(parts)


def _plain(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _table(values: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in values.items()
    )
    return f"<table>{rows}</table>"


def _link(path: str | None, label: Any) -> str:
    if path is None:
        return f"<li>{_e(label)}</li>"
    return f"<li><a href='{_e(path)}'>{_e(label)}</a></li>"


def _messages(messages: list[dict[str, Any]]) -> list[str]:
    parts = ["<h3>Messages</h3>"]
    for m in messages:
        parts.append(
            f"<h4>{_e(m['received_at'])} {_e(m['sender'])}: {_e(m['subject'])}</h4>"
        )
        parts.append(f"<ul>{_link(m['file'], 'original mail (.eml)')}</ul>")
        parts.append(f"<pre>{_e(m['text'])}</pre>")
    return parts
