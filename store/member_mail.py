"""A coordinator writes to the member from a template, through the outbox.

The mail is rendered by the responder when it is sent, in the case's language,
from `member/<template>.<lang>.*.j2`: asking for information (the coordinator
says which, in `text`), asking for the written confirmation of an oral
complaint, announcing a delay. The write is an audit event; the mail threads
under the member's first message like the answer does.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.errors import UserError, WrongState
from store.models import Message, OutboxMail
from store.registration import add_event, case_by_number, enqueue_mail
from store.registration_input import CaseRules
from store.vocabulary import Audience, MailKind, MemberTemplate, Status

# The command line's names -> the template names (member/<name>.<lang>...).
TEMPLATES = {name.value: name.value.replace("-", "_") for name in MemberTemplate}
# The coordinator's own text is required where the template cannot know it.
NEEDS_TEXT = frozenset({"request-info"})
KIND = MailKind.MEMBER_MAIL


def write_to_member(
    session: Session,
    rules: CaseRules,
    number: str,
    template: str,
    actor: str,
    text: str | None = None,
) -> OutboxMail:
    """Queue a mail to the case's member; returns the outbox row."""
    if template not in TEMPLATES:
        raise UserError(f"unknown template {template!r}: one of {', '.join(TEMPLATES)}")
    text = text.strip() if text and text.strip() else None
    if template in NEEDS_TEXT and text is None:
        raise UserError(f"{template} needs the text of the question (--message-file)")
    case = case_by_number(session, number, lock=True)
    if case.status in (Status.CLOSED, Status.RECLASSIFIED):
        raise WrongState(f"case {number} is {case.status}: no mail goes out for it")
    if not case.member_email:
        raise UserError(f"case {number} has no e-mail address for the member")
    earlier = session.scalar(
        select(func.count())
        .select_from(OutboxMail)
        .where(OutboxMail.case_id == case.id, OutboxMail.kind == KIND)
    )
    first = session.scalars(
        select(Message.message_id)
        .where(Message.case_id == case.id, Message.message_id.is_not(None))
        .order_by(Message.received_at, Message.id)
    ).first()
    reply_to = f"<{first}>" if first else None
    mail = enqueue_mail(
        session,
        rules,
        kind=KIND,
        audience=Audience.MEMBER,
        template=TEMPLATES[template],
        language=case.language,
        recipients=[case.member_email],
        case=case,
        context={"message_text": text or ""},
        dedupe_key=f"write:{case.id}:{(earlier or 0) + 1}",
        in_reply_to=reply_to,
        references=reply_to,
    )
    add_event(
        session,
        "member_written",
        case=case,
        actor=actor,
        template=template,
        text=text,
        message_id=mail.message_id,
    )
    return mail
