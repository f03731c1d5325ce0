"""Self-tests of the real-server fixtures: they speak the real protocols."""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
import ssl
import time
from email.message import EmailMessage

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.servers import unavailable
from tests.servers.dovecot import DovecotError, DovecotServer, dovecot_available
from tests.servers.smtp import SmtpServer
from tests.servers.tlscerts import TlsCerts, make_certs

CLIENT_NAME = "client.test.invalid"  # smtplib would otherwise look up our own name
RAW = b"From: lid@example.org\r\nSubject: Klacht\r\n\r\nIk heb een klacht.\r\n"


def _message(to: str = "klachten@libmutov.be", subject: str = "Klacht") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "lid@example.org"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Ik heb een klacht.\n")
    return msg


def _smtp(server: SmtpServer) -> smtplib.SMTP:
    return smtplib.SMTP(server.host, server.port, CLIENT_NAME, timeout=10)


def _handshake(server: ssl.SSLContext, client: ssl.SSLContext, name: str) -> None:
    """Run a TLS handshake in memory; the client verifies *name*."""
    bios = [ssl.MemoryBIO() for _ in range(4)]
    ends = [
        client.wrap_bio(bios[0], bios[1], server_hostname=name),
        server.wrap_bio(bios[2], bios[3], server_side=True),
    ]
    pending = set(range(2))
    for _ in range(10):
        for i in sorted(pending):
            try:
                ends[i].do_handshake()
                pending.discard(i)
            except ssl.SSLWantReadError:
                pass
        bios[2].write(bios[1].read())
        bios[0].write(bios[3].read())
        if not pending:
            return
    raise AssertionError("TLS handshake did not finish")


# -- TLS material ------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["cryptography", "openssl"])
def test_certs_verify_by_name_and_ip_only_with_the_ca(tmp_path, backend) -> None:
    if backend == "cryptography":
        pytest.importorskip("cryptography")
    certs = make_certs(tmp_path, backend=backend)
    for name in ("localhost", "127.0.0.1"):
        _handshake(certs.server_context(), certs.client_context(), name)
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(certs.server_context(), ssl.create_default_context(), "localhost")
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(certs.server_context(), certs.client_context(), "other.invalid")


# -- Dovecot -----------------------------------------------------------------------


def test_imap_login_and_fast_failure(imap: DovecotServer) -> None:
    with IMAPClient(imap.host, imap.port, ssl=False, timeout=10) as client:
        assert client.login(imap.username, imap.password)
    started = time.monotonic()
    client = IMAPClient(imap.host, imap.port, ssl=False, timeout=10)
    with client, pytest.raises(LoginError):
        client.login(imap.username, "wrong")
    # auth_failure_delay = 0 (Dovecot still answers on a 0.5 s tick) and no anvil
    # penalty: the default 2 s delay, growing to 15 s, would stall tests.
    assert time.monotonic() - started < 1.5


