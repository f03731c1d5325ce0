"""The parser of the members' data commands (issue 19): `member export`,
`member erase`, `purge` and `reconcile`. Handlers: service.commands.privacy
and service.commands.reconcile."""

from __future__ import annotations

import argparse


def _member(parser: argparse.ArgumentParser) -> None:
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", metavar="X", help="the address, any case")
    who.add_argument("--insz", metavar="N", help="national number, any formatting")


def add_privacy_commands(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "member", help="one member's data: access request, erasure"
    ).add_subparsers(dest="member_command", metavar="ACTION", required=True)
    p = sub.add_parser("export", help="everything held about the member (zip, 0600)")
    _member(p)
    p.add_argument("--output", required=True, metavar="F.zip")
    p.set_defaults(handler="service.commands.privacy:export")
    p = sub.add_parser("erase", help="erase the member's personal data")
    _member(p)
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.add_argument("--force", action="store_true", help="also from open cases")
    p.set_defaults(handler="service.commands.privacy:erase")

    p = commands.add_parser(
        "purge",
        help="erase personal data of cases closed or reclassified, and of mail "
        "of no case received, beyond retention_years",
    )
    p.add_argument("--dry-run", action="store_true", help="list, change nothing")
    p.set_defaults(handler="service.commands.privacy:purge")

    p = commands.add_parser(
        "reconcile",
        help="register again mail the mailbox shows processed but the store lacks",
    )
    p.add_argument("--dry-run", action="store_true", help="list, change nothing")
    p.add_argument(
        "--acknowledge", action="store_true", help="acknowledge what is found again"
    )
    p.set_defaults(handler="service.commands.reconcile:reconcile")
