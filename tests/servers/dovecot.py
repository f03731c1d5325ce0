"""A real Dovecot IMAP server for tests, run standalone from its own config.

Facts this relies on (see shared/notes/dovecot-for-tests.md): the files live in a
world-enterable folder under /tmp with a short ``base_dir`` (unix socket paths are
limited), the mail user is ``nobody`` because Dovecot refuses uid 0, the anvil
login penalty is switched off, and a stopped master may linger as a zombie.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from imapclient import IMAPClient

from tests.servers import descendants, free_port, terminate, wait_until
from tests.servers.mailbox import MailboxHelpers
from tests.servers.tlscerts import TlsCerts, make_certs

MAIL_UID = 65534  # nobody: Dovecot will not deliver to or read mail as root
USERNAME = "klachten@libmutov.be"
DELIMITER = "/"
_START_TIMEOUT = 15.0
_STOP_TIMEOUT = 10.0

_CONFIG_TEMPLATE = Path(__file__).with_name("dovecot.conf.in")


class DovecotError(RuntimeError):
    """Dovecot did not start or stop as expected; the message quotes its log."""


class DovecotServer(MailboxHelpers):
    """One Dovecot instance with one mail user, a plain and an implicit-TLS port.

    STARTTLS is offered on the plain port. Ports and mail survive ``restart()``.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        password: str | None = None,
        certs: TlsCerts | None = None,
        *,
        introspection_url: str = "",
        oauth_mechanisms: str = "xoauth2 oauthbearer",
        acl_rights: str = "",
    ) -> None:
        """`introspection_url`: also an oauth2 passdb (XOAUTH2, OAUTHBEARER)
        that checks tokens there (RFC 7662, POST), offering `oauth_mechanisms`
        (Exchange offers XOAUTH2 alone); `acl_rights`: the ACL
        plugin grants the user only these rights (say, no "w": no keywords)."""
        self.introspection_url = introspection_url
        self.oauth_mechanisms = oauth_mechanisms
        self.acl_rights = acl_rights
        self.username = USERNAME
        self.password = password or uuid.uuid4().hex
        self.delimiter = DELIMITER
        self.root = Path(tempfile.mkdtemp(prefix="kdv-", dir="/tmp"))
        # Dovecot's unprivileged processes must be able to enter every parent.
        self.root.chmod(0o755)
        self.port = free_port()
        self.ssl_port = free_port(exclude={self.port})
        self.log_file = self.root / "dovecot.log"
        self._process: subprocess.Popen[bytes] | None = None
        try:
            # The config process reads the key as root: any readable place will do.
            self.certs: TlsCerts = certs or make_certs(self.root / "tls")
            self.ca_file = self.certs.ca_file
            self._write_files()
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        """Start Dovecot and return once the IMAP greeting arrives on both ports."""
        if self._process is not None:
            raise DovecotError("Dovecot is already running")
        base_dir = self.root / "run"
        # A stale socket from an earlier run stalls start-up: always start empty.
        shutil.rmtree(base_dir, ignore_errors=True)
        # Config errors go to stderr before log_path applies: keep them in the log.
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [_dovecot_binary(), "-F", "-c", str(self.root / "dovecot.conf")],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        # A crashed test run must not leave a Dovecot behind.
        atexit.register(self.stop)
        try:
            wait_until(self._accepting, _START_TIMEOUT, "Dovecot start-up")
        except (TimeoutError, DovecotError) as exc:
            self._kill()
            raise DovecotError(
                f"{exc}\n--- {self.log_file}:\n{self.log_tail()}"
            ) from None

    def stop(self) -> None:
        """SIGTERM Dovecot and wait until it and its children are really gone.

        Clients are disconnected as by a real shutdown ("* BYE Server shutting
        down"): the master leaves imap processes with open connections running
        after it exits, so those get their own SIGTERM.
        """
        process, self._process = self._process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        children = descendants(process.pid)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(_STOP_TIMEOUT)
        # The title check keeps a recycled PID from being hit.
        terminate(children, f"dovecot-{self.root.name}/", _STOP_TIMEOUT)

    def restart(self) -> None:
        """Stop and start again on the same ports with the same mail."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def running(self) -> bool:
        """True while the master process is alive."""
        return self._process is not None and self._process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        """The last *lines* lines of Dovecot's log, for error messages."""
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()

    # -- clients ---------------------------------------------------------------------

    @contextlib.contextmanager
    def client(
        self, *, ssl: bool = False, starttls: bool = False
    ) -> Iterator[IMAPClient]:
        """A logged-in IMAPClient (verifying TLS against ``ca_file`` when used)."""
        context = self.certs.client_context()
        port = self.ssl_port if ssl else self.port
        client = IMAPClient(self.host, port, ssl=ssl, ssl_context=context, timeout=10)
        try:
            if starttls:
                client.starttls(context)
            client.login(self.username, self.password)
            yield client
        finally:
            try:
                client.logout()
            except Exception:  # already gone (server stopped, BYE): just close
                with contextlib.suppress(OSError):
                    client.shutdown()

    # -- internals -------------------------------------------------------------------

    def _write_files(self) -> None:
        home = self.root / "home"
        for path in (home, home / "Maildir"):
            path.mkdir(mode=0o700)
            os.chown(path, MAIL_UID, MAIL_UID)
            path.chmod(0o700)  # mkdir's mode is filtered by the umask
        passwd = self.root / "passwd"
        passwd.write_text(
            f"{self.username}:{{PLAIN}}{self.password}:{MAIL_UID}:{MAIL_UID}::{home}::\n"
        )
        passwd.chmod(0o644)
        (self.root / "state").mkdir()
        mechanisms, extra = self._extra_config()
        config = string.Template(_CONFIG_TEMPLATE.read_text()).substitute(
            mechanisms=mechanisms,
            extra=extra,
            base_dir=self.root / "run",
            state_dir=self.root / "state",
            instance=self.root.name,
            log=self.log_file,
            cert=self.certs.cert_file,
            key=self.certs.key_file,
            uid=MAIL_UID,
            delimiter=self.delimiter,
            passwd=passwd,
            port=self.port,
            ssl_port=self.ssl_port,
        )
        (self.root / "dovecot.conf").write_text(config)

    def _extra_config(self) -> tuple[str, str]:
        """Auth mechanisms and config blocks for OAuth2 and ACL, when asked."""
        mechanisms, extra = "", ""
        if self.introspection_url:
            oauth = self.root / "dovecot-oauth2.conf.ext"
            oauth.write_text(
                "introspection_mode = post\n"
                f"introspection_url = {self.introspection_url}\n"
                "force_introspection = yes\n"
                "username_attribute = username\n"
                "active_attribute = active\n"
                "active_value = true\n"
            )
            oauth.chmod(0o644)
            mechanisms = f" {self.oauth_mechanisms}"
            extra += (
                "passdb {\n  driver = oauth2\n"
                f"  mechanisms = {self.oauth_mechanisms}\n"
                f"  args = {oauth}\n}}\n"
            )
        if self.acl_rights:
            acl = self.root / "dovecot-acl"
            acl.write_text(f"* user={self.username} {self.acl_rights}\n")
            acl.chmod(0o644)
            extra += (
                "mail_plugins = $mail_plugins acl\n"
                "protocol imap {\n  mail_plugins = $mail_plugins imap_acl\n}\n"
                f"plugin {{\n  acl = vfile:{acl}\n}}\n"
            )
        return mechanisms, extra

    def _accepting(self) -> bool:
        if self._process is None or self._process.poll() is not None:
            code = None if self._process is None else self._process.returncode
            raise DovecotError(f"Dovecot exited during start-up (status {code})")
        return _greets(self.host, self.port) and _greets(
            self.host, self.ssl_port, self.certs
        )

    def _kill(self) -> None:
        atexit.unregister(self.stop)
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(_STOP_TIMEOUT)


def dovecot_available() -> str | None:
    """None when the dovecot binary is installed, else the reason it is not."""
    if _find_dovecot() is None:
        return "dovecot binary not found (apt-get install dovecot-imapd)"
    if os.geteuid() != 0:
        # The mail store must belong to nobody and Dovecot drops privileges.
        return "a private Dovecot needs root (it chowns the mail store to nobody)"
    return None


def _find_dovecot() -> str | None:
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/sbin")


def _dovecot_binary() -> str:
    binary = _find_dovecot()
    if binary is None:
        raise DovecotError("dovecot binary not found")
    return binary


def _greets(host: str, port: int, certs: TlsCerts | None = None) -> bool:
    """True once the port answers with an IMAP greeting (login process is up)."""
    try:
        with contextlib.ExitStack() as stack:
            sock = stack.enter_context(socket.create_connection((host, port), 1))
            if certs is not None:
                context = certs.client_context()
                sock = stack.enter_context(
                    context.wrap_socket(sock, server_hostname=host)
                )
            greeted = sock.recv(64).startswith(b"* OK")
            sock.sendall(b"a LOGOUT\r\n")  # a polite goodbye keeps the log quiet
            return greeted
    except OSError:
        return False
