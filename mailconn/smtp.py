"""An SMTP connection: implicit TLS, STARTTLS or plain, AUTH, verified certificates.

`open_smtp` is what both the delivery worker and `check-config` use.
"""

from __future__ import annotations

import smtplib
from typing import Protocol

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


def open_smtp(settings: SmtpSettingsLike) -> smtplib.SMTP:
    """A connected, secured and (when a username is set) authenticated client.

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
        if settings.username:
            client.login(settings.username, settings.password)
    except BaseException:
        client.close()
        raise
    return client


def close_quietly(client: smtplib.SMTP | None) -> None:
    """QUIT if the server still listens; close the socket in any case."""
    if client is None:
        return
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
