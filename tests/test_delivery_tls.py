"""Delivery over STARTTLS and implicit TLS with AUTH, certificates verified."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from mailconn.smtp import open_smtp
from tests.test_delivery import complaint, register, rows, smtp_section

USER, PASSWORD = "klachten", "geheim-wachtwoord"


@pytest.fixture
def tls_app(make_config, app_for, sqlite_url):
    def build(server, **smtp: Any):
        return app_for(make_config(sqlite_url, smtp=smtp_section(server, **smtp)))

    return build


def secured(certs, security: str = "starttls", **changes: Any) -> dict[str, Any]:
    """[smtp] keys for a verified, authenticated connection."""
    values = {
        "security": security,
        "ca_file": str(certs.ca_file),
        "username": USER,
        "password": PASSWORD,
    }
    return {**values, **changes}


def test_starttls_and_auth_with_the_private_ca(smtp_factory, tls_certs, tls_app):
    server = smtp_factory(starttls=True, auth=(USER, PASSWORD))
    app = tls_app(server, **secured(tls_certs))
    register(app, complaint(1))
    assert app.delivery.deliver_pending().sent == 1
    (received,) = server.wait_for(1)
    assert received.tls and received.login == USER


def test_implicit_tls(smtp_factory, tls_certs, tls_app):
    server = smtp_factory(implicit_tls=True, auth=(USER, PASSWORD))
    app = tls_app(server, **secured(tls_certs, "ssl"))
    register(app, complaint(1))
    assert app.delivery.deliver_pending().sent == 1
    assert server.wait_for(1)[0].tls


def test_unknown_certificate_authority_is_refused(smtp_factory, tls_app):
    server = smtp_factory(starttls=True)
    app = tls_app(server, security="starttls")  # system CAs only
    register(app, complaint(1))
    report = app.delivery.deliver_pending()
    assert report.sent == 0 and "CERTIFICATE_VERIFY_FAILED" in report.outage
    assert server.received == []
    assert rows(app)[0].status == "pending"


def test_verification_can_be_switched_off(smtp_factory, tls_app):
    server = smtp_factory(starttls=True)
    app = tls_app(server, security="starttls", verify_certificate=False)
    register(app, complaint(1))
    assert app.delivery.deliver_pending().sent == 1


def test_wrong_password_keeps_the_mail(smtp_factory, tls_certs, tls_app):
    server = smtp_factory(starttls=True, auth=(USER, PASSWORD))
    app = tls_app(server, **secured(tls_certs, password="fout"))
    register(app, complaint(1))
    report = app.delivery.deliver_pending()
    assert report.outage and "SMTPAuthenticationError" in report.outage
    assert (rows(app)[0].status, rows(app)[0].attempts) == ("pending", 1)


def test_starttls_never_falls_back_to_clear_text(smtp_server, tls_app):
    app = tls_app(smtp_server, security="starttls")  # the server offers no TLS
    register(app, complaint(1))
    report = app.delivery.deliver_pending()
    assert report.outage and "STARTTLS" in report.outage
    assert smtp_server.received == []


def test_open_connection_for_check_config(
    smtp_factory, tls_certs, app_for, make_config
):
    server = smtp_factory(starttls=True, auth=(USER, PASSWORD))
    smtp = smtp_section(server, **secured(tls_certs))
    app = app_for(make_config("sqlite:///unused.db", smtp=smtp))
    client = open_smtp(app.settings.smtp)
    try:
        assert client.noop()[0] == 250
        assert client.sock is not None and client.sock.version() is not None
    finally:
        client.quit()


def test_plain_connection_builds_no_tls_context(smtp_server, app_for, make_config):
    """security = "none" reads no certificate store: building a TLS context
    costs about 30 ms, once per outbox batch (bench/README.md). A CA file that
    is not there shows it: the context would fail to load it."""
    app = app_for(make_config("sqlite:///unused.db", smtp=smtp_section(smtp_server)))
    settings = replace(app.settings.smtp, ca_file="/nonexistent/ca.pem")
    client = open_smtp(settings)
    try:
        assert client.noop()[0] == 250
        assert client.sock is not None and not hasattr(client.sock, "version")
    finally:
        client.quit()
