"""The delivery worker: claim due outbox rows, decide, render, send, mark.

One batch is: a short transaction that claims rows (see store.outbox) and reads
the recent acknowledgements the per-address limit counts, then one SMTP
connection for all of them, and a short transaction per few rows to record
what happened. Nothing is removed from the outbox: a row ends "sent",
"skipped" or "failed", and a temporary failure puts it back to "pending" with
a later `next_attempt_at`.

The envelope sender is `smtp.from_address`, for member mail as well. RFC 3834
allows a null sender for automatic replies, but then a bounce of an
acknowledgement would be lost; with our own address it comes back to the intake
mailbox, is classified as a bounce there and never answered.
"""

from __future__ import annotations

import smtplib
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import jinja2
import structlog

from mailconn.smtp import close_quietly
from responder import policy
from responder.carry import Carry
from responder.compose import Envelope, compose
from responder.context import mail_context, may_quote
from responder.delivery_setup import DeliveryConfig, DeliveryReport
from responder.render import TemplateCache, render_mail
from responder.smtp import SendFailure, send
from store import outbox
from store.db import transaction
from store.delivery_results import Sent, Skipped, record_batch
from store.outbox import ClaimedMail
from store.outbox_recovery import take_back_orphans
from store.registration_rows import COMPLAINT_KEY
from store.vocabulary import Audience, MailKind

if TYPE_CHECKING:
    from store.outbox import Session, SessionFactory

log = structlog.get_logger("klachten.responder")

# Stop taking new rows this long before the lease runs out, so that a slow
# batch never overlaps a second worker's claim of the same rows.
LEASE_MARGIN = 60.0
# Sent and skipped rows are recorded this many at a time (see _Batch).
RECORD_EVERY = 10


class _Outage(Exception):
    """The server cannot be reached: every remaining row waits."""


def deliver_batch(
    sessions: SessionFactory,
    env: jinja2.Environment,
    config: DeliveryConfig,
    *,
    now: datetime,
    limit: int,
    carry: Carry,
    member_room: int | None = None,
) -> DeliveryReport:
    """Claim up to `limit` due rows and deliver them over one connection;
    with `member_room`, at most that many mails to members (the report's
    `members` says how many were claimed).

    `carry` holds what an earlier batch of this worker could not write; it
    is written first, and what this batch cannot write goes into it.
    """
    carry.settle(sessions, now)
    with transaction(sessions) as session:
        taken_back = take_back_orphans(session)
        claimed = outbox.claim_due(
            session,
            worker=config.worker,
            now=now,
            lease=config.lease,
            limit=limit,
            member_room=member_room,
        )
        recent = _recent(session, claimed, now)
    if taken_back:
        log.warning("outbox.taken_back", rows=taken_back)
    batch = _Batch(sessions, env, config, now, carry, recent)
    batch.report.members = sum(1 for m in claimed if m.audience == Audience.MEMBER)
    try:
        batch.run(claimed)
    finally:
        close_quietly(batch.client)
    return batch.report


def _recent(
    session: Session, claimed: list[ClaimedMail], now: datetime
) -> list[outbox.RecentAck]:
    """The acknowledgements that count towards this batch's per-address limits,
    read once in the claim's transaction (not once per mail)."""
    wanted = {
        policy.normalise(mail.recipients[0])
        for mail in claimed
        if mail.kind == MailKind.ACKNOWLEDGEMENT and mail.recipients
    }
    if not wanted:
        return []
    below = max(mail.id for mail in claimed)
    return outbox.recent_acknowledgements(session, wanted, now=now, below_id=below)


