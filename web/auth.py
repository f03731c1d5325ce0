"""Signing in: the single sign-on header from trusted proxies, else a session.

A request carrying `[web] trusted_user_header` from an address outside
`[web] trusted_proxies` gets 401 (someone tries to name themselves); from a
trusted proxy, the header names an account's e-mail, and a name without an
active account gets 403. Otherwise the signed session cookie holds the e-mail
of a local account, forgotten after `session_idle_minutes` without a request.

Behind the proxy every connection comes from the proxy's address, so the
client's own address (for the per-address sign-in limit) is read from the
proxy's X-Forwarded-For, or X-Real-IP, only when the peer is a trusted proxy.
"""

from __future__ import annotations

import ipaddress
import time
from functools import lru_cache

from starlette.requests import Request

from web.people import Person, find
from web.workspace import Workspace


class Problem(Exception):
    """An HTTP error with a message, shown as a page or as JSON."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def identify(request: Request, ws: Workspace) -> Person | None:
    """The signed-in person, None when nobody is; Problem for a bad header."""
    header = ws.settings.web.trusted_user_header
    if header and header in request.headers:
        return _from_proxy(request, ws, header)
    session = request.session
    email = session.get("email")
    if not isinstance(email, str):
        return None
    now = int(time.time())
    seen = session.get("seen")
    idle = ws.settings.web.session_idle_minutes * 60
    if not isinstance(seen, int) or now - seen > idle:
        sign_out(request)
        return None
    with ws.transaction() as db:
        person = find(db, email)
    if person is None:
        sign_out(request)
        return None
    if now != seen:
        session["seen"] = now
    return person


def _from_proxy(request: Request, ws: Workspace, header: str) -> Person:
    peer = request.client.host if request.client else ""
    if not trusted(peer, tuple(ws.settings.web.trusted_proxies)):
        raise Problem(401, f"{header} is only accepted from the sign-on proxy")
    email = request.headers[header].strip().lower()
    with ws.transaction() as db:
        person = find(db, email) if email else None
    if person is None:
        raise Problem(403, "no active account for the signed-on person")
    return person


def client_address(request: Request, ws: Workspace) -> str:
    """The address of the person's machine, as far as it can be trusted.

    From a peer in `[web] trusted_proxies`: the right-most address of
    X-Forwarded-For that is not itself a trusted proxy (each proxy appends
    the address it saw, so the entries left of that one are the client's own
    words), else X-Real-IP. From any other peer the headers are ignored:
    whoever sends them could otherwise pick a fresh address per attempt.
    """
    peer = request.client.host if request.client else "unknown"
    proxies = tuple(ws.settings.web.trusted_proxies)
    if not trusted(peer, proxies):
        return peer
    hops = [
        hop.strip()
        for value in request.headers.getlist("x-forwarded-for")
        for hop in value.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not trusted(hop, proxies):
            return _address(hop)
    if hops:
        # Every hop is a trusted proxy: the left-most is the origin.
        return _address(hops[0])
    real = request.headers.get("x-real-ip", "").strip()
    return _address(real) if real else peer


def _address(hop: str) -> str:
    """An address in one spelling ("::0001" is "::1"); other text as it is,
    shortened (only a misconfigured proxy hands on a name or garbage)."""
    try:
        return ipaddress.ip_address(hop).compressed
    except ValueError:
        return hop[:100]


# Bounded: the addresses asked about come from the network.
@lru_cache(maxsize=4096)
def trusted(peer: str, proxies: tuple[str, ...]) -> bool:
    """True when the peer address lies in one of the trusted proxies."""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(proxy, strict=False) for proxy in proxies
    )


def start_session(request: Request, person: Person) -> None:
    """Remember the person in a fresh session (keeping only the language)."""
    language = request.session.get("lang")
    request.session.clear()
    request.session["email"] = person.email
    request.session["seen"] = int(time.time())
    if language:
        request.session["lang"] = language


def sign_out(request: Request) -> None:
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
