"""pytest fixtures for the real test servers (Dovecot IMAP, aiosmtpd SMTP).

Loaded by tests/conftest.py through ``pytest_plugins``. Dovecot runs once per
session (start-up and certificates are shared); the function-scoped ``imap``
fixture empties the mail store before each test, so use ``imap`` in tests and
``dovecot`` only where a test really wants the raw session server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.servers import unavailable
from tests.servers.dovecot import DovecotServer, dovecot_available
from tests.servers.smtp import SmtpServer
from tests.servers.tlscerts import TlsCerts, make_certs


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory: pytest.TempPathFactory) -> TlsCerts:
    """A throwaway CA and server certificate for localhost / 127.0.0.1."""
    return make_certs(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def dovecot(tls_certs: TlsCerts) -> Iterator[DovecotServer]:
    """The session's Dovecot; when it is not installed, skipped with the reason
    (failed in CI)."""
    reason = dovecot_available()
    if reason is not None:
        unavailable(reason)
    server = DovecotServer(certs=tls_certs)
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def imap(dovecot: DovecotServer) -> DovecotServer:
    """The session's Dovecot, running, with an empty INBOX and no other mailboxes."""
    if not dovecot.running:  # an earlier test may have stopped it
        dovecot.start()
    dovecot.reset()
    return dovecot


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A fresh plain SMTP server, stopped after the test."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def smtp_factory(tls_certs: TlsCerts) -> Iterator[Callable[..., SmtpServer]]:
    """Start SmtpServers with options (starttls, implicit_tls, auth); all stopped after.

    ``smtp_factory(starttls=True, auth=("user", "secret"))`` returns a running server
    using the session's ``tls_certs``.
    """
    servers: list[SmtpServer] = []

    def make(**options: object) -> SmtpServer:
        options.setdefault("certs", tls_certs)
        server = SmtpServer(**options)  # type: ignore[arg-type]
        servers.append(server)
        server.start()
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.stop()