def test_append_and_fetch(imap: DovecotServer) -> None:
    when = dt.datetime(2024, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    uid = imap.append(RAW, flags=["\\Seen", "$Klachten"], internaldate=when)
    more = imap.append_many([RAW.replace(b"Klacht", b"Twee"), b"Subject: lf\n\nx\n"])
    assert more == [uid + 1, uid + 2]
    assert imap.list_uids() == [uid, uid + 1, uid + 2]
    flags = imap.fetch_flags()
    assert {"\\Seen", "$Klachten"} <= flags[uid]
    assert "\\Seen" not in flags[uid + 1]
    assert imap.fetch_raw(uid) == RAW
    assert imap.fetch_raw(uid + 2) == b"Subject: lf\r\n\r\nx\r\n"  # served as CRLF
    with imap.client() as client:
        client.select_folder("INBOX", readonly=True)
        stored = client.fetch([uid], ["INTERNALDATE"])[uid][b"INTERNALDATE"]
    assert stored.astimezone(dt.UTC) == when


def test_mailboxes_and_reset(imap: DovecotServer) -> None:
    imap.create_mailbox(f"Klachten{imap.delimiter}Verwerkt")
    imap.create_mailbox("Archief")
    imap.append(RAW, mailbox=f"Klachten{imap.delimiter}Verwerkt")
    imap.append(RAW)
    assert {"INBOX", "Archief", "Klachten/Verwerkt"} <= set(imap.list_mailboxes())
    imap.reset()
    assert imap.list_mailboxes() == ["INBOX"]
    assert imap.list_uids() == []


def test_imap_starttls_needs_the_ca(imap: DovecotServer) -> None:
    with IMAPClient(imap.host, imap.port, ssl=False, timeout=10) as client:
        client.starttls(ssl.create_default_context(cafile=str(imap.ca_file)))
        client.login(imap.username, imap.password)
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
    client = IMAPClient(imap.host, imap.port, ssl=False, timeout=10)
    with client, pytest.raises(ssl.SSLCertVerificationError):
        client.starttls(ssl.create_default_context())


def test_imap_implicit_tls_needs_the_ca(imap: DovecotServer) -> None:
    context = ssl.create_default_context(cafile=str(imap.ca_file))
    with IMAPClient(imap.host, imap.ssl_port, ssl_context=context, timeout=10) as c:
        c.login(imap.username, imap.password)
        assert c.select_folder("INBOX")[b"EXISTS"] == 0
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(imap.host, imap.ssl_port, ssl_context=ssl.create_default_context())


def test_idle_wakes_after_append_elsewhere(imap: DovecotServer) -> None:
    with imap.client() as client:
        client.select_folder("INBOX")
        client.idle()
        started = time.monotonic()
        uid = imap.append(RAW)
        responses = client.idle_check(timeout=5)
        client.idle_done()
    assert (1, b"EXISTS") in responses
    assert time.monotonic() - started < 3
    assert imap.list_uids() == [uid]


def test_restart_keeps_messages_and_ports(imap: DovecotServer) -> None:
    uid = imap.append(RAW, flags=["$Klachten"])
    ports = (imap.port, imap.ssl_port)
    imap.restart()
    assert (imap.port, imap.ssl_port) == ports
    assert imap.fetch_flags() == {uid: {"$Klachten"}}


def test_restart_disconnects_clients(imap: DovecotServer) -> None:
    with imap.client() as client:
        client.select_folder("INBOX")
        client.idle()
        started = time.monotonic()
        imap.restart()
        assert (b"BYE", b"Server", b"shutting", b"down.") in client.idle_check(5)
    assert time.monotonic() - started < 5


def test_stopped_dovecot_refuses_connections(imap: DovecotServer) -> None:
    imap.stop()
    assert not imap.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((imap.host, imap.port), timeout=2).close()
    imap.start()
    assert imap.list_uids() == []


def test_failed_start_quotes_the_log(tls_certs: TlsCerts) -> None:
    reason = dovecot_available()
    if reason is not None:
        unavailable(reason)
    server = DovecotServer(certs=tls_certs)
    try:
        config = server.root / "dovecot.conf"
        config.write_text(config.read_text() + "no_such_setting = 1\n")
        with pytest.raises(DovecotError, match="no_such_setting"):
            server.start()
        assert not server.running
    finally:
        server.cleanup()
    assert not server.root.exists()


# -- SMTP --------------------------------------------------------------------------


def test_smtp_receives(smtp_server: SmtpServer) -> None:
    with _smtp(smtp_server) as client:
        client.send_message(_message(), "noreply@libmutov.be", ["lid@example.org"])
    [got] = smtp_server.wait_for(1)
    assert got.mail_from == "noreply@libmutov.be"
    assert got.rcpt_tos == ("lid@example.org",)
    assert got.message["Subject"] == "Klacht"
    assert b"Ik heb een klacht." in got.data
    assert got.login is None
    assert not got.tls


def test_smtp_temporary_failure_then_success(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1)
    with _smtp(smtp_server) as client, pytest.raises(smtplib.SMTPDataError) as err:
        client.send_message(_message(), "a@libmutov.be", ["b@example.org"])
    assert err.value.smtp_code == 421
    assert smtp_server.received == []
    with _smtp(smtp_server) as client:
        client.send_message(_message(), "a@libmutov.be", ["b@example.org"])
    assert len(smtp_server.wait_for(1)) == 1


def test_smtp_temporary_failure_at_mail(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(2, code=451, stage="MAIL")
    for _ in range(2):
        with _smtp(smtp_server) as client, pytest.raises(smtplib.SMTPSenderRefused):
            client.send_message(_message(), "a@libmutov.be", ["b@example.org"])
    with _smtp(smtp_server) as client:
        client.send_message(_message(), "a@libmutov.be", ["b@example.org"])
    assert len(smtp_server.wait_for(1)) == 1


def test_smtp_rejects_recipient(smtp_server: SmtpServer) -> None:
    smtp_server.reject_recipient("Weg@Example.org")
    with _smtp(smtp_server) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as err:
            client.send_message(_message(), "a@libmutov.be", ["weg@example.org"])
        assert err.value.recipients["weg@example.org"][0] == 550
        refused = client.send_message(
            _message(), "a@libmutov.be", ["weg@example.org", "ok@example.org"]
        )
    assert refused["weg@example.org"][0] == 550
    [got] = smtp_server.wait_for(1)
    assert got.rcpt_tos == ("ok@example.org",)


def test_smtp_outage_on_the_same_port(smtp_server: SmtpServer) -> None:
    port = smtp_server.port
    smtp_server.stop()
    with pytest.raises(ConnectionRefusedError):
        _smtp(smtp_server)
    smtp_server.start()
    assert smtp_server.port == port
    with _smtp(smtp_server) as client:
        client.send_message(_message(), "a@libmutov.be", ["b@example.org"])
    assert len(smtp_server.wait_for(1)) == 1


def test_smtp_wait_for_times_out(smtp_server: SmtpServer) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="expected 1 messages, got 0"):
        smtp_server.wait_for(1, timeout=0.2)
    assert time.monotonic() - started < 2


def test_smtp_starttls_and_auth(smtp_factory, tls_certs: TlsCerts) -> None:
    server = smtp_factory(starttls=True, auth=("outbox", "geheim"))
    with _smtp(server) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")  # only after TLS
        with pytest.raises(smtplib.SMTPSenderRefused) as err:
            client.send_message(_message(), "a@libmutov.be", ["b@example.org"])
        assert err.value.smtp_code == 530
    with _smtp(server) as client:
        client.starttls(context=tls_certs.client_context())
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("outbox", "wrong")
    with _smtp(server) as client:
        client.starttls(context=tls_certs.client_context())
        client.login("outbox", "geheim")
        client.send_message(_message(), "a@libmutov.be", ["b@example.org"])
    [got] = server.wait_for(1)
    assert got.login == "outbox"
    assert got.tls
    with _smtp(server) as client, pytest.raises(ssl.SSLCertVerificationError):
        client.starttls(context=ssl.create_default_context())


def test_smtp_implicit_tls_and_auth(smtp_factory, tls_certs: TlsCerts) -> None:
    server = smtp_factory(implicit_tls=True, auth=("outbox", "geheim"))
    context = tls_certs.client_context()
    with smtplib.SMTP_SSL(
        server.host, server.port, CLIENT_NAME, timeout=10, context=context
    ) as client:
        client.login("outbox", "geheim")
        client.send_message(_message(), "a@libmutov.be", ["b@example.org"])
    [got] = server.wait_for(1)
    assert (got.login, got.tls) == ("outbox", True)
    with pytest.raises(ssl.SSLCertVerificationError):
        smtplib.SMTP_SSL(
            server.host,
            server.port,
            CLIENT_NAME,
            timeout=10,
            context=ssl.create_default_context(),
        )
