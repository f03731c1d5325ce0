"""The form step of the intake: which attachments need a worker, reading
them under the limits, and the start of that reading committed first.

Reading forms is the one step whose cost the sender controls. It runs in the
pool's worker processes under limits (ingest/forms/pool.py), and before it
begins its start is committed (store.form_starts.begin_work). A message
whose reading took the whole service down (the watchdog, the kernel, a
person) is counted at every restart and, after max_attempts, quarantined
unread: the crash loop ends by itself and the mail behind it is taken in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ingest.forms import FormResult, needs_worker, read_attachment, read_webform
from ingest.forms.pool import (
    FormPool,
    FormsInterrupted,
    ReadSettings,
    Task,
    shared_pool,
)
from store import form_starts
from store.errors import StoreUnavailable
from store.vocabulary import CASE_CLASSES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from ingest.classify import Verdict
    from ingest.inbound_builder import RecordOptions
    from ingest.parse import ParsedMessage


@dataclass(frozen=True)
class Forms:
    """The forms found in one message: per attachment and in the body."""

    attachments: dict[int, FormResult] = field(default_factory=dict)
    webform: FormResult | None = None

    @property
    def all(self) -> list[FormResult]:
        found = list(self.attachments.values())
        return [*found, self.webform] if self.webform else found


class StoppedService(Exception):
    """Reading this message's forms took the service down too often."""

    def __init__(self, starts: int) -> None:
        super().__init__(starts)
        self.starts = starts


def reads_forms(verdict: Verdict) -> bool:
    """Machine mail (bounces, auto-replies, lists, spam) is never read as a form."""
    return verdict.klass in CASE_CLASSES


def heavy_attachments(msg: ParsedMessage, verdict: Verdict) -> list[Task]:
    """The attachments a worker must read (PDF, DOCX, scans), if forms are read."""
    if not reads_forms(verdict):
        return []
    return [
        Task(index, item.filename, item.content_type, item.data)
        for index, item in enumerate(msg.attachments)
        if needs_worker(item.data)
    ]


def read_forms(
    msg: ParsedMessage,
    verdict: Verdict,
    options: RecordOptions,
    pool: FormPool | None = None,
    heartbeat: Callable[[], bool] = lambda: False,
) -> Forms:
    """Read complaint forms from the attachments and the body of a member's mail.

    PDFs, Word files and scans are read by the pool's workers under the
    limits of `options`; the rest is judged here by its first bytes.
    """
    if not reads_forms(verdict):
        return Forms()
    tasks = heavy_attachments(msg, verdict)
    found: dict[int, FormResult | None] = {}
    if tasks:
        pool = pool or shared_pool()
        found = pool.read(tasks, options.read_settings, heartbeat)
    for index, item in enumerate(msg.attachments):
        if index not in found:
            found[index] = read_attachment(item.filename, item.content_type, item.data)
    read = {index: result for index, result in found.items() if result is not None}
    return Forms(attachments=read, webform=read_webform(msg.text))


def read_scans(
    files: Sequence[tuple[str, str, bytes]],
    settings: ReadSettings,
    pool: FormPool | None = None,
) -> list[FormResult]:
    """The forms among files a person hands in (a posted form, scanned):
    read by the same readers and under the same limits as a mail's
    attachments. `files` holds (filename, content type, bytes)."""
    tasks = [
        Task(index, name, content_type, data)
        for index, (name, content_type, data) in enumerate(files)
        if needs_worker(data)
    ]
    found: dict[int, FormResult | None] = {}
    if tasks:
        found = (pool or shared_pool()).read(tasks, settings)
    for index, (name, content_type, data) in enumerate(files):
        if index not in found:
            found[index] = read_attachment(name, content_type, data)
    return [found[index] for index in sorted(found) if found[index] is not None]


class FormWork:
    """The form step of one intake: starts committed, ends remembered.

    `ended` holds the messages whose reading ended since its start was
    counted; their count goes with their registration (`take_ended`) or in
    the transaction of the next start, so a later message's crash is never
    blamed on them.
    """

    def __init__(self, sessions: sessionmaker[Session], pool: FormPool) -> None:
        self.sessions = sessions
        self.pool = pool
        self.ended: set[str] = set()

    def read(
        self,
        msg: ParsedMessage,
        verdict: Verdict,
        options: RecordOptions,
        max_attempts: int,
        heartbeat: Callable[[], bool],
    ) -> Forms:
        """The message's forms; StoppedService after `max_attempts` starts that
        never ended; FormsInterrupted when `heartbeat` asked to stop."""
        if heavy_attachments(msg, verdict):
            earlier = self._begin(msg.sha256)
            if earlier >= max_attempts:
                raise StoppedService(earlier)
        try:
            return read_forms(msg, verdict, options, self.pool, heartbeat)
        except FormsInterrupted:
            # Stopped on purpose: this start does not count against the mail.
            self.ended.discard(msg.sha256)
            form_starts.withdraw_work(self.sessions, msg.sha256)
            raise

    def _begin(self, sha256: str) -> int:
        ended, self.ended = self.ended, set()
        try:
            earlier = form_starts.begin_work(self.sessions, sha256, ended)
        except BaseException:
            self.ended |= ended
            raise
        # Whatever happens next, the start is undone only by an end.
        self.ended.add(sha256)
        return earlier

    def ending_with(self, shas: Collection[str]) -> set[str]:
        """The ended starts among `shas`, to clear with their registration."""
        return self.ended.intersection(shas)

    def cleared(self, shas: Collection[str]) -> None:
        """Their registration committed: the starts are gone."""
        self.ended.difference_update(shas)

    def flush(self) -> None:
        """Clear ended starts of messages that were not registered (a write
        failed): best effort, the next start clears them too."""
        if not self.ended:
            return
        with contextlib.suppress(StoreUnavailable):
            form_starts.end_work(self.sessions, self.ended)
            self.ended = set()
