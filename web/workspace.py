"""What every request handler is given: settings, the store, rules, templates.

Built once when the application is created; nothing here does work of its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from config import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from store.registration_input import CaseRules

# Called after an action queued mail (an answer, a letter to the member): the
# composition root passes outbox delivery; None leaves it to the daemon.
Deliver = Callable[[], object]


@dataclass
class Workspace:
    settings: Settings
    secret_key: str
    deliver: Deliver | None = None
    _engine: Engine | None = field(default=None, repr=False)

    @cached_property
    def engine(self) -> Engine:
        from config.privacy import key_file_path
        from store.crypto import keyed_engine

        if self._engine is not None:
            return self._engine
        key_file = key_file_path(self.settings, os.environ)
        return keyed_engine(self.settings.store.url, key_file)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from store.db import session_factory

        return session_factory(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed at the end, rolled back on any error."""
        from store.db import transaction

        with transaction(self.sessions) as session:
            yield session

    @cached_property
    def rules(self) -> CaseRules:
        from store.registration_input import CaseRules

        return CaseRules.from_settings(self.settings.cases, self.settings.smtp)

    @property
    def timezone(self) -> str:
        return self.settings.cases.timezone

    @cached_property
    def origin(self) -> str:
        """scheme://host[:port] of [web] base_url: the one allowed Origin."""
        parts = urlsplit(self.settings.web.base_url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    @property
    def secure_cookies(self) -> bool:
        return self.settings.web.base_url.lower().startswith("https://")

    def close(self) -> None:
        if "engine" in self.__dict__ and self._engine is None:
            self.engine.dispose()
