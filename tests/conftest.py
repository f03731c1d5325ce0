"""Shared fixtures: real databases (SQLite and PostgreSQL), configs, the CLI.

Store tests take the `db_url` fixture and so run twice: on a fresh SQLite file
and on the PostgreSQL server named by KLACHTEN_TEST_POSTGRES_URL (skipped with
a visible reason where it is unset, failed in CI). Real Dovecot and SMTP
servers come from tests/fixtures_servers.py.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import IN_CI, unavailable

pytest_plugins = ["tests.fixtures_servers"]

# CI explores the same hypothesis examples every run, so a red build always
# means a change broke something; developers' runs explore new ones.
if os.environ.get("KLACHTEN_CI"):
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, database=None)
    settings.load_profile("ci")

POSTGRES_URL = os.environ.get("KLACHTEN_TEST_POSTGRES_URL", "")
# The shared raw-mail corpus lives beside the project, never in it.
CORPUS = Path(
    os.environ.get("KLACHTEN_CORPUS")
    or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"corpus: {CORPUS if CORPUS.is_dir() else 'absent'}"]
    lines.append(
        f"postgres: {POSTGRES_URL}"
        if POSTGRES_URL
        else "postgres: KLACHTEN_TEST_POSTGRES_URL unset, PostgreSQL tests "
        + ("fail (KLACHTEN_CI is set)" if IN_CI else "skipped")
    )
    return lines


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    from store.db import make_engine
    from store.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection closing folds the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> Iterator[str]:
    """A PostgreSQL database of this test session's own, migrated once.

    Created beside the one KLACHTEN_TEST_POSTGRES_URL names and dropped at the
    end, so two test runs on one server never truncate each other's tables.
    """
    from store.db import make_engine
    from store.migrate import upgrade

    with own_postgres(f"klachten_t{os.getpid()}") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@contextmanager
def own_postgres(name: str) -> Iterator[str]:
    """The URL of an empty database `name` beside KLACHTEN_TEST_POSTGRES_URL's,
    dropped afterwards (skips where that variable is unset)."""
    if not POSTGRES_URL:
        unavailable("KLACHTEN_TEST_POSTGRES_URL is not set")
    from sqlalchemy.engine import make_url

    from store.db import make_engine

    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield (
            make_url(POSTGRES_URL)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def _truncate_postgres(url: str) -> None:
    from store.db import make_engine
    from store.models import Base

    engine = make_engine(url)
    names = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "klachten.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_ready")
    _truncate_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """For tests that need one database and no PostgreSQL variant."""
    path = tmp_path / "klachten.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def write_config(path: Path, sections: dict[str, dict[str, Any]]) -> Path:
    """Write a TOML config from nested dicts (strings, numbers, bools, lists)."""
    lines: list[str] = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            lines.append(f"{key} = {_toml(value)}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table: {name = "x", ...}
        return (
            "{" + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in value.items()) + "}"
        )
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def base_sections(db: str) -> dict[str, dict[str, Any]]:
    return {
        "imap": {"host": "127.0.0.1", "port": 1, "security": "none", "idle": False},
        "smtp": {"host": "127.0.0.1", "port": 1, "security": "none"},
        "store": {"url": db},
        "cases": {"timezone": "Europe/Brussels"},
        "reminders": {"coordinators": ["klachtencoordinator@libmutov.be"]},
    }


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Path]:
    """Build a config file: make_config(db_url, imap={...}, smtp={...})."""

    def build(db: str, **sections: dict[str, Any]) -> Path:
        merged = base_sections(db)
        for name, values in sections.items():
            merged.setdefault(name, {}).update(values)
        return write_config(tmp_path / "klachten.toml", merged)

    return build


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        import json

        return json.loads(self.out)


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """Run `klachten ARGS...` in this process and capture what it prints."""
    from service.cli import main

    def run(*args: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse errors
                code = int(exc.code or 0)
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def app_for() -> Iterator[Callable[[Path], Any]]:
    """An App wired from a config file, disposed after the test."""
    from config import load_settings
    from service.app import App

    made: list[App] = []

    def build(path: Path) -> App:
        app = App(load_settings(path, environ={}), path, actor="test")
        made.append(app)
        return app

    yield build
    for app in made:
        app.close()


@pytest.fixture
def sessions(db_url: str) -> Iterator[Any]:
    """A session factory on `db_url`; the engine is disposed after the test."""
    from store.db import make_engine, session_factory

    engine = make_engine(db_url)
    yield session_factory(engine)
    engine.dispose()
