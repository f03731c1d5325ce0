"""`klachten user add|list|disable|passwd`: the workspace's local accounts.

A password comes from `--password-file F` (its first line) or is asked twice
on the terminal; it never appears on the command line, where `ps` would show
it.
"""

from __future__ import annotations

import argparse
import getpass
import warnings
from pathlib import Path

from service.app import App
from service.output import print_json, print_table
from store.errors import UserError


def add(app: App, args: argparse.Namespace) -> int:
    from store import accounts

    app.require_schema()
    address = accounts.normalise_email(args.email)
    with app.transaction() as session:  # before asking for a password
        if accounts.find_account(session, address) is not None:
            raise UserError(f"an account for {address} exists already")
    password = None if args.sso_only else read_password(args.password_file)
    with app.transaction() as session:
        info = accounts.add_account(
            session, args.email, args.name, args.role, password, app.actor
        )
        line = f"{info.email}: account added ({info.role})"
    print(line)
    return 0


def list_users(app: App, args: argparse.Namespace) -> int:
    from store import accounts

    app.require_schema()
    with app.transaction() as session:
        found = accounts.list_accounts(session)
    if args.format == "json":
        print_json([a.to_dict() for a in found])
        return 0
    print_table(
        ["email", "name", "role", "state", "password", "last sign-in"],
        [
            [
                a.email,
                a.name,
                a.role,
                "disabled" if a.disabled else "active",
                "yes" if a.has_password else "sso only",
                a.last_sign_in_at.isoformat(timespec="minutes")
                if a.last_sign_in_at
                else "",
            ]
            for a in found
        ],
    )
    return 0


def disable(app: App, args: argparse.Namespace) -> int:
    from store import accounts

    app.require_schema()
    with app.transaction() as session:
        info = accounts.disable_account(session, args.email, app.actor)
    print(f"{info.email}: disabled")
    return 0


def passwd(app: App, args: argparse.Namespace) -> int:
    from store import accounts

    app.require_schema()
    with app.transaction() as session:  # before asking for a password
        if accounts.find_account(session, args.email) is None:
            raise UserError(f"no account for {args.email.strip().lower()}")
    password = read_password(args.password_file)
    with app.transaction() as session:
        info = accounts.set_password(session, args.email, password, app.actor)
    print(f"{info.email}: password set")
    return 0


def _ask(prompt: str) -> str:
    """One answer from the terminal; UserError where there is none (getpass
    would read the echoed input from stdin, with warnings on stderr)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", getpass.GetPassWarning)
        try:
            return getpass.getpass(prompt)
        except (getpass.GetPassWarning, EOFError):
            raise UserError(
                "no terminal to ask the password on: use --password-file"
            ) from None


def read_password(path: str | None) -> str:
    """The password from the first line of `path`, else asked twice."""
    from store.accounts import check_password

    if path is not None:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise UserError(f"cannot read {path}: {reason}") from None
        password = lines[0] if lines else ""
    else:
        password = _ask("Password: ")
        if _ask("Password again: ") != password:
            raise UserError("the two passwords differ")
    check_password(password)
    return password
