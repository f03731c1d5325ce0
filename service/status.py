"""What `klachten status` reports, and when it says "needs attention".

Everything comes from the store, so `status` works beside a running daemon
(and on the other host of a failover pair). The daemon writes the facts only
it knows (next scheduled runs, the stall alarm) into `service_state`.

Attention rules: the operators' business (exit code 1 when any holds):

- schema: the database schema is not the one this version needs;
- stall: no successful mailbox check for `service.stall_alarm_minutes`
  (or never one at all);
- outbox_failed: a mail was given up on (status "failed");
- quarantined: a message waits in quarantine for a person;
- encryption: the store holds values the configured key cannot open.

Backlog rules: the coordinators' business, shown but exit 0 (exit 1 only
with `--strict`), so monitoring pages no operator for a late answer:

- overdue: an open case is past its answer date.

JSON keys (`--format json`), times ISO 8601 in the configured time zone:

- healthy (bool: no attention rule holds), attention and backlog (lists of
  "rule: text" lines), checked_at;
- schema: current, head, up_to_date;
- encryption: encrypted (bool), key_id (the key new values are sealed
  under, or null), keys (how many the key file holds), problem (why the key
  cannot open the store, or null; an attention rule);
- mailbox: last_success_at, waiting (as last seen; null: never), stalled,
  stall_alarm_minutes; mailboxes: one object per mailbox with source,
  last_success_at, waiting, last_error, last_error_at;
- quarantined (count); outbox: pending (incl. claimed, not yet sent), failed,
  held (mails to members due but waiting for [responder] hourly_limit: shown,
  not a reason for attention; they leave as the hour moves on);
- cases: open, overdue, today (received since local midnight);
- next_runs: job id -> next run time, as the daemon last wrote it;
- stall_alarm: {active, since, queued_at, dedupe_key} or null;
- daemon: {holder, started_at, heartbeat_at, down} or null.

With an outdated schema only checked_at, schema, attention and healthy are
present (the tables may not exist yet).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from responder.stall_alarm import STALL_KEY, is_stalled
from service.output import printable

if TYPE_CHECKING:
    from service.app import App
    from store.service_state import Health

SCHEDULER_KEY = "scheduler"
DAEMON_KEY = "daemon"


def local_day_start(now: datetime, timezone: str) -> datetime:
    """Midnight of `now`'s local day, as an aware datetime."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def read_health(app: App, now: datetime) -> Health:
    """One read transaction over the store."""
    from store.service_state import health

    with app.transaction() as session:
        day_start = local_day_start(now, app.timezone)
        return health(session, now, day_start, (SCHEDULER_KEY, STALL_KEY, DAEMON_KEY))


def read_held(app: App, now: datetime) -> int:
    """Mails to members waiting for [responder] hourly_limit: not a failure
    (they leave as the hour moves on), but worth knowing."""
    from store.outbox_limit import held_by_limit

    with app.transaction() as session:
        return held_by_limit(session, now, app.settings.responder.hourly_limit)


def collect(app: App, now: datetime | None = None) -> dict[str, Any]:
    """The status report as a JSON-ready dict (keys documented in operations.md)."""
    from store.migrate import current_revision, head_revision
    from store.models import utcnow

    now = now or utcnow()
    current, head = current_revision(app.engine), head_revision()
    report: dict[str, Any] = {
        "checked_at": _iso(now, app.timezone),
        "schema": {"current": current, "head": head, "up_to_date": current == head},
        "encryption": _encryption(app),
    }
    if current == head:
        report["encryption"]["problem"] = _key_problem(app)
        report.update(_store_part(app, read_health(app, now), now))
        report["outbox"]["held"] = read_held(app, now)
    report["attention"] = attention(report)
    report["backlog"] = backlog(report)
    report["healthy"] = not report["attention"]
    return report


def _encryption(app: App) -> dict[str, Any]:
    """Whether the store seals what it writes, and under which key."""
    from store.crypto import keyring_of

    keyring = keyring_of(app.engine)
    if keyring is None:
        return {"encrypted": False, "key_id": None, "keys": 0}
    return {"encrypted": True, "key_id": keyring.newest_id, "keys": len(keyring.keys)}


def _key_problem(app: App) -> str | None:
    """Why the configured key cannot open the store, or None."""
    from store.crypto import KeyProblem
    from store.key_check import require_openable

    try:
        with app.transaction() as session:
            require_openable(session)
    except KeyProblem as exc:
        return str(exc)
    return None


