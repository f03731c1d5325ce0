"""One member type, one check: what intake, the command line and the
workspace all make of typed member details (pure), and the command line's
use of it (a wrong address refused; a French category label accepted, as
intake accepts it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from store.member import MEMBER_LIMITS, Member, check_member
from store.models import Case
from tests.formfill import dotted, insz

Cli = Callable[..., Any]


def test_valid_details_are_normalised_without_problems() -> None:
    checked = check_member(
        name="  Jan Peeters ", email="Jan@Example.BE", phone="0470 12 34 56",
        postcode="1000", insz=insz("850730033"), street="", city=" Brussel",
    )  # fmt: skip
    assert checked.problems == ()
    assert checked.member == Member(
        name="Jan Peeters", email="jan@example.be", phone="+32470123456",
        postcode="1000", city="Brussel", insz=dotted(insz("850730033")),
        insz_valid=True,
    )  # fmt: skip


def test_wrong_values_are_kept_as_typed_with_one_problem_each() -> None:
    checked = check_member(
        email="jan@", phone="bel na 18u", postcode="999", insz="85.07.30-033.00"
    )
    assert checked.member.email == "jan@"
    assert checked.member.phone == "bel na 18u"
    assert checked.member.postcode == "999"
    assert (checked.member.insz, checked.member.insz_valid) == (
        "85.07.30-033.00",
        False,
    )
    assert checked.flags == (
        "email_invalid",
        "phone_invalid",
        "postcode_invalid",
        "insz_invalid",
    )
    problem = checked.problem("postcode")
    assert problem is not None and "expected 1000 to 9992" in problem.message
    assert checked.problem("name") is None


@pytest.mark.parametrize(
    ("insz", "valid"),
    [
        ("85133003370", False),  # month 13: the old modulo-97 accepted it
        ("85073003328", True),
        ("85473003317", True),  # a bis number (month + 40)
        ("85473003331", False),
    ],
)
def test_national_numbers_by_stdnum(insz: str, valid: bool) -> None:
    """Issue 17.9: be.nn and be.bis decide, not a hand-written modulo-97."""
    assert check_member(insz=insz).member.insz_valid is valid


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("+32 470 12 34 5", None),  # a truncated mobile is no landline
        ("+32 470 12 34 56", "+32470123456"),
        ("09 264 31 11", "+3292643111"),
    ],
)
def test_phone_numbers_by_phonenumbers(phone: str, stored: str | None) -> None:
    checked = check_member(phone=phone)
    assert checked.member.phone == (stored or phone)
    assert ("phone_invalid" in checked.flags) is (stored is None)


def test_nothing_typed_is_an_empty_member() -> None:
    assert check_member() == check_member(name=" ", email="")
    assert check_member().member == Member()


def test_limits_are_the_column_sizes_of_the_model() -> None:
    assert MEMBER_LIMITS["name"] == Case.__table__.c.member_name.type.length
    assert MEMBER_LIMITS["member_number"] == 40
    assert "insz_valid" not in MEMBER_LIMITS
    long = Member(name="x" * 1000, city="y" * 1000, insz_valid=True).clipped()
    assert len(long.name or "") == MEMBER_LIMITS["name"]
    assert len(long.city or "") == MEMBER_LIMITS["city"]
    assert long.insz_valid is True


def test_member_of_a_case_row_and_as_json() -> None:
    case = Case(member_name="An", member_number="M1", member_insz_valid=False)
    member = Member.of_case(case)
    assert member == Member(name="An", member_number="M1", insz_valid=False)
    assert list(member.as_dict()) == [
        "name", "email", "phone", "street", "postcode", "city",
        "member_number", "insz", "insz_valid",
    ]  # fmt: skip


# --- the command line uses the same check ------------------------------------


@pytest.fixture
def run(cli: Cli, db_url: str, make_config: Callable[..., Path]) -> Cli:
    config = make_config(db_url)
    return lambda *args: cli("--config", config, *args)


def _register(run: Cli, *extra: str) -> Any:
    return run(
        "case", "register", "--channel", "post", "--received-at", "2026-10-01",
        "--description", "Te laat terugbetaald.", *extra,
    )  # fmt: skip


def test_cli_accepts_a_french_category_label_as_intake_does(run: Cli) -> None:
    result = _register(run, "--category", "Remboursement", "--phone", "bel na 18u")
    assert result.code == 0, result.err
    number = result.out.splitlines()[0]
    case = run("case", "show", number, "--format", "json").json()
    assert case["category"] == "terugbetaling"
    assert case["member"]["phone"] == "bel na 18u"
    assert "phone_invalid" in case["flags"]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--postcode", "999", "invalid Belgian postcode '999': expected 1000 to 9992"),
        ("--email", "an@", "invalid e-mail address 'an@'"),
        ("--category", "parking", "unknown category 'parking'"),
    ],
)
def test_cli_refuses_a_wrong_address_or_category(
    run: Cli, option: str, value: str, message: str
) -> None:
    result = _register(run, option, value)
    assert result.code == 2
    assert message in result.err
    assert run("cases", "list", "--format", "json").json() == []
