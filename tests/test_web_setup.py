"""`klachten web` wiring and its settings: the [web] keys, the session key,
the listen address; bad input is one line and exit 2."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from config import ConfigError, load_settings
from tests.conftest import base_sections, write_config


def _settings(tmp_path: Path, **web: object):
    sections = base_sections(f"sqlite:///{tmp_path}/k.db")
    sections["web"] = dict(web)
    return load_settings(write_config(tmp_path / "k.toml", sections), environ={})


def test_web_defaults(tmp_path: Path) -> None:
    web = _settings(tmp_path).web
    assert web.listen == "127.0.0.1:8080"
    assert web.session_idle_minutes == 60 and web.trusted_user_header == ""


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("listen", "8080", "[web] listen must be HOST:PORT"),
        ("base_url", "klachten.example", "[web] base_url"),
        ("trusted_proxies", ["proxy.example"], "[web] trusted_proxies"),
        ("session_idle_minutes", 0, "[web] session_idle_minutes"),
        ("trusted_user_header", "X Remote", "[web] trusted_user_header"),
    ],
)
def test_bad_web_values(tmp_path: Path, key: str, value: object, message: str) -> None:
    with pytest.raises(
        ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")
    ):
        _settings(tmp_path, **{key: value})


def test_the_session_key_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    from web.secret import load_secret_key

    settings = _settings(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    first = load_secret_key(settings, {"STATE_DIRECTORY": str(state)})
    key = state / "web-secret-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert load_secret_key(settings, {"STATE_DIRECTORY": str(state)}) == first
    assert len(first) >= 32


def test_a_credential_key_wins_and_a_short_one_is_refused(tmp_path: Path) -> None:
    from web.secret import load_secret_key

    settings = _settings(tmp_path)
    (tmp_path / "web.secret_key").write_text("c" * 40 + "\n")
    assert load_secret_key(settings, {"CREDENTIALS_DIRECTORY": str(tmp_path)}) == (
        "c" * 40
    )
    (tmp_path / "web.secret_key").write_text("short")
    with pytest.raises(ConfigError, match="shorter than 32"):
        load_secret_key(settings, {"CREDENTIALS_DIRECTORY": str(tmp_path)})


def test_listen_is_split_with_ipv6() -> None:
    from service.commands.web import split_listen
    from store.errors import UserError

    assert split_listen("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert split_listen("[::1]:9000") == ("::1", 9000)
    with pytest.raises(UserError):
        split_listen("localhost")


def test_a_bad_listen_is_one_line_and_exit_2(cli, make_config, sqlite_url) -> None:
    config = make_config(sqlite_url)
    result = cli("--config", config, "web", "--listen", "nowhere")
    assert result.code == 2
    assert result.err.strip() == "klachten: listen 'nowhere' is not HOST:PORT"


def test_trusted_proxies_by_network() -> None:
    from web.auth import trusted

    assert trusted("10.1.2.3", ("10.0.0.0/8",))
    assert trusted("::1", ("127.0.0.1", "::1"))
    assert not trusted("10.1.2.3", ("127.0.0.1",))
    assert not trusted("testclient", ("127.0.0.1",))


def test_the_cookie_is_secure_behind_https(make_config, sqlite_url, tmp_path) -> None:
    from starlette.testclient import TestClient

    from tests.web_support import web_sections
    from web.app import create_app

    web = web_sections(tmp_path, base_url="https://klachten.example")
    settings = load_settings(make_config(sqlite_url, web=web), environ={})
    app = create_app(settings, environ={})
    with TestClient(app, base_url="https://klachten.example") as client:
        cookie = client.get("/signin").headers["set-cookie"].lower()
    app.state.ws.close()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/cases/KL-2026-00001", "/cases/KL-2026-00001"),
        ("//evil.example/x", "/cases"),
        ("/\\evil.example", "/cases"),
        ("https://evil.example", "/cases"),
        (None, "/cases"),
    ],
)
def test_after_sign_in_only_a_path_of_this_site(target, expected) -> None:
    from web.pages import _safe_next

    assert _safe_next(target) == expected


def _asking(peer: str, *headers: tuple[str, str]):
    """A request from `peer` carrying `headers`, to a workspace whose trusted
    proxies are loopback and 10.0.0.0/8."""
    from types import SimpleNamespace

    from starlette.requests import Request

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/signin",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": (peer, 40000),
    }
    web = SimpleNamespace(trusted_proxies=["127.0.0.1", "::1", "10.0.0.0/8"])
    return Request(scope), SimpleNamespace(settings=SimpleNamespace(web=web))


@pytest.mark.parametrize(
    ("peer", "headers", "expected"),
    [
        # Not a trusted proxy: its headers are its own words.
        ("192.0.2.5", [("X-Forwarded-For", "198.51.100.7")], "192.0.2.5"),
        ("192.0.2.5", [("X-Real-IP", "198.51.100.7")], "192.0.2.5"),
        # The proxy appended the address it saw, right of the client's words.
        ("127.0.0.1", [("X-Forwarded-For", "6.6.6.6, 198.51.100.7")], "198.51.100.7"),
        # Two proxies, both trusted: the address the outer one saw.
        (
            "127.0.0.1",
            [("X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.0.0.2")],
            "198.51.100.7",
        ),
        (
            "127.0.0.1",
            [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.7")],
            "198.51.100.7",
        ),
        ("::1", [("X-Forwarded-For", "2001:DB8:0::7")], "2001:db8::7"),
        ("127.0.0.1", [("X-Forwarded-For", "10.0.0.9")], "10.0.0.9"),
        ("127.0.0.1", [("X-Real-IP", "198.51.100.7")], "198.51.100.7"),
        (
            "127.0.0.1",
            [("X-Real-IP", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.7")],
            "198.51.100.7",
        ),
        ("127.0.0.1", [("X-Forwarded-For", " , ")], "127.0.0.1"),
        ("127.0.0.1", [], "127.0.0.1"),
    ],
)
def test_the_client_address_behind_trusted_proxies(peer, headers, expected) -> None:
    from web.auth import client_address

    request, ws = _asking(peer, *headers)
    assert client_address(request, ws) == expected


def test_the_language_cookie_is_secure_behind_https(
    make_config, sqlite_url, tmp_path
) -> None:
    import re

    from starlette.testclient import TestClient

    from tests.web_support import web_sections
    from web.app import create_app

    web = web_sections(tmp_path, base_url="https://klachten.example")
    settings = load_settings(make_config(sqlite_url, web=web), environ={})
    app = create_app(settings, environ={})
    with TestClient(app, base_url="https://klachten.example") as client:
        page = client.get("/signin").text
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        chosen = client.post(
            "/language",
            data={"csrf": token, "lang": "fr", "next": "/signin"},
            follow_redirects=False,
        )
        again = client.get("/signin").text
    app.state.ws.close()
    (cookie,) = [
        value.lower()
        for value in chosen.headers.get_list("set-cookie")
        if value.startswith("klachten_lang=")
    ]
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert '<html lang="fr">' in again
