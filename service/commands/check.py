"""`klachten check-config`: the file is valid; can we reach what it names?

One line per check ("database: ok", "imap: FAILED (reason)"); exit 1 when any
check fails. Secrets never appear in the reasons.
"""

from __future__ import annotations

import argparse
import smtplib
from collections.abc import Callable

from config.errors import ConfigError
from config.schema import OAuthSettings, Settings, SmtpSettings
from config.validate import plaintext_auth, uses_oauth
from service.app import App


def check_config(app: App, args: argparse.Namespace) -> int:
    """Validate (done while loading), then try database, IMAP and SMTP."""
    print(f"config: ok ({app.config_path})")
    for warning in config_warnings(app.settings):
        print(f"warning: {warning}")
    oauth_users = uses_oauth(app.settings)
    checks: list[tuple[str, Callable[[], None]]] = [
        ("database", app.require_schema),
        (_source_name(app), lambda: _check_source(app)),
        ("smtp", lambda: check_smtp(app.settings.smtp, app.settings.oauth)),
    ]
    if oauth_users:
        checks.insert(1, ("oauth", lambda: check_oauth(app.settings)))
    failed = 0
    no_token = False
    for name, check in checks:
        if no_token and name in oauth_users:
            print(f"{name}: skipped (no OAuth2 token)")
            continue
        reason = _attempt(check)
        no_token = no_token or (name == "oauth" and reason is not None)
        app.close()  # return the connection at once (tests live on)
        if reason is None:
            print(f"{name}: ok")
        else:
            failed += 1
            print(f"{name}: FAILED ({_without_secrets(app, reason)})")
    return 1 if failed else 0


def config_warnings(settings: Settings) -> list[str]:
    """What works but should not be so in production: a password in clear
    (allowed with allow_plaintext_auth = true) and TLS without verification."""
    warnings = [
        f"{reason} (allow_plaintext_auth = true)"
        for reason in plaintext_auth(settings, allowed_too=True)
    ]
    presets = {name.lower() for name in settings.responder.trusted_authserv_ids}
    if "microsoft" in presets and not settings.trust_topmost_authentication_results:
        warnings.append(
            '[responder] trusted_authserv_ids "microsoft" trusts nothing unless '
            '[imap] auth = "oauth2" with [oauth] provider = "microsoft" (or '
            "trust_topmost_authentication_results = true)"
        )
    servers = [("smtp", settings.smtp)]
    if settings.source.kind == "imap":
        servers.insert(0, ("imap", settings.imap))
    for section, server in servers:
        if server.security != "none" and not server.verify_certificate:
            warnings.append(
                f"[{section}] verify_certificate = false: anyone on the path "
                f"to {server.host} can pose as the server"
            )
    return warnings


def _source_name(app: App) -> str:
    return "maildir" if app.settings.source.kind == "maildir" else "imap"


def check_oauth(settings: Settings) -> None:
    """Obtain a new token from the provider (not the cached one)."""
    from mailconn.oauth import shared_tokens

    shared_tokens(settings.oauth, settings.imap.timeout).renew()


def _attempt(check: Callable[[], None]) -> str | None:
    from mailconn.oauth_presets import TokenSetupError

    try:
        check()
    except (TokenSetupError, ConfigError) as exc:  # their text says it all
        return (str(exc).splitlines() or [""])[0][:200]
    except Exception as exc:  # any failure is a line of the report, not a crash
        text = (str(exc).splitlines() or [""])[0][:200]
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return None


def _without_secrets(app: App, text: str) -> str:
    settings = app.settings
    for secret in (
        settings.imap.password,
        settings.smtp.password,
        settings.oauth.client_secret,
    ):
        if secret:
            text = text.replace(secret, "***")
    return text


def _check_source(app: App) -> None:
    """Connect to the configured source, look what waits, let go."""
    from service.runner import make_source

    source = make_source(app)
    source.connect()
    try:
        source.waiting(0)
    finally:
        source.close()


def check_smtp(settings: SmtpSettings, oauth: OAuthSettings | None = None) -> None:
    """Connect, secure, log in when configured, NOOP, QUIT. Raises on failure."""
    from mailconn.smtp import close_quietly, open_smtp

    smtp = open_smtp(settings, oauth)
    try:
        code, _ = smtp.noop()
        if code != 250:
            raise smtplib.SMTPResponseException(code, b"NOOP refused")
    finally:
        close_quietly(smtp)
