"""Cases made through the store's own registration paths, for store tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from store.db import transaction
from store.inbound import register_inbound
from store.member import Member
from store.registration import register_case
from store.registration_input import (
    AttachmentRecord,
    CaseRules,
    FormFieldRecord,
    InboundRecord,
    NewCase,
)

RULES = CaseRules()


def mail_case(
    sessions: sessionmaker[Session],
    n: int,
    *,
    name: str = "Anna Peeters",
    email: str | None = None,
    body: str = "Mijn terugbetaling van de kinesitherapie is te laat.",
    subject: str = "Terugbetaling kinesitherapie",
    phone: str | None = None,
    insz: str | None = None,
    received: datetime | None = None,
    attachment: bytes | None = None,
    fields: tuple[tuple[str, str], ...] = (),
    **case: Any,
) -> str:
    """A complaint by e-mail with its message (and an attachment); its number."""
    sender = email or f"member{n}@example.be"
    received = received or datetime.now(UTC) - timedelta(hours=1)
    raw = f"From: {sender}\r\nSubject: {subject}\r\n\r\n{body}\r\n".encode()
    files = ()
    if attachment is not None:
        files = (
            AttachmentRecord(
                filename="formulier.pdf",
                content_type="application/pdf",
                data=attachment,
                sha256=hashlib.sha256(attachment).hexdigest(),
            ),
        )
    record = InboundRecord(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        source="import",
        received_at=received,
        klass="complaint",
        reason="test",
        message_id=f"c{n}-{received.timestamp()}@example.be",
        sender=sender,
        subject=subject,
        body_text=body,
        attachments=files,
        form_fields=tuple(
            FormFieldRecord(k, v, "pdf", "formulier.pdf") for k, v in fields
        ),
        new_case=NewCase(
            channel="email",
            received_at=received,
            language=case.pop("language", "nl"),
            member=Member(
                name=name,
                email=sender,
                phone=phone,
                insz=insz,
                insz_valid=True if insz else None,
            ),
            subject=subject,
            description=body,
            **case,
        ),
    )
    with transaction(sessions) as session:
        number = register_inbound(session, RULES, record).case_number
    assert number is not None
    return number


def post_case(
    sessions: sessionmaker[Session],
    *,
    name: str | None = "Jan Janssens",
    received: datetime | None = None,
    **case: Any,
) -> str:
    """A postal complaint without e-mail; its number."""
    new = NewCase(
        channel="post",
        received_at=received or datetime.now(UTC) - timedelta(days=1),
        language=case.pop("language", "nl"),
        member=Member(name=name),
        description="Per brief.",
        **case,
    )
    with transaction(sessions) as session:
        return register_case(session, RULES, new).number
