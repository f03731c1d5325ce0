"""OAuth2 logins against real servers: Dovecot's oauth2 passdb and aiosmtpd.

Dovecot (2.3) checks each token by introspection (RFC 7662, POST) at the
loopback token service, which also serves the client-credentials endpoint
the service gets its tokens from, as Microsoft's identity platform would.
Nothing about the login is mocked: a wrong, expired or revoked token is
refused by the server.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from imapclient.exceptions import LoginError

from config.schema import ImapSettings, OAuthSettings, SmtpSettings
from ingest.imap_source import ImapSource
from mailconn.oauth import shared_tokens
from mailconn.smtp import close_quietly, open_smtp
from tests.conftest import base_sections, write_config
from tests.daemonproc import NO_DIGEST, DaemonProcess, complaint
from tests.servers import unavailable, wait_until
from tests.servers.dovecot import USERNAME, DovecotServer, dovecot_available
from tests.servers.smtp import SmtpServer
from tests.servers.tokens import TokenService

TENANT = "libmutov.onmicrosoft.com"


@pytest.fixture
def tokens() -> Iterator[TokenService]:
    with TokenService(USERNAME) as service:
        yield service


@pytest.fixture
def oauth_imap(tls_certs, tokens) -> Iterator[DovecotServer]:
    """A Dovecot whose passdb takes OAuth2 tokens checked at `tokens`."""
    reason = dovecot_available()
    if reason is not None:
        unavailable(reason)
    server = DovecotServer(
        certs=tls_certs, introspection_url=f"{tokens.url}/introspect"
    )
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def oauth_smtp(tokens) -> Iterator[SmtpServer]:
    """An SMTP server that takes AUTH XOAUTH2 with a token of `tokens`."""
    with SmtpServer(oauth=tokens.valid) as server:
        yield server


def oauth_section(tokens: TokenService, **changes: Any) -> dict[str, Any]:
    """[oauth] for Microsoft, its endpoint moved to the loopback service."""
    return {
        "provider": "microsoft",
        "tenant": TENANT,
        "client_id": tokens.client_id,
        "client_secret": tokens.client_secret,
        "token_url": f"{tokens.url}/{TENANT}/oauth2/v2.0/token",
        **changes,
    }


def oauth_settings(tokens: TokenService) -> OAuthSettings:
    return OAuthSettings(**oauth_section(tokens))


@pytest.fixture
def oauth_config(tmp_path, oauth_imap, oauth_smtp, tokens) -> Callable[..., Path]:
    """oauth_config(db_url, **sections): both servers with auth = "oauth2"."""

    def build(db: str, **extra: dict[str, Any]) -> Path:
        sections = base_sections(db)
        sections["imap"].update(
            host=oauth_imap.host,
            port=oauth_imap.port,
            username=oauth_imap.username,
            auth="oauth2",
            timeout=5,
            idle=True,
            poll_interval=1,
            backoff_cap=2,
        )
        sections["smtp"].update(
            host=oauth_smtp.host,
            port=oauth_smtp.port,
            username=oauth_imap.username,
            auth="oauth2",
            timeout=5,
            retry_base=1,
            retry_cap=2,
        )
        sections["oauth"] = oauth_section(tokens)
        sections["service"] = {"outbox_interval": 1}
        sections["reminders"].update(NO_DIGEST)
        for name, values in extra.items():
            sections.setdefault(name, {}).update(values)
        return write_config(tmp_path / "oauth.toml", sections)

    return build


def imap_settings(server: DovecotServer) -> ImapSettings:
    return ImapSettings(
        host=server.host,
        port=server.port,
        security="none",
        username=server.username,
        auth="oauth2",
        idle=False,
        timeout=5,
    )


# -- IMAP ---------------------------------------------------------------------------


def test_run_once_logs_in_with_a_token_and_registers_a_complaint(
    oauth_imap, oauth_smtp, tokens, oauth_config, sqlite_url, cli
):
    uid = oauth_imap.append(complaint())
    config = oauth_config(sqlite_url)

    result = cli("--config", config, "run", "--once")

    assert result.code == 0, result.err
    assert result.out.startswith("intake: 1 message (1 case)")
    assert oauth_imap.fetch_flags()[uid] == {"$Klachten", "\\Seen"}
    # Dovecot offers OAUTHBEARER, so that is what was used.
    assert "method=OAUTHBEARER" in oauth_imap.log_file.read_text()
    (ack,) = oauth_smtp.wait_for(1)
    assert ack.login == USERNAME  # AUTH XOAUTH2 at the SMTP server
    assert ack.rcpt_tos == ("jan.peeters@example.be",)
    assert tokens.client_secret not in result.out + result.err


def test_check_config_obtains_a_token_and_logs_in_to_both(
    oauth_imap, tokens, oauth_config, sqlite_url, cli
):
    result = cli("--config", oauth_config(sqlite_url), "check-config")

    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()
    assert {"oauth: ok", "imap: ok", "smtp: ok"} <= set(lines), lines


def test_a_revoked_client_secret_fails_check_config_with_one_line(
    tokens, oauth_config, sqlite_url, cli
):
    config = oauth_config(sqlite_url)
    tokens.rotate_secret()  # the secret in the config is now revoked

    result = cli("--config", config, "check-config")

    assert result.code == 1
    failed = [line for line in result.out.splitlines() if "FAILED" in line]
    assert failed == [
        "oauth: FAILED (token endpoint: refused (invalid_client: AADSTS7000215: "
        "Invalid client secret provided.))"
    ]
    assert "imap: skipped (no OAuth2 token)" in result.out
    # The test SMTP server runs in this process: its own log lines (a client
    # of an earlier test hanging up) may land in the captured stderr.
    ours = [line for line in result.err.splitlines() if '"mail.log"' not in line]
    assert ours == []


def test_a_token_the_server_refuses_is_renewed_once(oauth_imap, tokens):
    source = ImapSource(imap_settings(oauth_imap), oauth_settings(tokens))
    source.connect()
    source.close()
    assert len(tokens.calls) == 1
    tokens.revoke_tokens()  # the cached token is refused from now on

    source.connect()  # refused, a new token, logged in
    source.close()

    assert len(tokens.calls) == 2


def test_xoauth2_where_oauthbearer_is_not_offered(tls_certs, tokens):
    # Exchange Online offers AUTH=XOAUTH2 only. A refused XOAUTH2 token gets
    # an error challenge first; the client answers it and tries a new token.
    reason = dovecot_available()
    if reason is not None:
        unavailable(reason)
    server = DovecotServer(
        certs=tls_certs,
        introspection_url=f"{tokens.url}/introspect",
        oauth_mechanisms="xoauth2",
    )
    server.start()
    try:
        source = ImapSource(imap_settings(server), oauth_settings(tokens))
        source.connect()
        source.close()
        tokens.revoke_tokens()
        source.connect()
        source.close()
        log = server.log_file.read_text()
    finally:
        server.cleanup()
    assert len(tokens.calls) == 2
    assert log.count("method=XOAUTH2") == 2
    assert "OAUTHBEARER" not in log


def test_a_mailbox_that_refuses_every_token_is_one_line_after_two_tries(
    oauth_imap, tokens
):
    tokens.username = "someone.else@libmutov.be"  # tokens name another mailbox
    source = ImapSource(imap_settings(oauth_imap), oauth_settings(tokens))
    before = len(tokens.calls)

    with pytest.raises(LoginError) as caught:
        source.connect()

    assert str(caught.value).startswith(
        "login: the IMAP server refused the OAuth2 token (OAUTHBEARER), a new one too"
    )
    assert len(tokens.calls) - before == 2  # the cached token, then one new


# -- SMTP ---------------------------------------------------------------------------


def smtp_settings(server: SmtpServer) -> SmtpSettings:
    return SmtpSettings(
        host=server.host,
        port=server.port,
        security="none",
        username=USERNAME,
        auth="oauth2",
        timeout=5,
    )


def test_smtp_auth_xoauth2_with_a_token_the_server_checks(oauth_smtp, tokens):
    client = open_smtp(smtp_settings(oauth_smtp), oauth_settings(tokens))
    try:
        client.sendmail(USERNAME, ["lid@example.be"], b"Subject: x\r\n\r\nok\r\n")
    finally:
        close_quietly(client)
    (received,) = oauth_smtp.received
    assert received.login == USERNAME


def test_smtp_renews_a_refused_token_once_then_says_login(oauth_smtp, tokens):
    oauth = oauth_settings(tokens)
    shared_tokens(oauth).token()  # cached ...
    tokens.revoke_tokens()  # ... and now refused
    close_quietly(open_smtp(smtp_settings(oauth_smtp), oauth))  # renewed: fine

    tokens.username = "someone.else@libmutov.be"
    fetched = len(tokens.calls)
    with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
        open_smtp(smtp_settings(oauth_smtp), oauth)
    assert str(caught.value.smtp_error).startswith(
        "login: the SMTP server refused the OAuth2 token (XOAUTH2), a new one too"
    )
    assert len(tokens.calls) - fetched == 1  # the cached one, then one new


# -- the daemon -----------------------------------------------------------------------


def test_a_token_that_expired_in_idle_is_replaced_after_a_server_restart(
    oauth_imap, oauth_smtp, tokens, oauth_config, sqlite_url, tmp_path
):
    tokens.lifetime = 2  # seconds: it expires while the daemon waits in IDLE
    daemon = DaemonProcess(oauth_config(sqlite_url), tmp_path / "daemon.log")
    try:
        daemon.wait_for_event("service.ready", timeout=15)
        daemon.wait_for_event("intake.pass_done", timeout=10)
        first = len(tokens.calls)
        time.sleep(tokens.lifetime + 0.5)  # in IDLE; the server checks no token now
        oauth_imap.restart()  # the server drops the session, as on expiry
        oauth_imap.append(complaint())

        (ack,) = oauth_smtp.wait_for(1, timeout=20)
        assert ack.login == USERNAME
        wait_until(
            lambda: all("$Klachten" in f for f in oauth_imap.fetch_flags().values()),
            10,
            "message marked",
        )
        assert len(tokens.calls) > first  # a new token, not the expired one
        assert len(daemon.named("imap.connected")) >= 2
        warnings = [e["event"] for e in daemon.events() if e["level"] == "warning"]
        assert set(warnings) <= {"imap.unavailable"}
        log = (tmp_path / "daemon.log").read_text()
        assert tokens.client_secret not in log
        assert not [token for token in tokens.issued if token in log]
        assert daemon.stop()[0] == 0
    finally:
        daemon.kill()


@pytest.mark.slow  # about 11 s: an outage with retries, then recovery
def test_refused_tokens_back_off_with_one_warning_then_recover(
    oauth_imap, oauth_smtp, tokens, oauth_config, sqlite_url, tmp_path
):
    config = oauth_config(sqlite_url, service={"log_level": "DEBUG"})
    daemon = DaemonProcess(config, tmp_path / "daemon.log")
    try:
        daemon.wait_for_event("service.ready", timeout=15)
        tokens.username = "someone.else@libmutov.be"  # every token refused
        oauth_imap.restart()
        daemon.wait_for_event("imap.still_unavailable", timeout=10, count=2)
        tokens.username = USERNAME  # the mailbox permission is granted again
        daemon.wait_for_event("imap.recovered", timeout=15)
        oauth_imap.append(complaint())
        oauth_smtp.wait_for(1, timeout=15)

        # The restart began the outage: one warning; the refusals that kept
        # it going are debug lines, each after a new token was tried.
        warnings = [e for e in daemon.events() if e["level"] == "warning"]
        assert [e["event"] for e in warnings] == ["imap.unavailable"]
        retries = daemon.named("imap.still_unavailable")
        assert any(
            e["error"].startswith(
                "LoginError: login: the IMAP server refused the OAuth2 token"
            )
            for e in retries
        ), retries
        log = (tmp_path / "daemon.log").read_text()  # at DEBUG level
        assert tokens.client_secret not in log
        assert not [token for token in tokens.issued if token in log]
        assert daemon.stop()[0] == 0
    finally:
        daemon.kill()
