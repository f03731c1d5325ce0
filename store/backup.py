"""A consistent copy of the store while the daemon runs (issue 19).

SQLite: the online backup API copies every page under a read transaction,
so the copy is one committed state even while the daemon writes; the output
is itself a SQLite database. PostgreSQL: `pg_dump` (custom format, for
`pg_restore`), which dumps from one snapshot. Either way the copy is written
to a temporary file beside the target, mode 0600, and renamed into place, so
a reader never sees half a backup and a failure leaves nothing behind.

Every copy carries the restore marker (store/restore_state.py): a daemon
started on a restored store sees it and runs `reconcile` once. SQLite: the
marker is written into the copy only. PostgreSQL: it is committed to the
live store just before pg_dump's snapshot and removed right after.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from store.errors import KlachtenError, UserError
from store.models import utcnow
from store.restore_state import RESTORE_MARKER, marker_value

PG_DUMP_TIMEOUT_S = 3600


@dataclass(frozen=True)
class BackupResult:
    """What was copied: the engine ("sqlite" or "postgresql"), the source
    (a file path or a database name) and where the copy now is."""

    engine: str
    source: str
    output: Path


def check_output(output: Path) -> Path:
    """The absolute target path, or UserError when it cannot be written as a
    file (its directory is missing, or it is itself a directory)."""
    target = output.expanduser().absolute()
    if target.is_dir():
        raise UserError(f"backup output is a directory: {output}")
    if not target.parent.is_dir():
        raise UserError(f"backup output directory does not exist: {target.parent}")
    return target


def backup(url: str, output: Path) -> BackupResult:
    """Copy the store at `url` to `output` (0600). UserError for bad input,
    nothing created; KlachtenError (exit 1) when the copy itself fails."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError(f"store url is not a database URL: {url!r}") from None
    target = check_output(output)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        source = _sqlite_source(parsed)
        _write_atomically(target, lambda tmp: _sqlite_copy(source, tmp))
        return BackupResult("sqlite", str(source), target)
    if backend == "postgresql":
        program = shutil.which("pg_dump")
        if program is None:
            raise KlachtenError("pg_dump is not installed (PATH); no backup written")
        _require_postgres_schema(url)
        with _marked_for_the_dump(url):
            _write_atomically(target, lambda tmp: _pg_dump(program, parsed, tmp))
        return BackupResult("postgresql", parsed.database or "", target)
    raise UserError(f"backup of a {backend} store is not supported")


def _sqlite_source(parsed: URL) -> Path:
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise UserError("backup needs a SQLite store in a file")
    path = Path(database)
    if not path.is_file():
        raise UserError(f"no store yet at {path}: run `klachten db upgrade` first")
    with _open_existing(path) as connection:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
    if found is None:
        raise UserError(f"no store yet at {path}: run `klachten db upgrade` first")
    return path


class _open_existing:
    """A sqlite3 connection to a file known to exist, closed on exit
    (sqlite3's own context manager only commits). Not `mode=ro`: a reader of
    a WAL database may need to create its -shm file."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, timeout=30)

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *_exc: object) -> None:
        self.connection.close()


def _sqlite_copy(source: Path, temporary: Path) -> None:
    """The online backup into `temporary`, then made a standalone file:
    rollback journal rather than WAL, so the copy is one file."""
    with _open_existing(source) as src:
        dst = sqlite3.connect(temporary)
        try:
            src.backup(dst)
            _mark_copy(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            (result,) = dst.execute("PRAGMA quick_check").fetchone()
            if result != "ok":
                raise KlachtenError(f"backup copy failed its integrity check: {result}")
        finally:
            dst.close()


def _mark_copy(copy: sqlite3.Connection) -> None:
    """Write the restore marker into the SQLite copy (as the store's own
    JSON and naive-UTC time columns hold values)."""
    now = utcnow()
    copy.execute(
        "INSERT OR REPLACE INTO service_state (key, value, updated_at)"
        " VALUES (?, ?, ?)",
        (
            RESTORE_MARKER,
            json.dumps(marker_value(now)),
            now.replace(tzinfo=None).isoformat(sep=" "),
        ),
    )
    copy.commit()


@contextmanager
def _marked_for_the_dump(url: str) -> Iterator[None]:
    """The restore marker in the live PostgreSQL store while pg_dump runs."""
    from store.db import make_engine, session_factory, transaction
    from store.restore_state import clear_restore_marker
    from store.service_state import put_state

    engine = make_engine(url)
    sessions = session_factory(engine)
    try:
        with transaction(sessions) as session:
            put_state(session, RESTORE_MARKER, marker_value(utcnow()))
        yield
    finally:
        with transaction(sessions) as session:
            clear_restore_marker(session)
        engine.dispose()


def _require_postgres_schema(url: str) -> None:
    from store.db import make_engine
    from store.migrate import current_revision

    engine = make_engine(url)
    try:
        if current_revision(engine) is None:
            raise UserError(
                "no store yet in that database: run `klachten db upgrade` first"
            )
    finally:
        engine.dispose()


def pg_dump_command(program: str, parsed: URL, output: Path) -> list[str]:
    """The pg_dump argument list for `parsed` (no password: that goes in the
    environment, never on a command line other users can read)."""
    command = [program, "--format=custom", "--no-owner", f"--file={output}"]
    if parsed.host:
        command.append(f"--host={parsed.host}")
    if parsed.port:
        command.append(f"--port={parsed.port}")
    if parsed.username:
        command.append(f"--username={parsed.username}")
    command.append(f"--dbname={parsed.database or ''}")
    return command


def _pg_dump(program: str, parsed: URL, temporary: Path) -> None:
    environ = dict(os.environ)
    if parsed.password is not None:
        environ["PGPASSWORD"] = str(parsed.password)
    try:
        done = subprocess.run(
            pg_dump_command(program, parsed, temporary),
            env=environ,
            capture_output=True,
            text=True,
            timeout=PG_DUMP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise KlachtenError("pg_dump took too long; no backup written") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise KlachtenError(f"pg_dump failed (exit {done.returncode}): {last}")


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Run `write` on a fresh 0600 file beside `target`, then rename it into
    place; on any failure the temporary file is removed."""
    try:
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
    except OSError as exc:
        raise KlachtenError(
            f"cannot write in {target.parent}: {exc.strerror}"
        ) from None
    os.close(handle)
    temporary = Path(name)
    try:
        os.chmod(temporary, 0o600)
        write(temporary)
        os.chmod(temporary, 0o600)
        with open(temporary, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}-journal").unlink(missing_ok=True)
        raise
