"""Before a process works on the store: can its keys open what is sealed?

A key file that lacks the store's key (or no key file for an encrypted
store) would otherwise show only when a sealed value is read, and a daemon
would meanwhile seal new mail under a key nothing else knows. So every
command that needs the schema first opens the newest values of a few
columns; a KeyProblem is its one line.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Case, FormFieldValue, Message
from store.privacy_keys import known_secret

# Columns that most stores fill, and how many of their newest rows are read.
_PROBED = (
    Message.body_text,
    Message.new_text,
    Case.description,
    Case.member_insz,
    Case.member_street,
    FormFieldValue.value,
)
_NEWEST = 20


def require_openable(session: Session) -> None:
    """Raise KeyProblem when a recent sealed value cannot be opened here.

    Only the newest rows are read (bounded cost, also for `status` every
    minute): what was written last is what a wrong key would show first.
    """
    for column in _PROBED:
        table = column.class_
        statement = select(column).order_by(table.id.desc()).limit(_NEWEST)
        session.execute(statement).scalars().all()  # opening is the check
    known_secret(session)  # the pseudonyms' secret, sealed after an erasure