def _store_part(app: App, health: Health, now: datetime) -> dict[str, Any]:
    tz = app.timezone
    minutes = app.settings.service.stall_alarm_minutes
    last = health.last_success_at
    state = health.state
    return {
        "mailbox": {
            "last_success_at": _iso(last, tz),
            "waiting": health.waiting,
            "stalled": is_stalled(last, now, minutes),
            "stall_alarm_minutes": minutes,
        },
        "mailboxes": [
            {
                "source": m.source,
                "last_success_at": _iso(m.last_success_at, tz),
                "waiting": m.waiting,
                "last_error": m.last_error,
                "last_error_at": _iso(m.last_error_at, tz),
            }
            for m in health.mailboxes
        ],
        "quarantined": health.quarantined,
        "outbox": {"pending": health.outbox_pending, "failed": health.outbox_failed},
        "cases": {
            "open": health.open_cases,
            "overdue": health.overdue_cases,
            "today": health.cases_today,
        },
        "next_runs": state.get(SCHEDULER_KEY, {}).get("next_runs", {}),
        "stall_alarm": state.get(STALL_KEY),
        "daemon": state.get(DAEMON_KEY),
    }


def attention(report: dict[str, Any]) -> list[str]:
    """Reasons the report needs a person, as short lines; empty when healthy."""
    reasons: list[str] = []
    schema = report["schema"]
    if not schema["up_to_date"]:
        reasons.append(
            f"schema: database at {schema['current'] or 'empty'}, "
            f"needs {schema['head']}: run `klachten db upgrade`"
        )
        return reasons
    if report["encryption"].get("problem"):
        reasons.append(f"encryption: {report['encryption']['problem']}")
    mailbox = report["mailbox"]
    if mailbox["stalled"]:
        since = mailbox["last_success_at"] or "never"
        reasons.append(
            f"stall: no successful mailbox check for "
            f"{mailbox['stall_alarm_minutes']} minutes (last: {since})"
        )
    if report["outbox"]["failed"]:
        reasons.append(f"outbox_failed: {report['outbox']['failed']} mail(s) failed")
    if report["quarantined"]:
        reasons.append(f"quarantined: {report['quarantined']} message(s) to review")
    return reasons


def backlog(report: dict[str, Any]) -> list[str]:
    """The coordinators' backlog, as short lines: shown, not an operations
    alarm (only `status --strict` fails on it)."""
    overdue = report.get("cases", {}).get("overdue", 0)
    return [f"overdue: {overdue} open case(s) overdue"] if overdue else []


def summary_line(health: Health) -> str:
    """The one-line STATUS= for systemd: "idle; 3 cases today; outbox 0 pending"."""
    line = (
        f"idle; {health.cases_today} cases today; "
        f"outbox {health.outbox_pending} pending"
    )
    if health.outbox_failed:
        line += f", {health.outbox_failed} failed"
    return line


def render_text(report: dict[str, Any]) -> str:
    """The report for a terminal."""
    head = "OK" if report["healthy"] else f"ATTENTION ({len(report['attention'])})"
    lines = [f"klachten status: {head}"]
    lines += [f"  - {reason}" for reason in report["attention"]]
    lines += [f"  backlog: {reason}" for reason in report.get("backlog", [])]
    schema = report["schema"]
    state = "up to date" if schema["up_to_date"] else f"needs {schema['head']}"
    if "mailbox" in report:
        mailbox, outbox, cases = report["mailbox"], report["outbox"], report["cases"]
        waiting = "?" if mailbox["waiting"] is None else mailbox["waiting"]
        lines += [
            f"mailbox       last check {mailbox['last_success_at'] or 'never'}, "
            f"{waiting} waiting",
            f"quarantined   {report['quarantined']}",
            f"outbox        {outbox['pending']} pending, {outbox['failed']} failed"
            + _held(outbox.get("held", 0)),
            f"cases         {cases['open']} open, {cases['overdue']} overdue, "
            f"{cases['today']} today",
        ]
        runs = report["next_runs"]
        shown = ", ".join(f"{job} {at}" for job, at in sorted(runs.items()))
        lines.append(f"next runs     {shown or '(no daemon has reported)'}")
        alarm = report["stall_alarm"]
        if alarm and alarm.get("active"):
            lines.append(f"stall alarm   sent {alarm.get('queued_at')}")
    lines.append(f"schema        {schema['current'] or 'empty'} ({state})")
    sealed = report["encryption"]
    if sealed["encrypted"]:
        store = f"encrypted (key {sealed['key_id']}, {sealed['keys']} in file)"
    elif sealed.get("problem"):  # sealed values, and no key to open them
        store = "encrypted, but [privacy] key_file is not set"
    else:
        store = "not encrypted ([privacy] key_file not set)"
    lines.append(f"store         {store}")
    # Server replies and mailbox names end up here: no terminal sequences.
    return "\n".join(printable(line) for line in lines)


def _held(count: int) -> str:
    if not count:
        return ""
    return f", {count} held by the hourly limit (they wait, none is dropped)"


def _iso(value: datetime | None, timezone: str) -> str | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")
