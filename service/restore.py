"""Wiring of `reconcile` (ingest/reconcile.py): which sources, which intake,
and the restore marker the daemon looks for at start (store/restore_state.py).

IMAP: the mailbox (messages with the processed keyword) and, when
`processed_mailbox` is set, that folder too. Maildir: its processed folder.
The sent folders (`sent_copy_mailbox`, `sent_mailbox`) tell which numbers
the lost store handed out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from service.runner import make_intake

if TYPE_CHECKING:
    from ingest.reconcile import ProcessedSource, Reconciled, SentFolder
    from service.app import App


def processed_sources(app: App) -> list[ProcessedSource]:
    """The places processed mail of the configured source lies in."""
    from ingest.imap_source import ImapSource
    from ingest.maildir_source import MaildirSource

    settings = app.settings
    if settings.source.kind == "maildir":
        return [MaildirSource(settings.source.path, settings.source.processed_folder)]
    sources = [ImapSource(settings.imap, settings.oauth)]
    folder = settings.imap.processed_mailbox
    if folder:
        processed = replace(settings.imap, mailbox=folder)
        sources.append(ImapSource(processed, settings.oauth))
    return sources


def sent_folders(app: App) -> list[SentFolder]:
    """The folders that keep copies of our own mail (IMAP only)."""
    from ingest.imap_source import SentFolderSource

    imap = app.settings.imap
    if app.settings.source.kind == "maildir":
        return []
    names = dict.fromkeys(f for f in (imap.sent_copy_mailbox, imap.sent_mailbox) if f)
    return [SentFolderSource(imap, app.settings.oauth, folder) for folder in names]


def run_reconcile(app: App, *, dry_run: bool, acknowledge: bool) -> Reconciled:
    """One reconcile pass; every source is closed afterwards."""
    from ingest.reconcile import reconcile

    sources = processed_sources(app)
    sent = sent_folders(app)
    try:
        return reconcile(
            sources,
            make_intake(app),
            dry_run=dry_run,
            acknowledge=acknowledge,
            sent=sent,
        )
    finally:
        for source in [*sources, *sent]:
            source.close()


def reconcile_if_restored(app: App) -> Reconciled | None:
    """At daemon start: reconcile when the store carries the restore marker,
    then remove it (kept when reconcile fails, so the next start tries)."""
    from store.restore_state import clear_restore_marker, restore_pending

    with app.transaction() as session:
        if restore_pending(session) is None:
            return None
    done = run_reconcile(app, dry_run=False, acknowledge=False)
    if not done.stats.failed:
        with app.transaction() as session:
            clear_restore_marker(session)
    return done
