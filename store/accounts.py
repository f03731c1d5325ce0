"""Accounts of the coordinator workspace, and signing in with a password.

An account is an e-mail address (stored lower-cased: one account per address
whatever its spelling), a name, a role (viewer reads, coordinator acts, admin
also manages accounts), and optionally an argon2 password hash; an account
without one signs in only through the single sign-on header. Every change is
an audit event whose actor is the person who made it.

Failed sign-ins are limited per account and per remote address: after
`MAX_FAILURES` failures within `WINDOW`, that account (or address) is locked
for `LOCK`, even for the right password. A success clears the account's count
but not the address's, so one valid account cannot reset an address that is
guessing others' passwords.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.errors import NotFound, UserError
from store.member_checks import valid_email
from store.models import Account, SignInFailures, utcnow
from store.registration import add_event, is_conflict
from store.vocabulary import Role, values

ROLES = values(Role)
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
MIN_PASSWORD = 10

# Why a sign-in was refused. "invalid" covers an unknown address and a wrong
# password alike, so the answer never tells whether an account exists.
INVALID = "invalid"
LOCKED = "locked"
DISABLED = "disabled"
NO_PASSWORD = "no_password"

_HASHER = PasswordHasher()
# Verified against when the account does not exist: the answer takes as long.
_DUMMY_HASH = _HASHER.hash("klachten: no such account")


@dataclass(frozen=True)
class AccountInfo:
    """An account as the command line and the workspace see it (no hash)."""

    id: int
    email: str
    name: str
    role: str
    disabled: bool
    has_password: bool
    created_at: datetime
    last_sign_in_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "disabled": self.disabled,
            "has_password": self.has_password,
            "created_at": self.created_at.isoformat(),
            "last_sign_in_at": (
                self.last_sign_in_at.isoformat() if self.last_sign_in_at else None
            ),
        }


@dataclass(frozen=True)
class SignIn:
    """The outcome of `verify`: an account, or the reason it was refused."""

    account: AccountInfo | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.account is not None


def role_allows(role: str, needed: str) -> bool:
    """True when `role` may do what `needed` may (viewer < coordinator < admin)."""
    if role not in ROLES or needed not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)


def normalise_email(email: str) -> str:
    """The stored form of an account's address; refuses what is not one."""
    address = email.strip().lower()
    if not valid_email(address):
        raise UserError(f"invalid e-mail address {email!r}")
    return address


