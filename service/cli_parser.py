"""The argument parser: the public contract of commands and options.

Nothing heavy is imported here. Each command names its handler as
"module:function" in `service.commands`.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import NoReturn

from service.cli_privacy import add_privacy_commands
from store.vocabulary import (
    REGISTER_CHANNELS,
    Channel,
    MemberTemplate,
    MessageClass,
    Outcome,
    Reclassification,
    Role,
    Status,
    values,
)

MEMBER_TEMPLATES = values(MemberTemplate)
ROLES = values(Role)


def iso_date(text: str) -> date:
    """An argparse type: YYYY-MM-DD, with a clear message when impossible."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid date {text!r}: expected YYYY-MM-DD"
        ) from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


# A day count beyond a century is a typing error, and one beyond what dates
# can hold would end in an OverflowError deep in the store.
MAX_DAYS = 36_500


def days(text: str) -> int:
    """An argparse type: a number of days, 0 to MAX_DAYS."""
    value = positive_int(text)
    if value > MAX_DAYS:
        raise argparse.ArgumentTypeError(f"at most {MAX_DAYS} days: {text!r}")
    return value


def year(text: str) -> int:
    """An argparse type: a year a case can carry (2000-9998)."""
    value = positive_int(text)
    if not 2000 <= value <= 9998:
        raise argparse.ArgumentTypeError(f"not a year from 2000 to 9998: {text!r}")
    return value


