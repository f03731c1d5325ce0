"""An IMAP connection: implicit TLS, STARTTLS or plain, then LOGIN."""

from __future__ import annotations

import contextlib

from imapclient import IMAPClient

from config.schema import ImapSettings
from mailconn.tls import tls_context


def open_imap(settings: ImapSettings) -> IMAPClient:
    """A connected, secured and logged-in client; no mailbox selected yet.

    Raises imaplib's errors or OSError when any step fails; the socket is
    closed then.
    """
    context = tls_context(settings.verify_certificate, settings.ca_file)
    client = IMAPClient(
        settings.host,
        settings.port,
        ssl=settings.security == "ssl",
        ssl_context=context,
        timeout=settings.timeout,
    )
    # imapclient turns imaplib's protocol trace on (level 5) and sends it
    # to a debug logger; imaplib formats it before the logger can refuse:
    # the repr of every fetched message, twice (80 MiB for a 34 MB one).
    # The trace holds the members' mail anyway, which no log may.
    client._imap.debug = 0
    try:
        if settings.security == "starttls":
            client.starttls(context)
        client.login(settings.username, settings.password)
    except BaseException:
        drop(client)
        raise
    return client


def drop(client: IMAPClient) -> None:
    """Close the socket without a LOGOUT (the connection is broken)."""
    with contextlib.suppress(OSError):
        client.shutdown()
