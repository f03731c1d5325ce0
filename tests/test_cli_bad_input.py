"""Bad input on the command line: exit 2, one line on stderr, nothing made.

Each case was measured once as a traceback, an exit 1 or a file created
where none should be (issue 14, item 11).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_config


def _one_line(result) -> str:
    """The one stderr line of a refused command."""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("klachten: ")
    return lines[0]


def _unchanged(path: Path):
    """A check that the file at `path` has the same bytes afterwards."""
    before = path.read_bytes()
    return lambda: path.read_bytes() == before


@pytest.mark.parametrize("days", ["99999999999999999999", "36501", "-1", "x"])
def test_due_within_out_of_range(days, sqlite_url, make_config, cli) -> None:
    config = make_config(sqlite_url)
    result = cli("--config", config, "cases", "list", "--due-within", days)
    assert result.code == 2
    assert "--due-within" in _one_line(result)


def test_due_within_a_century_still_works(sqlite_url, make_config, cli) -> None:
    config = make_config(sqlite_url)
    result = cli("--config", config, "cases", "list", "--due-within", "36500")
    assert result.code == 0, result.err


def test_year_out_of_range(sqlite_url, make_config, cli) -> None:
    config = make_config(sqlite_url)
    result = cli("--config", config, "cases", "list", "--year", "1" + "0" * 20)
    assert result.code == 2
    _one_line(result)


def test_config_file_not_utf8(tmp_path, cli) -> None:
    config = tmp_path / "klachten.toml"
    config.write_bytes(b'[store]\nurl = "sqlite:///x\xff.db"\n')
    result = cli("--config", config, "status")
    assert result.code == 2
    assert "not UTF-8" in _one_line(result)
    assert list(tmp_path.iterdir()) == [config]


def test_credential_file_not_utf8(
    tmp_path, sqlite_url, make_config, cli, monkeypatch
) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "smtp.password").write_bytes(b"geheim\xff\xfe\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    result = cli("--config", make_config(sqlite_url), "status")
    assert result.code == 2
    line = _one_line(result)
    assert "smtp.password is not UTF-8" in line and "geheim" not in line


def test_report_into_a_missing_directory(
    sqlite_url, make_config, cli, tmp_path
) -> None:
    config = make_config(sqlite_url)
    missing = tmp_path / "nonexistent"
    for fmt, name in (("html", "x.html"), ("pdf", "x.pdf")):
        target = f"{missing}/{name}"
        result = cli(
            "--config", config, "report", "--year", "2026", "--format", fmt,
            "--output", target,
        )  # fmt: skip
        assert result.code == 2
        assert f"cannot write {missing}/" in _one_line(result)
    assert not missing.exists()


def test_a_missing_sqlite_store_is_not_created(tmp_path, make_config, cli) -> None:
    store = tmp_path / "nowhere.db"
    config = make_config(f"sqlite:///{store}")
    for command in (["cases", "list"], ["status"], ["run", "--once"]):
        result = cli("--config", config, *command)
        assert result.code == 2, command
        line = _one_line(result)
        assert f"no store at {store}: run `klachten db upgrade`" in line
    assert not store.exists()
    assert cli("--config", config, "db", "upgrade").code == 0
    assert store.exists()
    assert cli("--config", config, "cases", "list").code == 0


def test_an_empty_config_creates_no_store(tmp_path, cli, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "empty.toml"
    config.write_text("")
    result = cli("--config", config, "cases", "list")
    assert result.code == 2
    assert "no store at klachten.db" in _one_line(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.toml"]


@pytest.mark.parametrize("listen", ["0.0.0.0:9464", "192.0.2.1:9464", "[::]:9464"])
def test_check_config_refuses_what_run_refuses(
    listen, sqlite_url, tmp_path, cli
) -> None:
    from tests.conftest import base_sections

    sections = base_sections(sqlite_url)
    sections["metrics"] = {"listen": listen}
    config = write_config(tmp_path / "metrics.toml", sections)
    for command in (["check-config"], ["run"]):
        result = cli("--config", config, *command)
        assert result.code == 2, command
        assert "loopback" in _one_line(result)


@pytest.mark.parametrize("day", ["1900-01-01", "1999-12-31", "2999-01-01"])
def test_register_refuses_received_dates_before_2000_or_after_today(
    day, sqlite_url, make_config, cli
) -> None:
    config = make_config(sqlite_url)
    store = Path(sqlite_url.removeprefix("sqlite:///"))
    cases_before = cli("--config", config, "cases", "list", "--format", "json")
    result = cli(
        "--config", config, "case", "register", "--channel", "post",
        "--received-at", day, "--name", "Jan", "--description", "Klacht",
    )  # fmt: skip
    assert result.code == 2
    assert day in _one_line(result)
    assert result.out == ""
    after = cli("--config", config, "cases", "list", "--format", "json")
    assert after.json() == cases_before.json() == []
    assert store.exists()


def test_register_accepts_the_year_2000(sqlite_url, make_config, cli) -> None:
    config = make_config(sqlite_url)
    result = cli(
        "--config", config, "case", "register", "--channel", "post",
        "--received-at", "2000-01-01", "--name", "Jan", "--description", "Klacht",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.startswith("KL-2000-")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("purge", "--bogus"), "klachten: unrecognized arguments: --bogus"),
        (("member", "erase"), "klachten: member erase: the following arguments"
         " are required: --reason"),
        (("nonsense",), "klachten: argument COMMAND: invalid choice: 'nonsense'"),
    ],
)  # fmt: skip
def test_argument_errors_are_one_line_named_once(args, line, cli) -> None:
    result = cli(*args)
    assert result.code == 2
    assert result.err.splitlines() == [result.err.strip()]
    assert result.err.startswith(line)