class _Batch:
    """One batch: SMTP per mail; sent and skipped rows recorded a few at a time.

    Recording in groups (RECORD_EVERY) instead of one transaction per mail
    widens the at-least-once window (store/outbox.py) from one mail to a few:
    a crash in between resends those with their own Message-IDs.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        env: jinja2.Environment,
        config: DeliveryConfig,
        now: datetime,
        carry: Carry,
        recent: list[outbox.RecentAck] | None = None,
    ) -> None:
        self.sessions = sessions
        self.carry = carry
        self.env = env
        self.config = config
        self.now = now
        self.recent = recent or []
        self.report = DeliveryReport()
        self.client: smtplib.SMTP | None = None
        self.deadline = time.monotonic() + config.lease.total_seconds() - LEASE_MARGIN
        self.done: list[Sent | Skipped] = []
        self.templates: TemplateCache = {}  # looked up once per batch
        # Rows of this batch that will not count as sent (skipped, retried, ...).
        self.unsent: set[int] = set()

    def run(self, claimed: list[ClaimedMail]) -> None:
        try:
            self._run(claimed)
        finally:
            self._record()

    def _run(self, claimed: list[ClaimedMail]) -> None:
        for index, mail in enumerate(claimed):
            if time.monotonic() > self.deadline:
                self._record()
                self._release(claimed[index:])
                return
            delivered = False
            try:
                self._deliver(mail)
                delivered = True
                if len(self.done) >= RECORD_EVERY:
                    self._record()
            except _Outage as exc:
                self.report.outage = str(exc)
                for rest in claimed[index:]:
                    self._retry(rest, str(exc))
                return
            except Exception:
                # The store failed under us (a dropped connection): give the
                # rows not yet handled back now, not when the lease runs out.
                self._release_quietly(claimed[index + delivered :])
                raise

    def _record(self) -> None:
        """Write the sent and skipped rows gathered so far, in one transaction."""
        if not self.done:
            return
        done, self.done = self.done, []
        try:
            with transaction(self.sessions) as session:
                record_batch(session, done, now=self.now)
        except Exception:
            # These mails did go out: remember that, and write it as soon as
            # the store answers again, instead of resending after the lease.
            self.carry.keep(done=done)
            raise

    def _deliver(self, mail: ClaimedMail) -> None:
        if self._skipped(mail):
            return
        try:
            message = self._compose(mail)
        except (jinja2.TemplateError, ValueError, TypeError) as exc:
            self._fail(mail, f"cannot render {mail.audience}/{mail.template}: {exc}")
            return
        try:
            result = send(
                self._client(),
                self.config.smtp.from_address,
                mail.recipients,
                message,
            )
        except SendFailure as exc:
            if exc.permanent:
                self._fail(mail, str(exc))
            else:
                self._retry(mail, str(exc))
            return
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # The connection broke during this mail: it may or may not have
            # arrived; retrying with the same Message-ID is the safe side.
            self.client = None
            self._retry(mail, f"connection lost: {exc}")
            return
        self._sent(mail, result.reply, result.refused)

    def _skipped(self, mail: ClaimedMail) -> bool:
        reason = policy.decide(self.config.policy, self._facts(mail))
        if reason is None:
            return False
        self.unsent.add(mail.id)
        self.done.append(Skipped(mail.id, reason))
        self.report.skipped += 1
        log.info("outbox.skipped", outbox_id=mail.id, case=_number(mail), reason=reason)
        return True

    def _facts(self, mail: ClaimedMail) -> policy.MailFacts:
        recent = 0
        if mail.kind == MailKind.ACKNOWLEDGEMENT and mail.recipients:
            recent = self._recent_count(policy.normalise(mail.recipients[0]), mail.id)
        return policy.MailFacts(
            kind=mail.kind,
            audience=mail.audience,
            recipients=mail.recipients,
            case_flags=mail.case.flags if mail.case else (),
            recent_acknowledgements=recent,
            case_answered=mail.case is not None and mail.case.answered_at is not None,
        )

    def _recent_count(self, recipient: str, mail_id: int) -> int:
        """Acknowledgements to `recipient` sent in the last 24 hours, plus those
        of lower id being sent now (this batch's earlier ones included)."""
        return sum(
            1
            for ack in self.recent
            if ack.recipient == recipient
            and ack.id != mail_id
            and (not ack.sending or (ack.id < mail_id and ack.id not in self.unsent))
        )

    def _compose(self, mail: ClaimedMail) -> bytes:
        return compose_mail(self.env, self.config, mail, self.now, self.templates)

    def _client(self) -> smtplib.SMTP:
        """The batch's one connection, opened on first use and again after the
        server closed it (a 421 reply closes the session)."""
        if self.client is not None and getattr(self.client, "sock", None) is None:
            self.client = None
        if self.client is None:
            try:
                self.client = self.config.connect(self.config.smtp)
            except (smtplib.SMTPException, OSError, ValueError) as exc:
                raise _Outage(f"{type(exc).__name__}: {exc}") from None
        return self.client

    def _sent(self, mail: ClaimedMail, reply: str, refused: tuple[str, ...]) -> None:
        self.done.append(Sent(mail.id, reply))
        self.report.sent += 1
        log.info(
            "outbox.sent", outbox_id=mail.id, case=_number(mail), refused=len(refused)
        )

    def _retry(self, mail: ClaimedMail, error: str) -> None:
        self.unsent.add(mail.id)
        smtp = self.config.smtp
        attempts = mail.attempts + 1
        if attempts >= smtp.max_attempts:
            self._fail(mail, f"gave up after {attempts} attempts: {error}")
            return
        delay = policy.retry_delay(attempts, smtp.retry_base, smtp.retry_cap)
        with transaction(self.sessions) as session:
            outbox.mark_retry(
                session,
                mail.id,
                error=error,
                next_attempt_at=self.now + timedelta(seconds=delay),
            )
        self.report.retried += 1
        log.info(
            "outbox.retry",
            outbox_id=mail.id,
            case=_number(mail),
            attempts=attempts,
            delay=round(delay),
        )

    def _fail(self, mail: ClaimedMail, error: str) -> None:
        self.unsent.add(mail.id)
        with transaction(self.sessions) as session:
            outbox.mark_failed(session, mail.id, error=error)
        self.report.failed += 1
        self.report.failures.append(mail.id)
        log.warning("outbox.failed", outbox_id=mail.id, case=_number(mail))

    def _release(self, rest: list[ClaimedMail]) -> None:
        with transaction(self.sessions) as session:
            outbox.release(session, [mail.id for mail in rest])

    def _release_quietly(self, rest: list[ClaimedMail]) -> None:
        """Release `rest` if the store lets us; else their lease frees them.

        A mail the server took just before the failure goes out again, with
        the same Message-ID: delivery is at least once (store/outbox.py).
        """
        try:
            self._release(rest)
        except Exception:  # still down: the original error is what matters
            self.carry.keep(release=[mail.id for mail in rest])
            log.warning("outbox.release_failed", rows=len(rest))


def _number(mail: ClaimedMail) -> str | None:
    return mail.case.number if mail.case is not None else None


def compose_mail(
    env: jinja2.Environment,
    config: DeliveryConfig,
    mail: ClaimedMail,
    now: datetime,
    templates: TemplateCache,
) -> bytes:
    """The bytes of `mail` as sent at `now` (its sent copy is made the same way)."""
    quote = may_quote(mail.kind, mail.context)
    context = mail_context(
        config.org, mail.case, mail.context, terms=config.rules, quote=quote
    )
    rendered = render_mail(
        env, mail.audience, mail.template, mail.language, context, templates
    )
    smtp = config.smtp
    envelope = Envelope(
        from_name=smtp.from_name,
        from_address=smtp.from_address,
        recipients=mail.recipients,
        message_id=mail.message_id,
        reply_to=smtp.reply_to,
        # The sender chose those Message-IDs too: a stranger gets none.
        in_reply_to=mail.in_reply_to if quote else None,
        references=mail.references if quote else None,
        case_number=_number(mail),
        audience=mail.audience,
        kind=mail.kind,
        complaint=mail.context.get(COMPLAINT_KEY),
    )
    return compose(rendered, envelope, now)
