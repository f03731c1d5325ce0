"""The stall alarm: mail the operators once when intake has stopped working.

When no mailbox check succeeded for `service.stall_alarm_minutes`, one mail
(template operator/stall_alarm) goes into the outbox. Its dedupe key names
the outage ("stall:<last success>"), so however often the check runs, and
in however many daemons, one outage gives one mail; the next outage (a new
last success) gives the next. The state is kept in `service_state` for
`klachten status`.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from responder.job_context import JobContext
from store.vocabulary import Audience, MailKind

log = structlog.get_logger("klachten.alarm")
# The service_state key of the alarm's state (shown by `klachten status`).
STALL_KEY = "stall_alarm"


@dataclass(frozen=True)
class StallCheck:
    stalled: bool
    queued: bool  # True when this call queued the alarm mail
    dedupe_key: str | None


def check_stall(app: JobContext, now: datetime, started_at: datetime) -> StallCheck:
    """Queue the alarm mail when intake stalled; record the state either way.

    `started_at` stands in for the last success when no check ever succeeded,
    so a daemon that cannot reach its mailbox from the start alarms too.
    """
    from store.accounts import recipient_names
    from store.registration import enqueue_mail
    from store.service_state import get_state, health, outbox_has, put_state

    minutes = app.settings.service.stall_alarm_minutes
    with app.transaction() as session:
        figures = health(session, now, now)
        last = figures.last_success_at
        if not is_stalled(last or started_at, now, minutes):
            if (get_state(session, STALL_KEY) or {}).get("active"):
                put_state(session, STALL_KEY, {"active": False, "ended_at": _iso(now)})
                log.info("alarm.stall_ended")
            return StallCheck(False, False, None)
        key = f"stall:{_iso(last) if last else 'start:' + _iso(started_at)}"
        if outbox_has(session, key):
            return StallCheck(True, False, key)
        errors = [m for m in figures.mailboxes if m.last_error]
        recipients = list(app.settings.alarm_recipients)
        enqueue_mail(
            session,
            app.rules,
            kind=MailKind.STALL_ALARM,
            audience=Audience.OPERATOR,
            template="stall_alarm",
            language="nl",
            recipients=recipients,
            context={
                "recipients": recipient_names(session, recipients),
                "mailbox": app.settings.imap.mailbox,
                "minutes": int((now - (last or started_at)).total_seconds() // 60),
                "host": socket.gethostname(),
                "last_success": _iso(last) if last else None,
                "last_error": errors[-1].last_error if errors else None,
            },
            dedupe_key=key,
        )
        put_state(
            session,
            STALL_KEY,
            {
                "active": True,
                "since": _iso(last) if last else None,
                "queued_at": _iso(now),
                "dedupe_key": key,
            },
        )
    log.warning("alarm.stall_mail_queued", minutes=minutes)
    return StallCheck(True, True, key)


def is_stalled(last_success: datetime | None, now: datetime, minutes: int) -> bool:
    """True when the last successful check is older than `minutes` (or absent)."""
    return last_success is None or now - last_success >= timedelta(minutes=minutes)


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")
