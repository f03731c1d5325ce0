"""Files the program writes are readable by the service's user only (0600),
whatever the umask: letters, reports and a SQLite store it creates."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_letter_cmd import register_postal


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The usual umask (0022), under which files are created 0644."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_letter_is_private(cli, make_config, sqlite_url, tmp_path) -> None:
    config = make_config(sqlite_url)
    number = register_postal(cli, config)
    target = tmp_path / "letter.pdf"
    result = cli("--config", config, "case", "letter", number, "--output", target)
    assert result.code == 0, result.err
    assert mode(target) == 0o600
    target.write_bytes(b"old")
    target.chmod(0o644)  # replaced, not rewritten in place: the mode is ours
    assert (
        cli("--config", config, "case", "letter", number, "--output", target).code == 0
    )
    assert mode(target) == 0o600 and target.read_bytes().startswith(b"%PDF")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("fmt", ["html", "json", "csv"])
def test_report_is_private(cli, make_config, sqlite_url, tmp_path, fmt) -> None:
    config = make_config(sqlite_url)
    target = tmp_path / f"report.{fmt}"
    result = cli(
        "--config", config, "report", "--year", "2026", "--format", fmt,
        "--output", target,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert mode(target) == 0o600


def test_sqlite_store_created_private(cli, make_config, tmp_path) -> None:
    path = tmp_path / "new" / "klachten.db"
    path.parent.mkdir()
    config = make_config(f"sqlite:///{path}")
    result = cli("--config", config, "db", "upgrade")
    assert result.code == 0, result.err
    assert mode(path) == 0o600
    number = register_postal(cli, config)  # writes: the WAL file exists now
    assert number
    for extra in path.parent.glob("klachten.db-*"):
        assert mode(extra) == 0o600, extra.name


def test_existing_store_keeps_its_mode(cli, make_config, sqlite_url) -> None:
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    path.chmod(0o640)  # an operator's choice (a backup group) stays
    assert cli("--config", make_config(sqlite_url), "cases", "list").code == 0
    assert mode(path) == 0o640
