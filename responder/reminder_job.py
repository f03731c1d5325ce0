"""The reminder job: what `run --once`, `reminders run` and the daemon call.

`run_due` plans the reminders (responder/reminder_plan.py, pure) from what the
store knows and records them (store/reminder_records.py) in one transaction under
the job lock: the outbox rows and the reminders_sent rows commit together or
not at all, and a second instance waits for the lock and then finds nothing
left to send. Delivery is the outbox worker's business, not this job's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from config import Settings
from responder.job_context import JobContext
from responder.reminder_plan import Plan, PlannedMail, Policy, plan_reminders
from responder.reminder_times import digest_due, iso_week, within_send_window
from responder.weekly_digest import digest_context
from store.accounts import recipient_names

log = structlog.get_logger("klachten.reminders")


@dataclass(frozen=True)
class ReminderReport:
    """What one run queued: the grouped mails and the thresholds passed over."""

    mails: tuple[PlannedMail, ...] = ()
    skipped: int = 0

    @property
    def cases(self) -> int:
        return len({case_id for mail in self.mails for case_id in mail.case_ids})

    def describe(self) -> str:
        """A few words for `run --once`."""
        return f"{len(self.mails)} mail(s) queued for {self.cases} case(s)"


def run_due(app: JobContext, now: datetime | None = None) -> ReminderReport:
    """Record and queue every reminder due at `now` (default: the clock)."""
    from store import reminder_records as store

    now = now or datetime.now(UTC)
    policy = Policy.from_settings(app.settings)
    with app.transaction() as session:
        store.lock_job(session)
        cases = store.reminder_cases(session)
        sent = store.sent_keys(session, [case.id for case in cases])
        plan = plan_reminders(cases, sent, policy, now)
        store.record_skipped(session, plan.skipped, now)
        addresses = [mail.recipient for mail in plan.mails]
        names = dict(zip(addresses, recipient_names(session, addresses), strict=True))
        for mail in plan.mails:
            name = names[mail.recipient]
            store.record_mail(session, app.rules, _to_record(mail, name), now)
    report = ReminderReport(plan.mails, len(plan.skipped))
    if report.mails or report.skipped:
        log.info(
            "reminders.queued",
            mails=len(report.mails),
            cases=report.cases,
            skipped=report.skipped,
        )
    return report


def _to_record(mail: PlannedMail, name: str | None):
    from store.reminder_records import ReminderMail

    return ReminderMail(
        recipient=mail.recipient,
        language=mail.language,
        keys=mail.keys,
        context=mail.context(name),
    )


def preview(app: JobContext, now: datetime | None = None) -> Plan:
    """What `run_due` would queue at `now`, without locking or writing."""
    from store import reminder_records as store

    now = now or datetime.now(UTC)
    with app.transaction() as session:
        cases = store.reminder_cases(session)
        sent = store.sent_keys(session, [case.id for case in cases])
    return plan_reminders(cases, sent, Policy.from_settings(app.settings), now)


def run_digest(
    app: JobContext, now: datetime | None = None, *, force: bool = False
) -> int:
    """Queue the weekly digest when it is due (once per ISO week); returns the
    number of mails queued. `force` sends it whatever the day and hour, but
    still once a week."""
    from store import reminder_records as store

    now = now or datetime.now(UTC)
    settings = app.settings.reminders
    if not settings.digest:
        return 0
    policy = Policy.from_settings(app.settings)
    week = iso_week(now, policy.timezone)
    with app.transaction() as session:
        store.lock_job(session)
        last = store.digest_week_sent(session)
        if last == week or not (
            force
            or digest_due(
                now,
                policy.timezone,
                settings.digest_day,
                settings.digest_time,
                settings.weekends,
                last,
            )
        ):
            return 0
        context = digest_context(
            store.open_cases(session), policy, now, store.replied_cases(session)
        )
        coordinators = list(policy.coordinators)
        recipients = {
            address: (policy.language(address), name)
            for address, name in zip(
                coordinators, recipient_names(session, coordinators), strict=True
            )
        }
        count = store.record_digest(session, app.rules, week, recipients, context, now)
    log.info("reminders.digest_queued", week=week, mails=count)
    return count


def due_at_send_time(settings: Settings, now: datetime) -> bool:
    """Whether the scheduler may send reminders at `now`: from
    reminders.send_time until the end of the working day, local time, and
    not on a weekend unless reminders.weekends."""
    reminders = settings.reminders
    return within_send_window(
        now, settings.cases.timezone, reminders.send_time, reminders.weekends
    )


def tick(app: JobContext, now: datetime | None = None) -> ReminderReport:
    """The daemon's scheduled job: reminders in working hours, the digest
    when due. Safe to call every few minutes: what was sent is recorded."""
    now = now or datetime.now(UTC)
    report = ReminderReport()
    if due_at_send_time(app.settings, now):
        report = run_due(app, now)
    run_digest(app, now)
    return report
