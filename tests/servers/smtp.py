"""A real SMTP server for tests (aiosmtpd) that keeps what it receives.

It can be told to fail: temporary errors at MAIL or DATA for the next transactions,
permanent rejection of given recipients, or a full outage (``stop()``, later
``start()`` on the same port). STARTTLS, implicit TLS and AUTH are optional.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.servers import free_port
from tests.servers.tlscerts import TlsCerts

SERVER_NAME = "smtp.test.invalid"
_STAGES = ("MAIL", "DATA")


@dataclass(frozen=True)
class Received:
    """One accepted message with its envelope, as the server saw it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    message: EmailMessage
    login: str | None = None
    tls: bool = False


class _Handler:
    """aiosmtpd hooks; run on the controller's event loop thread."""

    def __init__(self, owner: SmtpServer) -> None:
        self._owner = owner

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        needs_auth = self._owner.auth is not None or self._owner.oauth is not None
        if needs_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        failure = self._owner._take_failure("MAIL")
        if failure is not None:
            return failure
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """SASL XOAUTH2 as Microsoft and Google take it: the initial response
        (or the answer to an empty challenge) is "user=U^Aauth=Bearer T^A^A";
        a refused token gets a JSON error challenge, then 535."""
        check = self._owner.oauth
        if len(args) > 1:
            blob: bytes | object = base64.b64decode(args[1])
        else:
            blob = await server.challenge_auth(b"")
        if not isinstance(blob, bytes) or check is None:
            return AuthResult(success=False, handled=False)
        fields = dict(
            part.partition("=")[::2] for part in blob.decode().split("\x01") if part
        )
        user = fields.get("user", "")
        token = fields.get("auth", "").removeprefix("Bearer ")
        if check(user, token):
            login = LoginPassword(user.encode(), b"")
            return AuthResult(success=True, handled=False, auth_data=login)
        error = json.dumps({"status": "401", "schemes": "Bearer", "scope": ""})
        await server.challenge_auth(error.encode())
        return AuthResult(success=False, handled=False)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        rejection = self._owner._rejection(address)
        if rejection is not None:
            return rejection
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        failure = self._owner._take_failure("DATA")
        if failure is not None:
            return failure
        self._owner._store(session, envelope)
        return "250 2.0.0 Message accepted"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 with a fixed free port; thread-safe received list."""

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        starttls: bool = False,
        implicit_tls: bool = False,
        auth: tuple[str, str] | None = None,
        certs: TlsCerts | None = None,
        oauth: Callable[[str, str], bool] | None = None,
    ) -> None:
        """`oauth(user, token)` decides AUTH XOAUTH2 (None: always refused)."""
        if (starttls or implicit_tls) and certs is None:
            raise ValueError("TLS needs certs (tests.servers.tlscerts.make_certs)")
        if starttls and implicit_tls:
            raise ValueError("choose STARTTLS or implicit TLS, not both")
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.auth = auth
        self.oauth = oauth
        self.certs = certs
        self.port = free_port()
        self.server_name = SERVER_NAME
        self._received: list[Received] = []
        self._failures: dict[str, deque[str]] = {stage: deque() for stage in _STAGES}
        self._rejected: dict[str, str] = {}
        self._changed = threading.Condition()
        self._controller: Controller | None = None

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        """Listen (again) on ``port``; received messages and failure plans are kept."""
        if self._controller is not None:
            return
        controller = Controller(_Handler(self), **self._controller_kwargs())
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start()``."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    @property
    def running(self) -> bool:
        """True while the server listens."""
        return self._controller is not None

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _controller_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "hostname": self.host,  # bind address
            "port": self.port,
            # aiosmtpd would otherwise look the machine's name up in DNS.
            "server_hostname": self.server_name,
            "ready_timeout": 10.0,
        }
        if self.certs is not None and self.starttls:
            kwargs["tls_context"] = self.certs.server_context()
        if self.certs is not None and self.implicit_tls:
            kwargs["ssl_context"] = self.certs.server_context()
        if self.auth is not None or self.oauth is not None:
            kwargs["authenticator"] = self._authenticate
            # aiosmtpd only counts STARTTLS as TLS; with implicit TLS (or none at
            # all, for plain tests) AUTH must be offered without it. The handler
            # itself enforces "no MAIL before AUTH".
            kwargs["auth_require_tls"] = self.starttls
        return kwargs

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        ok = (
            self.auth is not None
            and isinstance(auth_data, LoginPassword)
            and (auth_data.login.decode(), auth_data.password.decode()) == self.auth
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    # -- programmable failures -------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        code: int = 421,
        text: str = "4.3.2 Service not available, try again later",
        stage: str = "DATA",
    ) -> None:
        """Answer the next *n* transactions with *code* at MAIL or DATA (*stage*)."""
        if stage not in _STAGES:
            raise ValueError(f"stage must be one of {_STAGES}")
        with self._changed:
            self._failures[stage].extend([f"{code} {text}"] * n)

    def reject_recipient(
        self, address: str, code: int = 550, text: str = "5.1.1 No such user"
    ) -> None:
        """Refuse RCPT TO *address* (case-insensitive) from now on."""
        with self._changed:
            self._rejected[address.lower()] = f"{code} {text}"

    def clear_failures(self) -> None:
        """Forget every planned failure and rejection."""
        with self._changed:
            for queue in self._failures.values():
                queue.clear()
            self._rejected.clear()

    def _take_failure(self, stage: str) -> str | None:
        with self._changed:
            queue = self._failures[stage]
            return queue.popleft() if queue else None

    def _rejection(self, address: str) -> str | None:
        with self._changed:
            return self._rejected.get(address.lower())

    # -- received messages -----------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        """A snapshot of the messages accepted so far, oldest first."""
        with self._changed:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        """Block until at least *count* messages arrived; return them all.

        Raises TimeoutError naming what did arrive when *timeout* runs out.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"expected {count} messages, got {len(self._received)}"
                    )
                self._changed.wait(remaining)
            return list(self._received)

    def clear(self) -> None:
        """Forget the received messages."""
        with self._changed:
            self._received.clear()

    def _store(self, session: Session, envelope: Envelope) -> None:
        data = envelope.content
        if isinstance(data, str):  # only with decode_data=True, which we never set
            data = data.encode()
        message = email.message_from_bytes(data, policy=email.policy.default)
        login = getattr(session.auth_data, "login", None)
        received = Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=data,
            message=message,  # type: ignore[arg-type]  # policy.default gives one
            login=login.decode() if isinstance(login, bytes) else None,
            tls=self.implicit_tls or session.ssl is not None,
        )
        with self._changed:
            self._received.append(received)
            self._changed.notify_all()
