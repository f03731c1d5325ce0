"""Mask personal data and secrets in strings and nested structures.

Log lines leave the process (journald, log shippers, support tickets), so
nothing that identifies a member may stand in them in clear.  These functions
are pure and pragmatic: they over-mask rather than under-mask, but leave alone
the things an operator needs to read a log: case numbers (``KL-2026-00042``),
IMAP UIDs, ports, IP addresses, ISO dates and times, UUIDs.

What is replaced by what:

* e-mail address: first character of the local part and the domain,
  ``jan.peeters@example.be`` -> ``j***@example.be``.  The domain tells an
  operator which provider a problem comes from; one character does not
  identify a member.  (A short hash was rejected: hashes of e-mail
  addresses are reversed with a dictionary.)
* national register number (INSZ/NISS), formatted or not -> ``<insz>``
* phone number (Belgian national and international forms) -> ``<phone>``
* IBAN -> country code kept, ``BE<iban>``
* street address with house number -> ``<address>``
* password in a URL (``postgresql://user:pw@host``) -> ``user:***@host``

By key, in `mask_value`: keys that name a secret become ``"***"``; keys
that carry personal data get a stronger rule (see `mask_value`); the value
under ``message_id`` is kept as it is, for correlation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.utils import getaddresses
from typing import Any

_SEP = r"[ ./-]?"  # one optional separator between digit groups

# The house number: "12", "12A", "12 bus 3", "16 bte 2", "54/3".
_HOUSE_NUMBER = (
    r"\d{1,4}(?:[ ]?[A-Za-z](?![\w]))?"
    r"(?:[ ]?(?:/|bus|bte|boîte|b\.)[ ]?\d{1,4}[A-Za-z]?)?(?![\w])"
)
_NL_STREET_SUFFIX = (
    r"straat|steenweg|laan|lei|dreef|plein|markt|kaai|dijk|baan|singel|vest|"
    r"gracht|hof|pad|weg|strasse|straße"
)
_FR_STREET_TYPE = (
    r"rue|avenue|av\.|boulevard|bd|chaussée|chaussee|place|chemin|allée|allee|"
    r"quai|square|impasse|route|drève|dreve|clos|rempart|galerie"
)

# One scanner over the text; at any position the first alternative that
# matches wins, so the "keep" alternatives protect dates, times, case numbers
# and addresses of machines from the looser phone and address patterns.
_SCANNER = re.compile(
    rf"""
    (?P<url_cred>(?<=://)[^\s:/@]+:[^\s@/]+@)
  | (?P<email>[\w.+'-]+@[\w-]+(?:\.[\w-]+)+)
  | (?P<iban>\b[A-Z]{{2}}\d{{2}}(?:[ ]?[A-Z0-9]{{4}}){{2,7}}(?:[ ]?[A-Z0-9]{{1,3}})?\b)
  | (?P<insz>(?<![\w.-])\d{{2}}[. ]?\d{{2}}[. ]?\d{{2}}[ -]?\d{{3}}[. ]?\d{{2}}(?![\w]))
  | (?P<keep>
        \b[A-Z]{{2,5}}-\d{{4}}-\d{{3,6}}\b                          # case number
      | \b[0-9a-fA-F]{{8}}(?:-[0-9a-fA-F]{{4}}){{3}}-[0-9a-fA-F]{{12}}\b  # UUID
      | \b\d{{4}}-\d{{2}}-\d{{2}}
        (?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:[.,]\d+)?)?)?
        (?:Z|[+-]\d{{2}}:?\d{{2}})?                                 # ISO date
      | \b\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{4}}\b                     # 30/07/2026
      | \b\d{{1,2}}:\d{{2}}(?::\d{{2}})?\b                          # time
      | \b\d{{1,3}}(?:\.\d{{1,3}}){{3}}(?::\d+)?\b                  # IPv4
    )
  | (?P<phone>
        (?<![\w+/.-])
        (?:
            (?:\+|00)[1-9]\d{{0,2}}(?:[ ]?\(0\))?(?:{_SEP}\d{{1,4}}){{2,6}}
          | \(?0\d{{1,3}}\)?(?:{_SEP}\d{{2,4}}){{1,4}}
        )
        (?![\w])
    )
  | (?P<street_nl>
        \b(?:[A-Z][\w'-]*[ ]){{0,2}}[A-Za-zÀ-ÿ'-]*(?i:{_NL_STREET_SUFFIX})
        [ ,]{{1,2}}{_HOUSE_NUMBER}
    )
  | (?P<street_fr>
        \b(?i:{_FR_STREET_TYPE})[ ](?:[\w'’.-]+[ ]){{0,5}}?[\w'’.-]+
        ,?[ ]{_HOUSE_NUMBER}
    )
    """,
    re.VERBOSE,
)


def _mask_email(address: str) -> str:
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"


def _mask_phone(number: str) -> str:
    # The pattern is loose about grouping; the digit count decides whether
    # this is a phone number (8 to 9 digits after the trunk 0, 8 to 13 in
    # international form) or some other number that must stay readable.
    digits = re.sub(r"\D", "", number)
    international = number.startswith(("+", "00"))
    low, high = (10, 15) if international else (9, 10)
    return "<phone>" if low <= len(digits) <= high else number


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup
    text = match.group()
    if kind == "url_cred":
        return text.split(":", 1)[0] + ":***@"
    if kind == "email":
        return _mask_email(text)
    if kind == "iban":
        return text[:2] + "<iban>"
    if kind == "insz":
        return "<insz>"
    if kind == "phone":
        return _mask_phone(text)
    if kind in ("street_nl", "street_fr"):
        return "<address>"
    return text  # "keep": a date, time, case number, UUID or IP address


def mask_text(s: str) -> str:
    """Return *s* with e-mail addresses, INSZ, phone numbers, IBANs,
    street addresses and URL passwords masked; everything else unchanged."""
    return _SCANNER.sub(_replace, s)


_SECRET_WORDS = ("password", "passwd", "secret", "token", "credential", "apikey")


def _is_secret_key(key: str) -> bool:
    folded = key.lower().replace("_", "").replace("-", "")
    return any(word in folded for word in _SECRET_WORDS)


def _redact(value: str) -> str:
    return f"<redacted len={len(value)}>"


def _mask_addresses(value: str) -> str:
    # "Jan Peeters <jan@example.be>": the display name is personal data too,
    # so only the masked addresses survive.
    found = [addr for _, addr in getaddresses([value]) if "@" in addr]
    if not found:
        return _redact(value)
    return ", ".join(_mask_email(addr) for addr in found)


_KEY_RULES: dict[str, Callable[[str], str]] = {
    **dict.fromkeys(
        (
            "name",
            "member_name",
            "first_name",
            "last_name",
            "full_name",
            "display_name",
            "street",
            "address",
            "postal_address",
            "body",
            "text",
            "description",
        ),
        _redact,
    ),
    **dict.fromkeys(
        ("insz", "niss", "national_number", "rijksregisternummer"),
        lambda _value: "<insz>",
    ),
    **dict.fromkeys(("phone", "telephone", "mobile", "gsm"), lambda _value: "<phone>"),
    **dict.fromkeys(
        (
            "email",
            "email_address",
            "sender",
            "recipient",
            "recipients",
            "from",
            "to",
            "cc",
            "bcc",
            "reply_to",
        ),
        _mask_addresses,
    ),
}


def _rebuild(original: list | tuple, items: list) -> list | tuple:
    if isinstance(original, list):
        return items
    if hasattr(original, "_fields"):  # a named tuple takes its fields one by one
        return type(original)(*items)
    return tuple(items)


def _mask_by_rule(rule: Callable[[str], str], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return _rebuild(value, [_mask_by_rule(rule, item) for item in value])
    if isinstance(value, dict):
        return mask_value(value)
    if isinstance(value, bytes):
        return f"<redacted bytes={len(value)}>"
    return rule(str(value))


# A Message-ID is how an operator finds a message in the store and in the
# mailbox; masked to "C***@mail.gmail.com" it would no longer be unique.
_VERBATIM_KEYS = frozenset({"message_id"})


def _mask_item(key: Any, value: Any) -> Any:
    if isinstance(key, str):
        if key.lower() in _VERBATIM_KEYS:
            return value
        if _is_secret_key(key):
            return "***"
        rule = _KEY_RULES.get(key.lower())
        if rule is not None:
            return _mask_by_rule(rule, value)
    return mask_value(value)


def mask_value(obj: Any) -> Any:
    """Return a masked copy of *obj*.

    Strings go through `mask_text`; dicts, lists and tuples are rebuilt with
    their items masked, dict values by the rule their key calls for: keys
    naming a secret (password, secret, token, credential) become ``"***"``,
    names, streets, bodies and descriptions become ``"<redacted len=N>"``,
    ``insz`` and ``phone`` become ``"<insz>"``/``"<phone>"`` and address
    fields (email, sender, recipient, ...) keep only the masked addresses.
    Other objects are returned as they are.
    """
    if isinstance(obj, str):
        return mask_text(obj)
    if isinstance(obj, dict):
        return {key: _mask_item(key, value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return _rebuild(obj, [mask_value(item) for item in obj])
    return obj
