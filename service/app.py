"""The wiring: settings in, engine, sessions, case rules, templates and the
outbox delivery out.

Built once per command (once per daemon). Nothing here does work of its own;
the objects it builds hold their own state (the delivery's carry-over and
outage flag, the template environment's compiled templates).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from config import Settings

if TYPE_CHECKING:
    import jinja2
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from responder.delivery_run import OutboxDelivery
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
        from config.privacy import key_file_path
        from store.crypto import keyed_engine
        from store.db import missing_sqlite_file
        from store.errors import UserError

        missing = missing_sqlite_file(self.settings.store.url)
        if missing is not None and not self.may_create_store:
            raise UserError(f"no store at {missing}: run `klachten db upgrade`")
        key_file = key_file_path(self.settings, os.environ)
        return keyed_engine(self.settings.store.url, key_file)

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
        """Stop with a clear line when `klachten db upgrade` has not run, or
        when the store holds values the configured key cannot open."""
        from store.key_check import require_openable
        from store.migrate import require_current

        require_current(self.engine)
        with self.transaction() as session:
            require_openable(session)

    @cached_property
    def rules(self) -> CaseRules:
        from store.registration_input import CaseRules

        settings = self.settings
        return CaseRules.from_settings(
            settings.cases,
            settings.smtp,
            settings.reminders.coordinators,
            settings.staff.languages,
        )

    @cached_property
    def templates(self) -> jinja2.Environment:
        """The one template environment (override directory, time zone)."""
        from responder.render import build_environment

        directory = self.settings.responder.templates_dir
        override = Path(directory) if directory else None
        return build_environment(override, timezone=self.settings.cases.timezone)

    @cached_property
    def delivery(self) -> OutboxDelivery:
        """This process's outbox delivery (keeps its state between runs)."""
        from responder.delivery_run import OutboxDelivery, build_delivery_setup

        setup = build_delivery_setup(self.settings, self.rules)
        return OutboxDelivery(self.sessions, self.templates, setup)

    def reconfigure(self, settings: Settings) -> None:
        """Take new settings (a reload): rules and templates are built again,
        the delivery keeps its carry-over and outage state."""
        self.settings = settings
        self.__dict__.pop("rules", None)
        self.__dict__.pop("templates", None)
        if "delivery" in self.__dict__:
            from responder.delivery_run import build_delivery_setup

            setup = build_delivery_setup(settings, self.rules)
            self.delivery.reconfigure(self.templates, setup)

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
