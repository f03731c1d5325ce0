"""Copies of what the service sent, in the shared mailbox's sent folder.

With `[imap] sent_copy_mailbox` set, every mail the SMTP server accepted is
appended there, flagged \\Seen, so coordinators see in Outlook what the fund
sent. The copy is made from the outbox row as the mail was sent (its
Message-ID, its send time as Date and INTERNALDATE). A failed append leaves
the row uncopied; the next delivery run tries again. It never resends the
mail: copying only ever speaks IMAP.
"""

from __future__ import annotations

import imaplib
from datetime import datetime
from typing import TYPE_CHECKING

import jinja2
import structlog

from mailconn.imap import drop, open_imap
from responder.delivery_setup import DeliveryConfig
from responder.delivery_worker import compose_mail
from responder.render import TemplateCache
from store.db import transaction
from store.models import utcnow
from store.sent_copies import copies_due, mark_copied

if TYPE_CHECKING:
    from config.schema import ImapSettings
    from store.outbox import SessionFactory

log = structlog.get_logger("klachten.delivery")

SEEN = b"\\Seen"
# A lost connection, a refused command, a folder that cannot be made.
_ERRORS = (imaplib.IMAP4.error, OSError)


def append_sent_copies(
    sessions: SessionFactory,
    env: jinja2.Environment,
    config: DeliveryConfig,
    imap: ImapSettings,
    now: datetime | None = None,
) -> int:
    """Append the copies still missing; how many were appended now."""
    folder = imap.sent_copy_mailbox
    if not folder:
        return 0
    with transaction(sessions) as session:
        due = copies_due(session, now or utcnow())
    if not due:
        return 0
    done: list[int] = []
    templates: TemplateCache = {}
    try:
        client = open_imap(imap, config.copies_oauth)
    except _ERRORS as exc:
        log.warning("sent_copy.unavailable", error=type(exc).__name__, waiting=len(due))
        return 0
    try:
        if not client.folder_exists(folder):
            client.create_folder(folder)
        for mail, sent_at in due:
            raw = compose_mail(env, config, mail, sent_at, templates)
            client.append(folder, raw, flags=(SEEN,), msg_time=sent_at)
            done.append(mail.id)
    except _ERRORS as exc:
        log.warning("sent_copy.failed", error=type(exc).__name__,
                    waiting=len(due) - len(done))  # fmt: skip
        drop(client)
    else:
        try:
            client.logout()
        except _ERRORS:
            drop(client)
    with transaction(sessions) as session:
        mark_copied(session, done, utcnow())
    return len(done)
