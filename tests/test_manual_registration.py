"""The rules of a registration typed by a person (store/manual_registration.py)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from store.errors import UserError
from store.manual_registration import (
    Address,
    fill_address,
    opening_flags,
    opening_status,
    received_instant,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 3, 10, 23, 30, tzinfo=BRUSSELS)


def test_received_today_is_now_and_earlier_days_noon_local() -> None:
    assert received_instant(date(2026, 3, 10), "Europe/Brussels", NOW) == NOW
    earlier = received_instant(date(2026, 3, 2), "Europe/Brussels", NOW)
    assert earlier == datetime(2026, 3, 2, 12, 0, tzinfo=BRUSSELS)


def test_today_is_the_local_day_not_utcs() -> None:
    # 23:30 UTC on the 10th is 00:30 on the 11th in Brussels: the 11th is
    # today there, not a date in the future.
    utc = datetime(2026, 3, 10, 23, 30, tzinfo=ZoneInfo("UTC"))
    got = received_instant(date(2026, 3, 11), "Europe/Brussels", utc)
    assert got == utc and got.tzinfo == BRUSSELS


def test_a_received_date_in_the_future_is_refused() -> None:
    with pytest.raises(UserError, match="2026-03-11 lies in the future"):
        received_instant(date(2026, 3, 11), "Europe/Brussels", NOW)


@pytest.mark.parametrize(
    "channel, handled, status",
    [
        ("post", False, "registered"),
        ("e-loket", False, "registered"),
        ("contact-form", False, "registered"),
        ("oral", False, "awaiting_confirmation"),
        ("oral", True, "closed"),
    ],
)
def test_opening_status(channel: str, handled: bool, status: str) -> None:
    assert opening_status(channel, handled) == status


def test_handled_immediately_is_for_oral_complaints_only() -> None:
    with pytest.raises(UserError, match="oral complaints only"):
        opening_status("post", True)


def test_an_open_case_without_email_waits_for_a_letter() -> None:
    assert opening_flags("registered", None) == ("awaiting_letter",)
    assert opening_flags("awaiting_confirmation", "") == ("awaiting_letter",)
    assert opening_flags("registered", "lid@example.be") == ()
    assert opening_flags("closed", None) == ()


@pytest.mark.parametrize(
    "typed, parts, expected",
    [
        ("Kerkstraat 1, 9000 Gent", {}, ("Kerkstraat 1", "9000", "Gent")),
        ("Rue Haute 5 1000 Bruxelles", {}, ("Rue Haute 5", "1000", "Bruxelles")),
        ("Kerkstraat 1", {}, ("Kerkstraat 1", None, None)),
        (None, {"street": "Dorp 2"}, ("Dorp 2", None, None)),
        ("  ", {"city": "Gent"}, (None, None, "Gent")),
        (
            "Kerkstraat 1, 9000 Gent",
            {"postcode": "9050", "city": "Gentbrugge"},
            ("Kerkstraat 1", "9050", "Gentbrugge"),
        ),
    ],
)
def test_fill_address(typed, parts, expected) -> None:
    assert fill_address(typed, **parts) == Address(*expected)
