"""Credentials in clear: refused toward any host but loopback unless
`allow_plaintext_auth = true`; `check-config` warns about it and about
`verify_certificate = false`. Real aiosmtpd with AUTH on a non-loopback
address of this machine, real Dovecot on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from config.schema import Settings, SmtpSettings
from config.validate import is_loopback, plaintext_auth
from tests.intake_mail import imap_sections
from tests.servers.smtp import SmtpServer
from tests.test_delivery import complaint, register

USER, PASSWORD = "klachten", "geheim-wachtwoord"


def _own_address() -> str | None:
    """An address of this machine that is not loopback (no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if is_loopback(address) else address


@pytest.fixture
def remote_smtp() -> Iterator[SmtpServer]:
    """aiosmtpd with AUTH and no TLS, on a non-loopback address."""
    address = _own_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    server = SmtpServer(auth=(USER, PASSWORD))
    server.host = address
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _smtp(server: SmtpServer, **extra: Any) -> dict[str, Any]:
    values = {
        "host": server.host,
        "port": server.port,
        "security": "none",
        "username": USER,
        "password": PASSWORD,
        "timeout": 5,
    }
    return {**values, **extra}


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("mail.localhost", True),
        ("192.0.2.2", False),
        ("smtp.example.be", False),
        ("localhost.example.be", False),
        ("0.0.0.0", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_plaintext_auth_needs_a_login_and_a_remote_host() -> None:
    def found(**smtp: Any) -> list[str]:
        settings = Settings(smtp=SmtpSettings(**smtp))
        return [r for r in plaintext_auth(settings, allowed_too=True) if "smtp" in r]

    assert found(host="relay.example.be", security="none", username="u")
    assert not found(host="relay.example.be", security="none")  # no AUTH at all
    assert not found(host="relay.example.be", security="starttls", username="u")
    assert not found(host="127.0.0.1", security="none", username="u")


def test_refused_without_the_key(remote_smtp, imap, sqlite_url, make_config, cli):
    path = make_config(sqlite_url, imap=imap_sections(imap), smtp=_smtp(remote_smtp))
    for command in (("check-config",), ("run", "--once"), ("cases", "list")):
        result = cli("--config", path, *command)
        assert result.code == 2, (command, result.out, result.err)
        (line,) = result.err.strip().splitlines()
        assert "[smtp]" in line and "allow_plaintext_auth" in line
        assert PASSWORD not in result.out + result.err
    assert remote_smtp.received == []


def test_imap_in_clear_to_a_remote_host_is_refused(sqlite_url, make_config, cli):
    imap = {"host": "192.0.2.1", "port": 143, "security": "none", "timeout": 1}
    path = make_config(sqlite_url, imap=imap)
    result = cli("--config", path, "check-config")
    assert result.code == 2
    assert "[imap]" in result.err and "allow_plaintext_auth" in result.err
    # Intake from a Maildir logs in nowhere: the [imap] section does not matter.
    path = make_config(
        sqlite_url, imap=imap, source={"kind": "maildir", "path": "/nonexistent"}
    )
    assert "[imap]" not in cli("--config", path, "check-config").err


def test_allowed_with_the_key_and_warned(
    remote_smtp, imap, sqlite_url, make_config, cli, app_for
):
    smtp = _smtp(remote_smtp, allow_plaintext_auth=True)
    path = make_config(sqlite_url, imap=imap_sections(imap), smtp=smtp)
    result = cli("--config", path, "check-config")
    assert result.code == 0, result.out + result.err
    warnings = [ln for ln in result.out.splitlines() if ln.startswith("warning:")]
    assert warnings == [
        f'warning: [smtp] security = "none" sends the password in clear to '
        f"{remote_smtp.host} (allow_plaintext_auth = true)"
    ]
    assert "smtp: ok" in result.out and "imap: ok" in result.out
    app = app_for(path)
    register(app, complaint(1))
    assert app.delivery.deliver_pending().sent == 1
    assert remote_smtp.wait_for(1)[0].login == USER


def test_loopback_needs_no_key_and_gives_no_warning(
    imap, smtp_server, sqlite_url, make_config, cli
):
    smtp = {"host": smtp_server.host, "port": smtp_server.port, "security": "none"}
    smtp.update(username=USER, password=PASSWORD)
    path = make_config(sqlite_url, imap=imap_sections(imap), smtp=smtp)
    result = cli("--config", path, "check-config")
    assert result.code in (0, 1), result.err  # the test server may refuse AUTH
    assert "config: ok" in result.out and "imap: ok" in result.out
    assert "warning" not in result.out and "allow_plaintext_auth" not in result.err


def test_unverified_certificates_are_warned(
    imap, smtp_server, sqlite_url, make_config, cli
):
    path = make_config(
        sqlite_url,
        imap=imap_sections(
            imap, security="ssl", port=imap.ssl_port, verify_certificate=False
        ),
        smtp={
            "host": smtp_server.host,
            "port": smtp_server.port,
            "security": "starttls",
            "verify_certificate": False,
        },
    )
    result = cli("--config", path, "check-config")
    warnings = [ln for ln in result.out.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 2, result.out
    assert warnings[0].startswith("warning: [imap] verify_certificate = false")
    assert warnings[1].startswith("warning: [smtp] verify_certificate = false")
    assert "imap: ok" in result.out
