"""One attachment's bytes, asked for by case number and attachment id.

An id that belongs to another case is unknown here (NotFound): a person who
may read one case cannot walk other cases' files by counting ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from store.errors import NotFound
from store.models import Attachment
from store.registration import case_by_number


@dataclass(frozen=True)
class AttachmentFile:
    id: int
    filename: str
    content_type: str
    sha256: str
    data: bytes


def attachment_file(
    session: Session, number: str, attachment_id: int
) -> AttachmentFile:
    """The attachment `attachment_id` of case `number`, with its bytes."""
    case = case_by_number(session, number)
    row = session.scalars(
        select(Attachment)
        .where(Attachment.id == attachment_id, Attachment.case_id == case.id)
        .options(undefer(Attachment.data))
    ).first()
    if row is None:
        raise NotFound(f"case {number} has no attachment {attachment_id}")
    return AttachmentFile(
        row.id, row.filename, row.content_type, row.sha256, bytes(row.data)
    )
