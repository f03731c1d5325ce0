"""Configuration: the foundation's keys are complete, and errors are one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config import ConfigError, config_path, load_settings
from config.schema import IngestSettings

FOUNDATION = """
[imap]
host = "127.0.0.1"
port = 993
security = "ssl"
username = "klachten@libmutov.be"
password = "geheim-imap"
mailbox = "INBOX"
poll_interval = 60
idle = true

[smtp]
host = "127.0.0.1"
port = 587
security = "starttls"
username = ""
password = "geheim-smtp"
from_address = "klachten@libmutov.be"
from_name = "LM Klachtendienst"

[store]
url = "sqlite:///klachten.db"

[cases]
number_format = "KL-{year}-{seq:05d}"
timezone = "Europe/Brussels"
ack_days = 10
answer_days = 45

[reminders]
coordinators = ["klachtencoordinator@libmutov.be"]
days_before_answer_deadline = [14, 7, 2]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "klachten.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_foundation_keys_alone_are_complete(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, FOUNDATION), environ={})
    assert settings.imap.password == "geheim-imap"
    assert settings.cases.answer_days == 45
    assert settings.reminders.days_before_answer_deadline == [14, 7, 2]
    assert settings.source.kind == "imap"
    assert settings.trusted_authserv_ids == ["libmutov.be"]


def test_example_config_loads() -> None:
    example = Path(__file__).resolve().parents[1] / "config" / "klachten.example.toml"
    settings = load_settings(example, environ={})
    assert settings.store.url.startswith("sqlite")
    # The example shows every form limit with its default.
    assert settings.ingest == IngestSettings()


def test_environment_overrides_file(tmp_path: Path) -> None:
    settings = load_settings(
        write(tmp_path, FOUNDATION),
        environ={
            "KLACHTEN_SMTP__PASSWORD": "from-env",
            "KLACHTEN_IMAP__PORT": "1143",
            "KLACHTEN_IMAP__IDLE": "false",
            "KLACHTEN_REMINDERS__DAYS_BEFORE_ANSWER_DEADLINE": "10,3",
        },
    )
    assert settings.smtp.password == "from-env"
    assert settings.imap.port == 1143
    assert settings.imap.idle is False
    assert settings.reminders.days_before_answer_deadline == [10, 3]


def test_credentials_directory(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "imap.password").write_text("from-credential\n")
    settings = load_settings(
        write(tmp_path, FOUNDATION), environ={"CREDENTIALS_DIRECTORY": str(creds)}
    )
    assert settings.imap.password == "from-credential"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[imap]\nhots = 'x'\n", "unknown key 'hots' in [imap]"),
        ("[imapp]\nhost = 'x'\n", "unknown section [imapp]"),
        ("[imap]\nport = 'abc'\n", "[imap] port must be an integer"),
        ("[imap]\nsecurity = 'tls'\n", "[imap] security must be one of"),
        ("[store]\nurl = 'mysql://x'\n", "[store] url must start with"),
        ("[cases]\ntimezone = 'Mars/Base'\n", "[cases] timezone"),
        ("[cases]\nnumber_format = 'KL-{seq}'\n", "number_format must contain"),
        ("[source]\nprocessed_folder = '../x'\n", "processed_folder must be a plain"),
        ("[ingest]\nform_memory_mb = 64\n", "form_memory_mb must be at least 128"),
        ("[ingest]\nform_seconds = 0\n", "[ingest] form_seconds must be positive"),
        ("[imap\n", "not valid TOML"),
        ("[imap]\npassword = 42\n", "[imap] password must be a string, got ***"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), environ={})
    assert expected in str(info.value)
    assert "\n" not in str(info.value)
    assert "42" not in str(info.value)


def test_unknown_environment_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KLACHTEN_SMTP__PASWORD"):
        load_settings(
            write(tmp_path, FOUNDATION), environ={"KLACHTEN_SMTP__PASWORD": "x"}
        )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_config_path_precedence(tmp_path: Path) -> None:
    assert config_path("a.toml", {"KLACHTEN_CONFIG": "b.toml"}) == Path("a.toml")
    assert config_path(None, {"KLACHTEN_CONFIG": "b.toml"}) == Path("b.toml")
    assert config_path(None, {}) == Path("/etc/klachten/klachten.toml")


def test_cli_bad_config_exits_2_with_one_line(tmp_path: Path, cli) -> None:
    path = write(tmp_path, "[smtp]\npassword = 'geheim'\nport = 'x'\n")
    result = cli("--config", path, "cases", "list")
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "[smtp] port must be an integer" in result.err
    assert "geheim" not in result.err
    assert "Traceback" not in result.err


def test_staff_defaults_to_the_sending_domain(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, FOUNDATION), environ={})
    assert settings.staff.addresses == []
    assert settings.staff.trust_unauthenticated is False
    assert settings.staff_domains == ["libmutov.be"]
    text = FOUNDATION + (
        '\n[staff]\naddresses = ["an@partner.be"]\ndomains = ["LM.be"]\n'
        "trust_unauthenticated = true\n"
    )
    settings = load_settings(write(tmp_path, text), environ={})
    assert settings.staff_domains == ["lm.be"]
    assert settings.staff.addresses == ["an@partner.be"]
    assert settings.staff.trust_unauthenticated is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('addresses = ["an"]', "[staff] addresses holds an invalid address"),
        ('domains = ["a@b.be"]', "[staff] domains holds an invalid domain"),
        ('trust_unauthenticated = "yes"', "[staff] trust_unauthenticated must be"),
    ],
)
def test_staff_bad_values_are_one_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(write(tmp_path, FOUNDATION + f"\n[staff]\n{body}\n"), environ={})
