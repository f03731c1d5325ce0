"""Checks on the member's details as typed: INSZ, phone, postcode, e-mail.

Nothing here corrects a value: a wrong number is reported, never repaired.
Each check is one function, the only one of its kind: `store.member` calls
them for every channel (intake, command line, workspace), so replacing one
is a change in one place. INSZ and phone numbers are checked by well-kept
libraries (python-stdnum, phonenumbers), not by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from store.postal_address import belgian_postcode

_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


@dataclass(frozen=True)
class InszCheck:
    """The outcome of checking a national register number (INSZ/NISS)."""

    typed: str
    formatted: str | None
    valid: bool
    reason: str | None


def check_insz(typed: str) -> InszCheck:
    """Check a national register number (INSZ/NISS) or a BIS number.

    python-stdnum checks the digits, the check number (with the "2" before
    the first nine for people born from 2000 on) and that the birth date can
    be a date (month 13 cannot; a BIS number adds 20 or 40 to the month). A
    valid number is given back as YY.MM.DD-XXX.CC; an invalid one only as
    typed, with the reason.
    """
    from stdnum import exceptions
    from stdnum.be import bis, nn

    typed = typed.strip()
    if re.search(r"[^\d\s.\-/]", typed):
        return InszCheck(typed, None, False, "contains characters other than digits")
    digits = re.sub(r"\D", "", typed)
    if len(digits) != 11:
        return InszCheck(typed, None, False, f"{len(digits)} digits, expected 11")
    reason = "not a valid national register or BIS number"
    for kind in (nn, bis):
        try:
            kind.validate(digits)
        except exceptions.InvalidChecksum:
            reason = "check digits do not match"
        except exceptions.ValidationError:
            continue
        else:
            return InszCheck(typed, nn.format(digits), True, None)
    return InszCheck(typed, None, False, reason)


def normalise_phone(typed: str) -> str | None:
    """A phone number in E.164 form, or None when it cannot be one.

    phonenumbers (Google's libphonenumber) reads Belgian numbers written
    nationally (02 123 45 67, 0470 12 34 56) or internationally (+32 ...,
    0032 ..., +32 (0)470 ...) and numbers of other countries with their
    code (members living abroad); a number too short or too long for its
    kind (a truncated mobile) is no number.
    """
    import phonenumbers

    raw = typed.strip().replace("(0)", "")
    if not raw or re.search(r"[^\d\s./\-()+]", raw):
        return None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        number = phonenumbers.parse(raw, "BE")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def valid_postcode(typed: str) -> bool:
    """True for a Belgian postcode: four digits from 1000 to 9992."""
    return belgian_postcode(typed)


def valid_email(typed: str) -> bool:
    """True when ``typed`` is a plausible single e-mail address."""
    text = typed.strip()
    return len(text) <= 254 and bool(_EMAIL.fullmatch(text))
