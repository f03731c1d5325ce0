"""The wiring: settings in, engine, sessions and case rules out.

Built once per command. Nothing here does work of its own.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from config import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from store.registration_input import CaseRules


class App:
    def __init__(
        self, settings: Settings, config_path: Path | None, actor: str | None = None
    ) -> None:
        self.settings = settings
        self.config_path = config_path
        self.actor = actor or _os_user()
        # Only `db upgrade` makes a store; every other command needs one.
        self.may_create_store = False

    @cached_property
    def engine(self) -> Engine:
        from store.db import make_engine, missing_sqlite_file
        from store.errors import UserError

        missing = missing_sqlite_file(self.settings.store.url)
        if missing is not None and not self.may_create_store:
            raise UserError(f"no store at {missing}: run `klachten db upgrade`")
        return make_engine(self.settings.store.url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from store.db import session_factory

        return session_factory(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        from store.db import transaction

        with transaction(self.sessions) as session:
            yield session

    def require_schema(self) -> None:
        """Stop with a clear line when `klachten db upgrade` has not run."""
        from store.migrate import require_current

        require_current(self.engine)

    @cached_property
    def rules(self) -> CaseRules:
        from store.registration_input import CaseRules

        cases = self.settings.cases
        return CaseRules(
            number_format=cases.number_format,
            timezone=cases.timezone,
            ack_days=cases.ack_days,
            answer_days=cases.answer_days,
            day_kind=cases.day_kind,
            default_language=cases.default_language,
            message_id_domain=self.settings.smtp.from_address.rpartition("@")[2],
        )

    @property
    def timezone(self) -> str:
        return self.settings.cases.timezone

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
