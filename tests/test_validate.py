"""INSZ, phone, postcode and e-mail checks."""

from __future__ import annotations

import pytest

from store.member_checks import (
    check_insz,
    normalise_phone,
    valid_email,
    valid_postcode,
)
from tests.formfill import dotted, insz

VALID_1985 = insz("850730033")
VALID_2001 = insz("010203123", born_2000=True)


def test_insz_valid_before_2000_is_formatted() -> None:
    result = check_insz(VALID_1985)
    assert result.valid and result.reason is None
    assert result.formatted == dotted(VALID_1985)
    assert result.typed == VALID_1985


def test_insz_typed_with_dots_and_dash_is_accepted() -> None:
    result = check_insz(" " + dotted(VALID_1985) + " ")
    assert result.valid and result.formatted == dotted(VALID_1985)


def test_insz_born_from_2000_needs_the_prefix_rule() -> None:
    # Without the "2" rule this number fails; the check must use it.
    plain_check = 97 - int("010203123") % 97
    assert VALID_2001[-2:] != f"{plain_check:02d}"
    result = check_insz(dotted(VALID_2001))
    assert result.valid and result.formatted == dotted(VALID_2001)


def test_insz_month_13_is_no_birth_date() -> None:
    """The hand-written modulo-97 check accepted 85133003370 (issue 17)."""
    typed = insz("851330033")  # right check digits, impossible month
    result = check_insz(typed)
    assert not result.valid and result.formatted is None


def test_bis_number_is_valid() -> None:
    bis = insz("852730033")  # BIS: month + 20
    result = check_insz(bis)
    assert result.valid and result.formatted == dotted(bis)


def test_insz_bad_checksum_is_kept_as_typed() -> None:
    wrong = VALID_1985[:9] + f"{(int(VALID_1985[9:]) % 97) + 1:02d}"
    typed = dotted(wrong)
    result = check_insz(typed)
    assert not result.valid
    assert result.formatted is None
    assert result.typed == typed
    assert result.reason == "check digits do not match"


@pytest.mark.parametrize("typed", ["8507300336", "850730033612", "85.07.30-033", ""])
def test_insz_wrong_length(typed: str) -> None:
    result = check_insz(typed)
    assert not result.valid and "expected 11" in (result.reason or "")


def test_insz_with_letters_is_invalid() -> None:
    result = check_insz("85O73OO3361")
    assert not result.valid and result.typed == "85O73OO3361"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0470 12 34 56", "+32470123456"),
        ("0470/12.34.56", "+32470123456"),
        ("+32 470 12 34 56", "+32470123456"),
        ("0032 470 12 34 56", "+32470123456"),
        ("+32 (0)470 12 34 56", "+32470123456"),
        ("02 542 86 00", "+3225428600"),
        ("09-265.98.00", "+3292659800"),
        ("+31 20 123 4567", "+31201234567"),
        ("0470 12 34", None),
        ("02 123 45 678", None),
        ("+32 0470 12 34 56", "+32470123456"),  # the national 0 written too
        ("+32 470 12 34 5", None),  # a truncated mobile is no landline
        ("02 123 45 67", None),  # no such Brussels number range
        ("bel me", None),
        ("", None),
    ],
)
def test_normalise_phone(typed: str, expected: str | None) -> None:
    assert normalise_phone(typed) == expected


@pytest.mark.parametrize(
    ("typed", "ok"),
    [("1000", True), ("9992", True), ("9999", False), (" 3500 ", True), ("0999", False),
     ("999", False), ("10000", False), ("B-1000", False), ("abcd", False)],
)  # fmt: skip
def test_valid_postcode(typed: str, ok: bool) -> None:
    assert valid_postcode(typed) is ok


@pytest.mark.parametrize(
    ("typed", "ok"),
    [("jan.peeters@example.be", True), ("a+b@sub.example.org", True),
     ("jan@localhost", False), ("jan peeters@example.be", False),
     ("jan@@example.be", False), ("@example.be", False), ("jan@", False),
     ("a@b.c", False), ("x" * 250 + "@example.be", False)],
)  # fmt: skip
def test_valid_email(typed: str, ok: bool) -> None:
    assert valid_email(typed) is ok
