"""Addresses from From, Reply-To and To: parsed after decoding, checked before use.

An encoded-word may hide anything in a display name, a newline and an "@"
included ("=?utf-8?q?jan=0Abcc=3A_evil=40x.example?= <real@x.example>").
Splitting the raw value first and decoding its pieces afterwards lets such a
name become the address. The standard library's header registry
(email.policy.default) decodes display names as phrases, so they stay names;
where it gives up (it refuses a decoded name holding a newline), the raw value
is split without decoding the address part. Either way an address that holds
a control character, white space or anything an address cannot hold is never
returned: it is not stored and nothing is ever sent to it.
"""

from __future__ import annotations

import email.utils
import re
import unicodedata
from email.message import Message
from email.policy import default

from ingest.mime_headers import decode_header_value, raw_header_values

# A domain: labels of letters (IDN included), digits and hyphens.
_DOMAIN = re.compile(r"^(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,63}$")
# What a local part never holds without quotes (and we take no quoted ones).
_LOCAL_UNSAFE = re.compile(r"[\s\"(),:;<>@\[\\\]]")
MAX_ADDRESS = 320


def has_control(text: str) -> bool:
    """True when `text` holds a control or format character (C0, DEL, C1, bidi)."""
    if text.isprintable():  # the usual case, decided in C
        return False
    return any(unicodedata.category(char) in ("Cc", "Cf") for char in text)


def usable_address(address: str | None) -> bool:
    """A plain `local@domain` we may store and write to: no controls, no space,
    no quotes, brackets or a second "@"."""
    if not address or len(address) > MAX_ADDRESS or has_control(address):
        return False
    local, at, domain = address.rpartition("@")
    if not at or not local or _LOCAL_UNSAFE.search(local):
        return False
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    return _DOMAIN.match(domain) is not None


def header_addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) of every usable mailbox in every
    `name` header of `msg`, in order."""
    found = []
    for value in raw_header_values(msg, name):
        found += parse_addresses(name, value)
    return found


def parse_addresses(name: str, value: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) of each usable mailbox in one raw,
    unfolded header value; unusable ones are left out."""
    if "=?" not in value:
        # Nothing encoded: splitting decodes nothing, so a name cannot turn
        # into an address; and it is ten times cheaper than the registry.
        pairs = email.utils.getaddresses([value])
    else:
        try:
            header = default.header_factory(name, value)
            pairs = [(a.display_name, a.addr_spec) for a in header.addresses]
        except Exception:  # the registry raises many kinds of error on junk
            pairs = _split_raw(value)
    found = []
    for display, address in pairs:
        address = _unquote_local(address.strip()).lower()
        if usable_address(address):
            found.append((clean_display_name(display), address))
    return found


_QUOTED_ATOM = re.compile(r'^"([A-Za-z0-9!#$%&\'*+/=?^_`{|}~.-]+)"@')


def _unquote_local(address: str) -> str:
    """`"target"@example.be` as `target@example.be`: quotes around a plain
    local part change nothing (the registry drops them the same way)."""
    return _QUOTED_ATOM.sub(r"\1@", address)


def _split_raw(value: str) -> list[tuple[str, str]]:
    """Split without decoding the address part; decode only the names."""
    return [
        (decode_header_value(display), address)
        for display, address in email.utils.getaddresses([value])
    ]


def clean_display_name(name: str) -> str:
    """A display name on one line: controls become spaces, runs of space one."""
    if name.isprintable():
        return " ".join(name.split())
    text = "".join(
        " " if unicodedata.category(char) in ("Cc", "Cf") else char for char in name
    )
    return " ".join(text.split())
