"""What a registration typed by a person decides before the store writes it.

Postal, oral, e-loket and contact-form cases come from the command line today
and from the web workspace tomorrow; both ask these rules, so they hold in
one place: when the complaint counts as received, which status and flags a
new case starts with, and how an address typed on one line splits. Pure
functions; a refusal is a UserError with one clear line.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import NamedTuple
from zoneinfo import ZoneInfo

from store.errors import UserError
from store.postal_address import split_address
from store.vocabulary import Channel, Flag, Status

# No complaint of this service was received before; an earlier date is a typo
# (1900 for 2000) that would open a case overdue for a century.
EARLIEST = date(2000, 1, 1)


class Address(NamedTuple):
    street: str | None
    postcode: str | None
    city: str | None


def received_instant(day: date, timezone: str, now: datetime | None = None) -> datetime:
    """A received date as an instant: now if today, else noon that day (local).

    A date after today is refused: a complaint cannot arrive in the future;
    one before EARLIEST is a typo (the same rule as `case confirm`).
    """
    zone = ZoneInfo(timezone)
    now = (now or datetime.now(zone)).astimezone(zone)
    if day > now.date():
        raise UserError(f"received date {day.isoformat()} lies in the future")
    if day == now.date():
        return now
    if day < EARLIEST:
        raise UserError(
            f"received date {day.isoformat()} lies before {EARLIEST.isoformat()}"
        )
    return datetime.combine(day, time(12, 0), tzinfo=zone)


def opening_status(channel: str, handled_immediately: bool = False) -> Status:
    """The status a new case starts in.

    An oral complaint waits for the member's confirmation, unless it was
    handled at once (then it is closed); every other channel is registered.
    """
    if handled_immediately and channel != Channel.ORAL:
        raise UserError("--handled-immediately applies to oral complaints only")
    if channel == Channel.ORAL:
        return Status.CLOSED if handled_immediately else Status.AWAITING_CONFIRMATION
    return Status.REGISTERED


def opening_flags(
    status: str, email: str | None, *, address_complete: bool = True
) -> tuple[Flag, ...]:
    """The flags a new case starts with: an open case without an e-mail
    address waits for a letter, and for the address to post it to when the
    street, postcode or municipality is missing."""
    if email or status == Status.CLOSED:
        return ()
    if not address_complete:
        return (Flag.AWAITING_LETTER, Flag.AWAITING_ADDRESS)
    return (Flag.AWAITING_LETTER,)


def fill_address(
    typed: str | None,
    street: str | None = None,
    postcode: str | None = None,
    city: str | None = None,
) -> Address:
    """Street, postcode and city, the parts given separately winning over an
    address typed on one line ("Kerkstraat 1, 9000 Gent"); a line without a
    Belgian postcode is taken as the street."""
    if not typed or not typed.strip():
        return Address(street, postcode, city)
    split = split_address(typed)
    return Address(
        street or split.street, postcode or split.postcode, city or split.city
    )
