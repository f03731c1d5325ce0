"""[imap]/[smtp] auth and the [oauth] section: one line per mistake, secrets hidden."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from config import ConfigError, load_settings
from tests.conftest import write_config

MICROSOFT = {
    "provider": "microsoft",
    "tenant": "libmutov.onmicrosoft.com",
    "client_id": "6731de76-14a6-49ae-97bc-6eba6914391e",
}


def load(tmp_path: Path, environ: dict[str, str] | None = None, **sections: Any):
    base: dict[str, dict[str, Any]] = {"store": {"url": "sqlite:///k.db"}}
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    path = write_config(tmp_path / "k.toml", base)
    return load_settings(path, environ=environ or {})


def test_password_stays_the_default(tmp_path):
    settings = load(tmp_path)
    assert (settings.imap.auth, settings.smtp.auth) == ("password", "password")
    assert settings.imap.mark_seen is True


def test_client_secret_from_a_credential_file(tmp_path):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "oauth.client_secret").write_text("Qx8~geheim\n")
    settings = load(
        tmp_path,
        {"CREDENTIALS_DIRECTORY": str(credentials)},
        imap={"auth": "oauth2"},
        oauth=MICROSOFT,
    )
    assert settings.oauth.client_secret == "Qx8~geheim"


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"imap": {"auth": "token"}}, "[imap] auth must be one of password, oauth2"),
        (
            {"smtp": {"auth": "oauth2"}, "oauth": {"provider": "okta"}},
            "[oauth] provider must be one of microsoft, google, generic",
        ),
        (
            {"imap": {"auth": "oauth2"}, "oauth": {"tenant": "t"}},
            '[oauth] client_id is required with provider = "microsoft"',
        ),
        (
            {"imap": {"auth": "oauth2"}, "oauth": {"provider": "google"}},
            '[oauth] service_account_file is required with provider = "google"',
        ),
        (
            {
                "smtp": {"auth": "oauth2"},
                "oauth": {
                    "provider": "generic",
                    "token_url": "http://login.example.be/token",
                    "client_id": "c",
                    "client_secret": "s",
                },
            },
            "[oauth] token_url must use https://",
        ),
    ],
)
def test_mistakes_are_one_line(tmp_path, sections, message):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, **sections)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_secret_of_the_wrong_type_is_not_shown(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, oauth={"client_secret": 12345678})
    assert "12345678" not in str(caught.value)


def test_oauth_section_is_ignored_with_password_logins(tmp_path):
    # An [oauth] section left half-filled does not stop a password setup.
    settings = load(tmp_path, oauth={"provider": "google"})
    assert settings.oauth.provider == "google"


def test_oauth_token_in_clear_toward_a_remote_smtp_server_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="sends the OAuth2 token in clear"):
        load(
            tmp_path,
            smtp={"auth": "oauth2", "security": "none", "host": "smtp.example.be"},
            oauth={**MICROSOFT, "client_secret": "s"},
        )


def test_check_config_warns_when_the_microsoft_preset_trusts_nothing(tmp_path):
    from service.commands.check import config_warnings

    alone = load(tmp_path, responder={"trusted_authserv_ids": ["microsoft"]})
    assert any('"microsoft" trusts nothing' in w for w in config_warnings(alone))
    with_oauth = load(
        tmp_path,
        imap={"auth": "oauth2"},
        oauth={**MICROSOFT, "client_secret": "s"},
        responder={"trusted_authserv_ids": ["microsoft"]},
    )
    assert with_oauth.trust_topmost_authentication_results
    assert not any("microsoft" in w for w in config_warnings(with_oauth))
