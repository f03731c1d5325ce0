"""An SMTP connection: implicit TLS, STARTTLS or plain, AUTH, verified certificates.

`open_smtp` is what both the delivery worker and `check-config` use.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from typing import Protocol

from config.schema import OAuthSettings
from mailconn.oauth import shared_tokens
from mailconn.tls import tls_context

SECURITY_MODES = ("ssl", "starttls", "none")


class SmtpSettingsLike(Protocol):
    """The [smtp] keys a connection reads (config.schema.SmtpSettings)."""

    host: str
    port: int
    security: str
    username: str
    password: str
    verify_certificate: bool
    ca_file: str
    timeout: int
    auth: str
    from_address: str


def open_smtp(
    settings: SmtpSettingsLike, oauth: OAuthSettings | None = None
) -> smtplib.SMTP:
    """A connected, secured and (when a username is set) authenticated client.

    With `auth = "oauth2"` it is AUTH XOAUTH2 with the token of `oauth`, for
    `username` (else `from_address`), whether or not a username is set.

    Raises OSError or smtplib.SMTPException when any step fails; the socket is
    closed then.
    """
    if settings.security not in SECURITY_MODES:
        raise ValueError(f"smtp.security must be one of {SECURITY_MODES}")
    # Building a context reads the system's certificate store (about 30 ms):
    # only a connection that uses TLS pays for it.
    context = None
    if settings.security != "none":
        context = tls_context(settings.verify_certificate, settings.ca_file)
    client: smtplib.SMTP
    if settings.security == "ssl":
        client = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.security == "starttls":
            client.ehlo()
            # smtplib raises SMTPNotSupportedError when STARTTLS is not
            # offered: we never fall back to sending in clear.
            client.starttls(context=context)
        client.ehlo()
        if settings.auth == "oauth2":
            _oauth_login(client, settings, oauth or OAuthSettings())
        elif settings.username:
            client.login(settings.username, settings.password)
    except BaseException:
        client.close()
        raise
    return client


def _oauth_login(
    client: smtplib.SMTP, settings: SmtpSettingsLike, oauth: OAuthSettings
) -> None:
    """AUTH XOAUTH2 with the cached token; when refused, once with a new one."""
    user = settings.username or settings.from_address
    tokens = shared_tokens(oauth, settings.timeout)
    refusal = smtplib.SMTPAuthenticationError(535, b"")
    for token in (tokens.token, tokens.renew):
        try:
            client.auth("XOAUTH2", _xoauth2(user, token()), initial_response_ok=True)
            return
        except smtplib.SMTPAuthenticationError as exc:
            refusal = exc
    text = refusal.smtp_error.decode(errors="replace").splitlines()[:1]
    raise smtplib.SMTPAuthenticationError(
        refusal.smtp_code,
        "login: the SMTP server refused the OAuth2 token (XOAUTH2), a new one "
        f"too: {''.join(text)[:120]}",
    )


def _xoauth2(user: str, token: str) -> Callable[[bytes | None], str]:
    """The XOAUTH2 initial response; an empty answer to the error challenge
    the server sends before its final refusal."""
    initial = f"user={user}\x01auth=Bearer {token}\x01\x01"

    def answer(challenge: bytes | None = None) -> str:
        return initial if challenge is None else ""

    return answer


def close_quietly(client: smtplib.SMTP | None) -> None:
    """QUIT if the server still listens; close the socket in any case."""
    if client is None:
        return
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
