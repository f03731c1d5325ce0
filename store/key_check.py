"""Before a process works on the store: can its keys open what is sealed?

A key file that lacks the store's key (or no key file for an encrypted
store) would otherwise show only when a sealed value is read, and a daemon
would meanwhile seal new mail under a key nothing else knows. So every
command that needs the schema first opens the newest sealed value of a few
columns; a KeyProblem is its one line.
"""

from __future__ import annotations

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.orm import Session

from store.models import Case, FormFieldValue, Message
from store.sealed import SEALED

# Text columns (LIKE works on them on both engines) that most stores fill.
_PROBED = (
    Message.body_text,
    Message.new_text,
    Case.description,
    Case.member_insz,
    Case.member_street,
    FormFieldValue.value,
)


def require_openable(session: Session) -> None:
    """Raise KeyProblem when a sealed value cannot be opened here."""
    for column in _PROBED:
        table = column.class_
        statement = (
            select(column)
            # The pattern in clear: compared as plain text, not sealed.
            .where(type_coerce(column, Text).like(f"{SEALED}%"))
            .order_by(table.id.desc())
            .limit(1)
        )
        session.execute(statement).scalar()  # opening is the check
