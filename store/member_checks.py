"""Checks on the member's details as typed: INSZ, phone, postcode, e-mail.

Nothing here corrects a value: a wrong number is reported, never repaired.
Each check is one function, the only one of its kind: `store.member` calls
them for every channel (intake, command line, workspace), so replacing one
(say by python-stdnum or phonenumbers) is a change in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_PHONE_NOISE = re.compile(r"[\s./\-()]")


@dataclass(frozen=True)
class InszCheck:
    """The outcome of checking a national register number (INSZ/NISS)."""

    typed: str
    formatted: str | None
    valid: bool
    reason: str | None


def check_insz(typed: str) -> InszCheck:
    """Check an INSZ with its modulo-97 check digits.

    The check is 97 - (first nine digits mod 97); for people born from 2000 on,
    a "2" is put before the nine digits. A valid number is given back as
    YY.MM.DD-XXX.CC; an invalid one only as typed, with the reason.
    """
    typed = typed.strip()
    if re.search(r"[^\d\s.\-/]", typed):
        return InszCheck(typed, None, False, "contains characters other than digits")
    digits = re.sub(r"\D", "", typed)
    if len(digits) != 11:
        return InszCheck(typed, None, False, f"{len(digits)} digits, expected 11")
    base, check = int(digits[:9]), int(digits[9:])
    if check not in (97 - base % 97, 97 - int("2" + digits[:9]) % 97):
        return InszCheck(typed, None, False, "check digits do not match")
    d = digits
    formatted = f"{d[0:2]}.{d[2:4]}.{d[4:6]}-{d[6:9]}.{d[9:11]}"
    return InszCheck(typed, formatted, True, None)


def normalise_phone(typed: str) -> str | None:
    """A phone number in E.164 form, or None when it cannot be one.

    Belgian numbers are written nationally (02 123 45 67, 0470 12 34 56) or
    internationally (+32 2 ..., 0032 470 ..., +32 (0)470 ...); they become
    +32 followed by 8 digits (fixed lines) or 9 digits starting with 4
    (mobiles). A number with another country code is kept as +digits when it
    has a plausible length (members living abroad).
    """
    raw = typed.strip().replace("(0)", "")
    if not raw or re.search(r"[^\d\s./\-()+]", raw):
        return None
    number = _PHONE_NOISE.sub("", raw)
    if number.startswith("00"):
        number = "+" + number[2:]
    if number.startswith("+"):
        digits = number[1:]
        if not digits.isdigit():
            return None
        if digits.startswith("32"):
            return _belgian(digits[2:])
        return "+" + digits if 8 <= len(digits) <= 15 else None
    if number.startswith("0") and number.isdigit():
        return _belgian(number[1:])
    return None


def _belgian(national: str) -> str | None:
    if national.startswith("0"):
        return None
    if len(national) == 8 or (len(national) == 9 and national.startswith("4")):
        return "+32" + national
    return None


def valid_postcode(typed: str) -> bool:
    """True for a Belgian postcode: four digits from 1000 to 9999."""
    text = typed.strip()
    return bool(re.fullmatch(r"[1-9]\d{3}", text))


def valid_email(typed: str) -> bool:
    """True when ``typed`` is a plausible single e-mail address."""
    text = typed.strip()
    return len(text) <= 254 and bool(_EMAIL.fullmatch(text))
