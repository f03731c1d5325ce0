"""The search text of an encrypted store: identifiers as keyed hashes.

With a keyring (store/crypto.py) a case's search text holds no national
number, phone number, e-mail address or postal address in clear: the
member's national and phone numbers and e-mail addresses (the member's and
the senders') are replaced by their keyed hashes, their address and form
fields are left out, and in the texts of the case and its messages every
number of 9 to 13 digits (a national number, a phone number, however it is
written) is replaced by the hashes of its digits. The words of the texts stay
in clear: that is what full-text search needs.

A query that is a number or an e-mail address is hashed the same way under
every key of the keyring, so it finds cases indexed before a key rotation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from store.crypto import Keyring

NUMBER = "n"
MAIL = "m"
# A run of digits with the separators people write numbers with.
_NUMBERS = re.compile(r"(?<![\w+])\+?\d[\d .\-/()]{6,22}\d(?!\w)")
# Tried only where a word starts: from inside a word it would scan the rest
# of that word again at every character.
_MAILS = re.compile(
    r"(?<![^\s<>()\[\],;:\"'])[^\s<>()\[\],;:\"'@]+@[^\s<>()\[\],;:\"'@]+\.[a-z]{2,}"
)
_MIN_DIGITS, _MAX_DIGITS = 9, 13


def hashed_parts(
    row: Any,
    extra: Iterable[str | None],
    keyring: Keyring,
    fold: Callable[[str | None], str],
    digit_forms: Callable[[str | None], list[str]],
) -> list[str]:
    """The folded parts of a case's search text, identifiers hashed."""

    def numbers(value: str | None) -> list[str]:
        return [keyring.token(NUMBER, form) for form in digit_forms(value)]

    parts = [
        fold(row.number),
        fold(row.member_name),
        fold(row.member_number),
        *digit_forms(row.member_number),
        *numbers(row.member_insz),
        *numbers(row.member_phone),
    ]
    if row.member_email:
        parts.append(keyring.token(MAIL, fold(row.member_email)))
    texts = (row.subject, row.description, row.desired_solution, *extra)
    # Folded and deduplicated before they are scrubbed: a mail's text is
    # often the case's description as well.
    folded = dict.fromkeys(fold(text) for text in texts if text)
    parts.extend(scrub(text, keyring, digit_forms) for text in folded if text)
    return parts


def scrub(
    text: str, keyring: Keyring, digit_forms: Callable[[str | None], list[str]]
) -> str:
    """`text` (folded) with its e-mail addresses and long numbers hashed."""
    if "@" in text:
        text = _MAILS.sub(lambda found: keyring.token(MAIL, found.group(0)), text)

    def number(found: re.Match[str]) -> str:
        written = found.group(0)
        digits = sum(ch.isdigit() for ch in written)
        if not _MIN_DIGITS <= digits <= _MAX_DIGITS:
            return written
        return " ".join(keyring.token(NUMBER, form) for form in digit_forms(written))

    return _NUMBERS.sub(number, text)


def query_tokens(
    terms: list[str], any_of: bool, keyring: Keyring
) -> tuple[list[str], bool]:
    """The terms of a query against hashed text: a number's digit forms and
    an e-mail address become their hashes under every key."""
    if any_of:  # a number: its written form, then its digit forms
        hashed = [t for form in terms[1:] for t in keyring.tokens(NUMBER, form)]
        return [*terms, *hashed], True
    if len(terms) == 1 and _MAILS.fullmatch(terms[0]):
        return [*terms, *keyring.tokens(MAIL, terms[0])], True
    return terms, any_of
