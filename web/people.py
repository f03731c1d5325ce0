"""Who is signed in: the accounts of store/accounts.py, seen by the web.

The one place that knows the store's account functions; handlers only see a
`Person` (e-mail, name, role). A disabled or unknown account is no person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from store.accounts import ROLES, role_allows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    role: str

    def may(self, role: str) -> bool:
        """True when this person's role is `role` or above it."""
        return role_allows(self.role, role)


def find(session: Session, email: str) -> Person | None:
    """The active account with this e-mail, or None."""
    from store import accounts

    account = accounts.find_account(session, email)
    if account is None or account.disabled or account.role not in ROLES:
        return None
    return Person(account.email, account.name, account.role)


def sign_in(session: Session, email: str, password: str, address: str) -> Person | None:
    """The person whose password this is, else None (wrong password, unknown
    or disabled account, too many failures: the store counts the failure, so
    the caller's transaction must commit either way)."""
    from store import accounts

    outcome = accounts.verify(session, email, password, address)
    if outcome.account is None:
        return None
    account = outcome.account
    return Person(account.email, account.name, account.role)
