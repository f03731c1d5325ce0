"""Small raw messages and a config for intake tests against the real Dovecot."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any


def complaint(
    *,
    sender: str = "jan.peeters@example.be",
    name: str = "Jan Peeters",
    subject: str = "Klacht over mijn terugbetaling",
    body: str = "Ik heb nog altijd geen terugbetaling ontvangen voor mijn bril.",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    date: datetime | None = None,
) -> bytes:
    """A plain member's mail as raw CRLF bytes."""
    message_id = message_id or f"{uuid.uuid4().hex}@example.be"
    lines = [
        f"From: {name} <{sender}>",
        "To: klachten@libmutov.be",
        f"Subject: {subject}",
        f"Date: {format_datetime(date or datetime(2026, 3, 2, 9, 30, tzinfo=UTC))}",
        f"Message-ID: <{message_id}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode()


def imap_sections(server: Any, **imap: Any) -> dict[str, Any]:
    """The [imap] section for the test Dovecot (plain port, no IDLE)."""
    values = {
        "host": server.host,
        "port": server.port,
        "security": "none",
        "username": server.username,
        "password": server.password,
        "idle": False,
        "timeout": 10,
    }
    values.update(imap)
    return values


def config_for(
    make_config: Callable[..., Path], db_url: str, server: Any, **imap: Any
) -> Path:
    return make_config(db_url, imap=imap_sections(server, **imap))
