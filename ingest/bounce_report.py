"""What a delivery report says: which address failed, which mail it returns.

flufl.bounce (GNU Mailman's bounce detectors, well kept and tested on years
of real bounces) finds the failed recipients of a DSN (RFC 3464) and of the
many servers that send free-form reports instead. The Message-IDs of the
returned mail come from the report's message/rfc822 or text/rfc822-headers
part, from "Message-ID:" lines a free-form report quotes, and from the
report's own In-Reply-To and References. Pure: bytes in, facts out; the store
decides which of our mails, and so which case, they name.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email.message import Message
from email.policy import compat32

from flufl.bounce import all_failures

_MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*<([^<>\s]{1,300})>", re.I | re.M)
_ANGLED = re.compile(r"<([^<>\s]{1,300})>")
_HEADER_PARTS = ("message/rfc822", "text/rfc822-headers")
_MAX_IDS = 20


@dataclass(frozen=True)
class BounceFacts:
    """The failed addresses (lower case) and the returned mails' Message-IDs
    (without angle brackets)."""

    failed: tuple[str, ...] = ()
    message_ids: tuple[str, ...] = ()


def read_bounce(raw: bytes) -> BounceFacts:
    """The facts of one delivery report; empty when it names nothing."""
    message = email.message_from_bytes(raw, policy=compat32)
    return BounceFacts(failed=failed_addresses(message), message_ids=_ids(message))


def failed_addresses(message: Message) -> tuple[str, ...]:
    """The permanently failed recipients flufl.bounce finds; a report of
    delay only (a temporary failure) names none."""
    try:
        _temporary, permanent = all_failures(message)
    except Exception:  # a detector tripping on hostile mail names nobody
        return ()
    found = {_text(address).strip().lower() for address in permanent}
    return tuple(sorted(a for a in found if "@" in a and len(a) <= 320))


def _ids(message: Message) -> tuple[str, ...]:
    found: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind in _HEADER_PARTS or kind.startswith("text/"):
            found += _MESSAGE_ID.findall(_part_text(part))
    for name in ("In-Reply-To", "References"):
        found += _ANGLED.findall(str(message.get(name, "")))
    return tuple(dict.fromkeys(found))[:_MAX_IDS]


def _part_text(part: Message) -> str:
    """A part as text: the headers of an attached message, or decoded text."""
    if part.is_multipart():
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            return "".join(f"{k}: {v}\n" for k, v in inner[0].items())
        return ""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return payload[:200_000].decode("utf-8", "replace")


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
