"""An IMAP connection: implicit TLS, STARTTLS or plain, then LOGIN or OAuth2."""

from __future__ import annotations

import contextlib

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from config.schema import ImapSettings, OAuthSettings
from mailconn.oauth import shared_tokens
from mailconn.tls import tls_context


def open_imap(settings: ImapSettings, oauth: OAuthSettings | None = None) -> IMAPClient:
    """A connected, secured and logged-in client; no mailbox selected yet.

    With `auth = "oauth2"` the login is SASL OAUTHBEARER when the server
    offers it, else XOAUTH2, with the token of `oauth`. Raises imaplib's
    errors or OSError (mailconn.oauth.TokenError too) when any step fails;
    the socket is closed then.
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
        if settings.auth == "oauth2":
            _oauth_login(client, settings, oauth or OAuthSettings())
        else:
            client.login(settings.username, settings.password)
    except BaseException:
        drop(client)
        raise
    return client


def drop(client: IMAPClient) -> None:
    """Close the socket without a LOGOUT (the connection is broken)."""
    with contextlib.suppress(OSError):
        client.shutdown()


def _oauth_login(
    client: IMAPClient, settings: ImapSettings, oauth: OAuthSettings
) -> None:
    """Log in with the cached token; when refused, once more with a new one.

    A token the server refuses may have expired early or been revoked; a new
    one that is refused too means the application lacks the mailbox
    permission or the scope, which retrying cannot mend: the caller backs off.
    """
    tokens = shared_tokens(oauth, settings.timeout)
    bearer = client.has_capability("AUTH=OAUTHBEARER")
    for token in (tokens.token, tokens.renew):
        try:
            if bearer:
                client.oauthbearer_login(settings.username, token())
            else:
                client.oauth2_login(settings.username, token())
            return
        except LoginError as exc:
            refusal = (str(exc).splitlines() or [""])[0][:120]
    mechanism = "OAUTHBEARER" if bearer else "XOAUTH2"
    raise LoginError(
        f"login: the IMAP server refused the OAuth2 token ({mechanism}), a new "
        f"one too: {refusal}"
    )
