"""Bounces of our own mail: the delivery report joins the case it concerns.

A report (class bounce) names the returned mail by its Message-ID, or at
least the address that failed. When that is one of our acknowledgements or
answers (the Message-ID of an outbox row; else the failed address of one
sent in the last RECENT days, the latest first), the report is stored with
that case, the case is flagged `ack_bounced` or `answer_bounced`, and an
event says so. The reminder then lists the case, and the yearly report no
longer counts the acknowledgement as reached.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.mailbox_key import mailbox_key
from store.models import Case, Message, OutboxMail
from store.registration import add_event
from store.registration_input import InboundRecord
from store.registration_rows import SYSTEM_ACTOR
from store.vocabulary import Flag, MailKind, MailStatus, MessageClass

BOUNCED_FLAG = {
    MailKind.ACKNOWLEDGEMENT: Flag.ACK_BOUNCED,
    MailKind.ANSWER: Flag.ANSWER_BOUNCED,
}
# How far back a failed address is matched to a mail of ours without its
# Message-ID: a report comes within minutes to days of the mail.
RECENT = timedelta(days=14)


def returned_mail(session: Session, record: InboundRecord) -> OutboxMail | None:
    """Our acknowledgement or answer this report returns, if it names one."""
    if record.klass != MessageClass.BOUNCE:
        return None
    ours = (
        select(OutboxMail)
        .where(OutboxMail.kind.in_(list(BOUNCED_FLAG)))
        .where(OutboxMail.case_id.is_not(None))
    )
    if record.bounce_message_ids:
        ids = [i.strip("<> ") for i in record.bounce_message_ids]
        found = session.scalars(ours.where(OutboxMail.message_id.in_(ids))).first()
        if found is not None:
            return found
    keys = [mailbox_key(address) for address in record.bounce_failed]
    if not keys:
        return None
    recent = (
        ours.where(OutboxMail.recipient.in_(keys))
        .where(OutboxMail.status == MailStatus.SENT)
        .where(OutboxMail.sent_at >= record.received_at - RECENT)
        .where(OutboxMail.sent_at <= record.received_at)
        .order_by(OutboxMail.sent_at.desc(), OutboxMail.id.desc())
    )
    return session.scalars(recent).first()


def flag_bounced(
    session: Session, mail: OutboxMail, message_id: int, failed: tuple[str, ...]
) -> None:
    """Flag the mail's case and write the event (the report is its message)."""
    case = session.get(Case, mail.case_id, with_for_update=True)
    if case is None:
        return
    flag = BOUNCED_FLAG[MailKind(mail.kind)]
    case.flags = sorted({*(case.flags or ()), flag})
    add_event(
        session,
        "bounced",
        case=case,
        message=session.get(Message, message_id),
        actor=SYSTEM_ACTOR,
        mail=mail.kind,
        outbox_id=mail.id,
        failed_count=len(failed),
    )
