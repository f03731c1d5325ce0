"""A small OAuth2 authorization server on loopback, for tests.

It serves what a mail provider's identity platform does for klachten: the
token endpoint (client credentials as Microsoft and generic servers take
them; a JWT-bearer assertion as Google takes it, checked against the service
account's public key), and token introspection (RFC 7662, POST) for
Dovecot's oauth2 passdb and the SMTP test server's XOAUTH2 check. Every
token request is kept, so tests can look at what a client sent.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from joserfc import jwt
from joserfc.jwk import RSAKey

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class TokenCall:
    """One request to the token endpoint as the server saw it."""

    path: str
    form: dict[str, str]
    basic: tuple[str, str] | None  # client id and secret from HTTP Basic
    claims: dict[str, Any] | None  # the verified assertion (JWT bearer)


class TokenService:
    """Issues and checks bearer tokens for one mailbox user."""

    host = "127.0.0.1"

    def __init__(
        self,
        username: str,
        client_id: str = "klachten-app",
        client_secret: str | None = None,
        lifetime: int = 3600,
        public_key: str = "",
    ) -> None:
        self.username = username
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(16)
        self.lifetime = lifetime
        self.public_key = public_key  # PEM of a Google-style service account
        self.allowed_scopes: set[str] | None = None  # None: any scope
        self.calls: list[TokenCall] = []
        self.introspections = 0
        self.issued: list[str] = []  # every token handed out, to look for in logs
        self.broken_paths: set[str] = set()  # answered with an HTML 502 page
        self._tokens: dict[str, float] = {}  # token -> expiry (time.time())
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((self.host, 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> TokenService:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> TokenService:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what tests change -----------------------------------------------------------

    def revoke_tokens(self) -> None:
        """Every token issued so far stops being valid (as when it expires)."""
        with self._lock:
            self._tokens.clear()

    def rotate_secret(self) -> str:
        """A new client secret: the old one is refused from now on."""
        self.client_secret = secrets.token_urlsafe(16)
        return self.client_secret

    def valid(self, user: str, token: str) -> bool:
        """True when *token* was issued here, has not expired, and *user* is ours."""
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and expiry > time.time() and user == self.username

    # -- the endpoints -----------------------------------------------------------------

    def _token(self, call: TokenCall) -> tuple[int, dict[str, Any]]:
        form = call.form
        if form.get("grant_type") == JWT_BEARER:
            if call.claims is None:
                return 400, {"error": "invalid_grant", "error_description": "bad JWT"}
            scope = str(call.claims.get("scope", ""))
        elif form.get("grant_type") == "client_credentials":
            client = call.basic or (
                form.get("client_id", ""),
                form.get("client_secret", ""),
            )
            if client != (self.client_id, self.client_secret):
                return 401, {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret "
                    "provided.\nTrace ID: 0000",
                }
            scope = form.get("scope", "")
        else:
            return 400, {"error": "unsupported_grant_type"}
        if self.allowed_scopes is not None and scope not in self.allowed_scopes:
            return 400, {"error": "invalid_scope", "error_description": "no such scope"}
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.time() + self.lifetime
            self.issued.append(token)
        return 200, {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.lifetime,
        }

    def _introspect(self, form: dict[str, str]) -> dict[str, Any]:
        self.introspections += 1
        token = form.get("token", "")
        if self.valid(self.username, token):
            return {"active": True, "username": self.username}
        return {"active": False}

    def _claims(self, form: dict[str, str], path: str) -> dict[str, Any] | None:
        if form.get("grant_type") != JWT_BEARER or not self.public_key:
            return None
        try:
            token = jwt.decode(
                form.get("assertion", ""), RSAKey.import_key(self.public_key)
            )
        except Exception:  # any bad assertion is refused, as Google does
            return None
        return dict(token.claims)


def _handler(service: TokenService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            if self.path in service.broken_paths:
                self.send_response(502)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", "24")
                self.end_headers()
                self.wfile.write(b"<h1>502 Bad Gateway</h1>")
                return
            if self.path.endswith("/introspect"):
                self._answer(200, service._introspect(form))
                return
            call = TokenCall(
                path=self.path,
                form=form,
                basic=_basic(self.headers.get("Authorization", "")),
                claims=service._claims(form, self.path),
            )
            service.calls.append(call)
            self._answer(*service._token(call))

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: pytest shows stderr of failing tests only anyway

    return Handler


def _basic(header: str) -> tuple[str, str] | None:
    if not header.lower().startswith("basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return unquote(user), unquote(password)
