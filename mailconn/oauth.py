"""OAuth2 access tokens for IMAP and SMTP, cached in memory and renewed early.

authlib sends the requests (its requests client: the client-credentials
grant for Microsoft and generic servers, the JWT-bearer grant for Google,
whose assertion joserfc, authlib's own JOSE library, signs), so every
provider goes through one client under thin presets
(`mailconn.oauth_presets`). One `TokenSource` per `[oauth]` section and
process, shared by intake and delivery (`shared_tokens`). No token and no
secret is ever put in an exception or a log line.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import RSAKey

from config.schema import OAuthSettings
from mailconn.oauth_presets import (
    CLIENT_CREDENTIALS,
    JWT_BEARER,
    TokenRequest,
    TokenSetupError,
    token_request,
)

# Renew this long before the token expires, or at half its life if shorter.
RENEW_MARGIN = 300.0
# OAuth error codes that mean the scope, not the client, is wrong.
_SCOPE_ERRORS = {"invalid_scope", "unauthorized_client", "access_denied"}


class TokenError(TokenSetupError):
    """The token endpoint gave no token. One line: "token endpoint: ..." or
    "scope: ..."; never a secret."""


@dataclass(frozen=True)
class Token:
    value: str = field(repr=False)
    renew_at: float = 0.0  # on the monotonic clock


class TokenSource:
    """The access token of one `[oauth]` section, thread-safe."""

    def __init__(
        self,
        oauth: OAuthSettings,
        timeout: float = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.oauth = oauth
        self.timeout = timeout
        self._clock = clock
        self._token: Token | None = None
        self._lock = threading.Lock()

    def token(self) -> str:
        """A token that is not about to expire: the cached one, or a new one."""
        with self._lock:
            if self._token is None or self._clock() >= self._token.renew_at:
                self._token = self._fetch()
            return self._token.value

    def renew(self) -> str:
        """A new token, whatever the cache holds (the server refused it)."""
        with self._lock:
            self._token = self._fetch()
            return self._token.value

    def _fetch(self) -> Token:
        request = token_request(self.oauth)
        asked_at = self._clock()  # the lifetime counts from the request
        try:
            answer = fetch_token(request, self.timeout)
        except AuthlibBaseError as exc:
            raise _refusal(exc) from None
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            raise TokenError(
                f"token endpoint: {request.url} answered HTTP {status}"
            ) from None
        except requests.RequestException as exc:
            reason = type(exc).__name__
            raise TokenError(
                f"token endpoint: {request.url} unreachable ({reason})"
            ) from None
        except ValueError:  # no JSON, or JSON without a token
            raise TokenError(f"token endpoint: {request.url} gave no token") from None
        value = answer.get("access_token")
        if not isinstance(value, str) or not value:
            raise TokenError(f"token endpoint: {request.url} gave no token")
        lifetime = _lifetime(answer.get("expires_in"))
        renew_in = max(lifetime - RENEW_MARGIN, lifetime / 2)
        return Token(value=value, renew_at=asked_at + renew_in)


def fetch_token(request: TokenRequest, timeout: float) -> dict:
    """Send the token request; the endpoint's JSON answer.

    Raises AuthlibBaseError when the endpoint refuses, requests' errors when it
    cannot be reached.
    """
    if request.grant == CLIENT_CREDENTIALS:
        with OAuth2Session(
            request.client_id,
            request.client_secret,
            scope=request.scope or None,
            token_endpoint_auth_method=request.client_auth,
            default_timeout=timeout,
        ) as session:
            return dict(session.fetch_token(request.url, grant_type=CLIENT_CREDENTIALS))
    with OAuth2Session(default_timeout=timeout) as session:
        # The signed assertion is the only credential: no client authentication.
        return dict(
            session.fetch_token(
                request.url,
                grant_type=JWT_BEARER,
                assertion=_assertion(request),
                auth=_no_client_auth,
            )
        )


def _no_client_auth(prepared: requests.PreparedRequest) -> requests.PreparedRequest:
    return prepared


def _assertion(request: TokenRequest) -> str:
    """The service account's signed JWT (RFC 7523), valid for an hour, as
    Google's token endpoint wants it: the scope as a claim, the mailbox as
    the subject."""
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    if request.key_id:
        header["kid"] = request.key_id
    claims = {
        "iss": request.issuer,
        "sub": request.subject,
        "aud": request.url,
        "scope": request.scope,
        "iat": now,
        "exp": now + 3600,
    }
    return jwt.encode(header, claims, RSAKey.import_key(request.private_key))


_shared: dict[OAuthSettings, TokenSource] = {}
_shared_lock = threading.Lock()


def shared_tokens(oauth: OAuthSettings, timeout: float = 30) -> TokenSource:
    """The process's one TokenSource for these settings (IMAP and SMTP share)."""
    with _shared_lock:
        source = _shared.get(oauth)
        if source is None:
            source = _shared[oauth] = TokenSource(oauth, timeout)
        return source


def _refusal(exc: AuthlibBaseError) -> TokenError:
    code = str(exc.error or "error")
    # Microsoft's descriptions carry an AADSTS code on their first line, and
    # a trace id after it; neither holds a secret.
    description = (str(exc.description or "").splitlines() or [""])[0][:160]
    part = "scope" if code in _SCOPE_ERRORS else "token endpoint"
    detail = f"{code}: {description}" if description else code
    return TokenError(f"{part}: refused ({detail})")


def _lifetime(expires_in: object) -> float:
    """expires_in as seconds; one hour when the endpoint does not say."""
    try:
        value = float(expires_in)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 3600.0
    return value if value > 0 else 3600.0