def check_password(password: str) -> None:
    """Refuse a password too short to keep anyone out."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")


def _info(account: Account) -> AccountInfo:
    return AccountInfo(
        id=account.id,
        email=account.email,
        name=account.name,
        role=account.role,
        disabled=account.disabled,
        has_password=account.password_hash is not None,
        created_at=account.created_at,
        last_sign_in_at=account.last_sign_in_at,
    )


def _account(session: Session, email: str, *, lock: bool = False) -> Account | None:
    statement = select(Account).where(Account.email == email.strip().lower())
    if lock:
        statement = statement.with_for_update()
    return session.scalars(statement).first()


def _existing(session: Session, email: str) -> Account:
    account = _account(session, email, lock=True)
    if account is None:
        raise NotFound(f"no account for {email.strip().lower()}")
    return account


def add_account(
    session: Session,
    email: str,
    name: str,
    role: str,
    password: str | None,
    actor: str,
) -> AccountInfo:
    """Create an account; `password` None makes it sign-on only."""
    address = normalise_email(email)
    if not name.strip():
        raise UserError("the account needs a name")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if password is not None:
        check_password(password)
    if _account(session, address) is not None:
        raise UserError(f"an account for {address} exists already")
    account = Account(
        email=address,
        name=name.strip(),
        role=role,
        password_hash=_HASHER.hash(password) if password is not None else None,
        disabled=False,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(account)
    except IntegrityError as exc:
        if is_conflict(exc):
            raise UserError(f"an account for {address} exists already") from None
        raise
    add_event(session, "account_added", actor=actor, email=address, role=role)
    return _info(account)


def recipient_names(session: Session, addresses: list[str]) -> list[str]:
    """How to greet the people at `addresses`: the name of their workspace
    account, else one made from the address ("els.claes@lm.be": "Els Claes")."""
    known = {
        email: name
        for email, name in session.execute(
            select(Account.email, Account.name).where(
                Account.email.in_([a.strip().lower() for a in addresses])
            )
        )
    }
    return [known.get(a.strip().lower()) or name_from_address(a) for a in addresses]


def name_from_address(address: str) -> str:
    """A name to greet when no account names the recipient:
    "els.claes@lm.be" -> "Els Claes"."""
    local = address.strip().partition("@")[0]
    words = [w for w in re.split(r"[._\-+]+", local) if w and not w.isdigit()]
    return " ".join(w.capitalize() for w in words) or address.strip()


def list_accounts(session: Session) -> list[AccountInfo]:
    """Every account, by e-mail address."""
    return [_info(a) for a in session.scalars(select(Account).order_by(Account.email))]


def find_account(session: Session, email: str) -> AccountInfo | None:
    """The account of `email` (any spelling), disabled ones included."""
    account = _account(session, email)
    return _info(account) if account is not None else None


def disable_account(session: Session, email: str, actor: str) -> AccountInfo:
    """Disable an account: it can no longer sign in by any means."""
    account = _existing(session, email)
    if account.disabled:
        raise UserError(f"the account {account.email} is disabled already")
    account.disabled = True
    add_event(session, "account_disabled", actor=actor, email=account.email)
    return _info(account)


def set_password(
    session: Session, email: str, password: str, actor: str
) -> AccountInfo:
    """Set (or replace) an account's password; clears its lock."""
    check_password(password)
    account = _existing(session, email)
    account.password_hash = _HASHER.hash(password)
    failures = session.get(SignInFailures, f"account:{account.email}")
    if failures is not None:
        session.delete(failures)
    add_event(session, "account_password_set", actor=actor, email=account.email)
    return _info(account)


def verify(
    session: Session,
    email: str,
    password: str,
    remote_addr: str,
    now: datetime | None = None,
) -> SignIn:
    """Check a password sign-in, counting failures per account and address.

    Works in the caller's transaction, which must be committed whatever the
    outcome: a refused sign-in is recorded so the limit holds.
    """
    now = now or utcnow()
    address = email.strip().lower()
    keys = (f"account:{address}"[:400], f"addr:{remote_addr}"[:400])
    if any(_locked(session, key, now) for key in keys):
        return SignIn(None, LOCKED)
    account = _account(session, address)
    stored = account.password_hash if account is not None else None
    if not _password_matches(stored or _DUMMY_HASH, password) or stored is None:
        for key in keys:
            _count_failure(session, key, now)
        if account is not None and stored is None:
            return SignIn(None, NO_PASSWORD)
        return SignIn(None, INVALID)
    assert account is not None
    if account.disabled:
        return SignIn(None, DISABLED)
    failures = session.get(SignInFailures, keys[0])
    if failures is not None:
        session.delete(failures)
    if _HASHER.check_needs_rehash(stored):
        account.password_hash = _HASHER.hash(password)
    account.last_sign_in_at = now
    return SignIn(_info(account))


def _password_matches(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _locked(session: Session, key: str, now: datetime) -> bool:
    row = session.get(SignInFailures, key)
    return bool(row and row.locked_until and row.locked_until > now)


def _count_failure(session: Session, key: str, now: datetime) -> None:
    """One more failure for `key`; the fifth within the window locks it."""
    row = session.get(SignInFailures, key, with_for_update=True)
    if row is None:
        try:
            with session.begin_nested():
                session.add(SignInFailures(key=key, failures=1, window_start=now))
            return
        except IntegrityError:
            # Another sign-in created it at the same moment: count on it.
            row = session.get(SignInFailures, key, with_for_update=True)
            assert row is not None
    if now - row.window_start > WINDOW:
        row.failures, row.window_start, row.locked_until = 1, now, None
        return
    row.failures += 1
    if row.failures >= MAX_FAILURES:
        row.locked_until = now + LOCK
