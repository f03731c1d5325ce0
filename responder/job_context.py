"""What the responder's scheduled jobs need of the composition root.

`service.app.App` is one; a test may pass any object with these members.
The jobs (reminder_job.py, stall_alarm.py) ask for nothing else, so they
never import `service`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from config import Settings
    from store.outbox import Session
    from store.registration_input import CaseRules


class JobContext(Protocol):
    """Settings, case rules and a transaction on the store."""

    settings: Settings

    @property
    def rules(self) -> CaseRules: ...

    def transaction(self) -> AbstractContextManager[Session]: ...