class Parser(argparse.ArgumentParser):
    """argparse with the contract's one-line errors (usage stays in --help)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("klachten").strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"klachten: {where}{message}\n")


def _handler(parser: argparse.ArgumentParser, name: str) -> None:
    parser.set_defaults(handler=f"service.commands.{name}")


def _fmt(parser: argparse.ArgumentParser, *choices: str) -> None:
    parser.add_argument("--format", choices=choices, default=choices[0])


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="klachten",
        description="Complaints procedure of LM by e-mail: intake, "
        "acknowledgements, deadlines, yearly analysis.",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="configuration file (default: $KLACHTEN_CONFIG, "
        "else /etc/klachten/klachten.toml)",
    )
    parser.add_argument(
        "--actor", help="who acts, for the audit trail (default: the OS user)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _service_commands(commands)
    _case_commands(commands)
    _other_commands(commands)
    add_privacy_commands(commands)
    return parser


def _service_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "check-config", help="validate the config, try database, IMAP and SMTP"
    )
    _handler(p, "check:check_config")

    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", metavar="ACTION", required=True
    )
    _handler(db.add_parser("upgrade", help="apply Alembic migrations"), "db:upgrade")
    _handler(db.add_parser("current", help="show the schema revision"), "db:current")

    p = commands.add_parser("run", help="the daemon (until SIGTERM)")
    p.add_argument(
        "--once",
        action="store_true",
        help="process everything waiting, deliver the outbox, send due "
        "reminders, then exit",
    )
    _handler(p, "run:run")

    p = commands.add_parser("web", help="the coordinator workspace ([web] listen)")
    p.add_argument("--listen", metavar="HOST:PORT", help="instead of [web] listen")
    _handler(p, "web:web")

    p = commands.add_parser("import", help="register messages from files")
    p.add_argument("paths", nargs="+", metavar="FILE.eml|DIR|FILE.mbox")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument(
        "--acknowledge",
        action="store_true",
        help="also acknowledge mail older than [cases] ack_days (default: such "
        "cases are registered with ack_not_sent)",
    )
    _handler(p, "importer:import_files")

    p = commands.add_parser(
        "backup", help="a consistent copy of the store, also while `run` runs"
    )
    p.add_argument(
        "--output",
        required=True,
        metavar="FILE",
        help="SQLite: a SQLite database file; PostgreSQL: a pg_dump custom-format "
        "archive (pg_restore). Written 0600, replaced atomically",
    )
    _handler(p, "backup:backup")

    p = commands.add_parser(
        "status", help="health; non-zero exit when operations need attention"
    )
    _fmt(p, "text", "json")
    p.add_argument(
        "--strict",
        action="store_true",
        help="also exit non-zero for the coordinators' backlog (overdue cases)",
    )
    _handler(p, "status:status")


def _case_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("cases", help="list cases").add_subparsers(
        dest="cases_command", metavar="ACTION", required=True
    )
    lst = p.add_parser("list", help="list cases")
    lst.add_argument("--status", choices=values(Status))
    lst.add_argument("--open", action="store_true")
    lst.add_argument("--overdue", action="store_true")
    lst.add_argument("--due-within", type=days, metavar="DAYS")
    lst.add_argument("--assigned-to", metavar="ADDRESS")
    lst.add_argument("--channel", choices=values(Channel))
    lst.add_argument("--year", type=year)
    _fmt(lst, "table", "json")
    _handler(lst, "cases:list_cases")
    find = p.add_parser("search", help="find cases by number, member or text")
    find.add_argument("text")
    _fmt(find, "table", "json")
    _handler(find, "case_edit:search")

    case = commands.add_parser("case", help="act on one case").add_subparsers(
        dest="case_command", metavar="ACTION", required=True
    )
    show = case.add_parser("show", help="one case with everything")
    show.add_argument("number")
    _fmt(show, "text", "json")
    _handler(show, "cases:show_case")

    reg = case.add_parser("register", help="register a postal or oral complaint")
    reg.add_argument("--channel", choices=values(REGISTER_CHANNELS), required=True)
    reg.add_argument("--received-at", type=iso_date, required=True)
    for option in (
        "--name",
        "--email",
        "--phone",
        "--address",
        "--street",
        "--postcode",
        "--city",
        "--member-number",
        "--insz",
        "--category",
        "--subject",
        "--regional-office",
    ):
        reg.add_argument(option)
    reg.add_argument("--language", choices=("nl", "fr", "de", "en"))
    # Not required with --attach of a form that holds a description.
    text = reg.add_mutually_exclusive_group()
    text.add_argument("--description")
    text.add_argument("--description-file", metavar="F")
    reg.add_argument("--attach", action="append", default=[], metavar="FILE")
    reg.add_argument(
        "--handled-immediately",
        action="store_true",
        help="oral complaint handled on the spot: registered and closed at once",
    )
    _handler(reg, "register:register_case")

    _lifecycle_commands(case)
    _correction_commands(case)


def _lifecycle_commands(case: argparse._SubParsersAction) -> None:
    p = case.add_parser("assign", help="assign to a coordinator")
    p.add_argument("number")
    p.add_argument("--to", required=True, metavar="ADDRESS")
    _handler(p, "lifecycle:assign")

    p = case.add_parser("note", help="add a note to the audit trail")
    p.add_argument("number")
    p.add_argument("text")
    _handler(p, "lifecycle:note")

    p = case.add_parser(
        "reviewed", help="clear needs_review: a person looked at what raised it"
    )
    p.add_argument("number")
    p.add_argument("--note", default="", metavar="TEXT", help="what was found")
    _handler(p, "lifecycle:reviewed")

    p = case.add_parser("answer", help="record (and send) the answer")
    p.add_argument("number")
    p.add_argument("--outcome", choices=values(Outcome), required=True)
    p.add_argument("--message-file", metavar="F", required=True)
    how = p.add_mutually_exclusive_group()
    how.add_argument("--send", action="store_true", help="mail it to the member")
    how.add_argument("--by-post", action="store_true", help="sent as a letter")
    p.add_argument(
        "--output", metavar="F", help="with --by-post: where the letter's PDF goes"
    )
    _handler(p, "lifecycle:answer")

    p = case.add_parser("close", help="close the case")
    p.add_argument("number")
    _handler(p, "lifecycle:close")

    p = case.add_parser("reopen", help="reopen a closed or answered case")
    p.add_argument("number")
    p.add_argument("--reason", required=True)
    _handler(p, "lifecycle:reopen")

    p = case.add_parser("refer", help="the member turned to the ombudsdienst")
    p.add_argument("number")
    p.add_argument("--ombudsdienst", action="store_true", required=True)
    p.add_argument("--date", type=iso_date)
    _handler(p, "lifecycle:refer")

    p = case.add_parser("confirm", help="record the member's written confirmation")
    p.add_argument("number")
    p.add_argument("--received-at", type=iso_date)
    p.add_argument("--attach", action="append", default=[], metavar="FILE")
    _handler(p, "lifecycle:confirm")

    p = case.add_parser("letter", help="the acknowledgement as a printable letter")
    p.add_argument("number")
    p.add_argument("--output", metavar="PATH")
    p.add_argument(
        "--mark-sent", action="store_true", help="record that the letter was posted"
    )
    _handler(p, "letter:letter")


def _correction_commands(case: argparse._SubParsersAction) -> None:
    p = case.add_parser("edit", help="correct or complete a case's details")
    p.add_argument("number")
    for option in (
        "--category",
        "--regional-office",
        "--subject",
        "--cause",
        "--service",
        "--measure",
        "--member-name",
        "--member-email",
        "--member-phone",
        "--member-street",
        "--member-postcode",
        "--member-city",
        "--member-number",
        "--member-insz",
    ):
        p.add_argument(option, metavar="TEXT")
    p.add_argument("--language", choices=("nl", "fr", "de", "en"))
    _handler(p, "case_edit:edit")

    p = case.add_parser("reclassify", help="not a complaint after all")
    p.add_argument("number")
    p.add_argument("--as", dest="as_", choices=values(Reclassification), required=True)
    p.add_argument("--of", metavar="NUMBER", help="the case a duplicate repeats")
    _handler(p, "case_edit:reclassify")

    p = case.add_parser("merge", help="move a case into another one")
    p.add_argument("number")
    p.add_argument("--into", metavar="NUMBER", required=True)
    _handler(p, "case_edit:merge")

    p = case.add_parser("write", help="mail the member from a template")
    p.add_argument("number")
    p.add_argument("--template", choices=MEMBER_TEMPLATES, required=True)
    p.add_argument("--message-file", metavar="F")
    _handler(p, "case_edit:write")

    p = case.add_parser("attachment", help="save an attachment's bytes (0600)")
    p.add_argument("number")
    p.add_argument("id", type=positive_int)
    p.add_argument("--output", metavar="F", required=True)
    _handler(p, "case_edit:attachment")


def _user_commands(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "user", help="accounts of the web workspace"
    ).add_subparsers(dest="user_command", metavar="ACTION", required=True)
    p = sub.add_parser("add", help="create an account")
    p.add_argument("email")
    p.add_argument("--name", required=True)
    p.add_argument("--role", choices=ROLES, required=True)
    how = p.add_mutually_exclusive_group()
    how.add_argument("--password-file", metavar="F")
    how.add_argument(
        "--sso-only", action="store_true", help="no password: single sign-on only"
    )
    _handler(p, "users:add")
    p = sub.add_parser("list", help="every account")
    _fmt(p, "table", "json")
    _handler(p, "users:list_users")
    p = sub.add_parser("disable", help="an account that may no longer sign in")
    p.add_argument("email")
    _handler(p, "users:disable")
    p = sub.add_parser("passwd", help="set an account's password")
    p.add_argument("email")
    p.add_argument("--password-file", metavar="F")
    _handler(p, "users:passwd")


def _other_commands(commands: argparse._SubParsersAction) -> None:
    _user_commands(commands)
    p = commands.add_parser("messages", help="stored messages").add_subparsers(
        dest="messages_command", metavar="ACTION", required=True
    )
    lst = p.add_parser("list", help="one entry per stored message")
    lst.add_argument("--class", dest="klass", choices=values(MessageClass))
    _fmt(lst, "table", "json")
    _handler(lst, "messages:list_messages")
    reg = p.add_parser(
        "register",
        help="make a stranger's mail that names a case a complaint of its own",
    )
    reg.add_argument("id", type=int, help="the message's id (messages list)")
    _handler(reg, "messages:register_message")

    p = commands.add_parser("reminders", help="reminders to coordinators")
    sub = p.add_subparsers(dest="reminders_command", metavar="ACTION", required=True)
    prev = sub.add_parser("preview", help="what would be sent, without sending")
    prev.add_argument("--as-of", type=iso_date, metavar="DATE")
    _fmt(prev, "text", "json")
    _handler(prev, "reminders:preview")
    _handler(sub.add_parser("run", help="send every due reminder now"), "reminders:run")

    p = commands.add_parser("report", help="the yearly analysis")
    p.add_argument("--year", type=positive_int, required=True)
    p.add_argument(
        "--format", choices=("html", "pdf", "csv", "json", "xlsx"), default="html"
    )
    p.add_argument("--output", metavar="PATH")
    p.add_argument("--with-cases", action="store_true")
    p.add_argument("--language", choices=("nl", "fr", "de"), default="nl")
    p.add_argument("--no-progress", action="store_true")
    _handler(p, "report:report")
    _privacy_commands(commands)


def _privacy_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("privacy", help="encryption at rest")
    sub = p.add_subparsers(dest="privacy_command", metavar="ACTION", required=True)
    _handler(
        sub.add_parser(
            "rotate-key",
            help="seal every stored value under the newest key of [privacy] "
            "key_file, in small batches while the daemon runs",
        ),
        "privacy:rotate_key",
    )
    new_key = sub.add_parser("new-key", help="print a new key (a key file line)")
    _handler(new_key, "privacy:new_key")
    # The first key is made before any [privacy] key_file is configured, on a
    # machine that may have no config yet.
    new_key.set_defaults(config_free=True)
