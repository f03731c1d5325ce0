"""A Belgian postal address typed as text, split into its parts (pure).

Forms, web-form and e-Loket notifications and the command line all meet
addresses written on one line ("Kerkstraat 14, 9300 Aalst"), over several
lines ("Rue de la Loi 16 bte 3" / "B-1000 Bruxelles" / "Belgique") or as a
postcode and municipality alone. `split_address` finds the postcode (the
last group of four digits followed by a name), takes what comes before it as
street and number (with the box, "bus"/"bte"/"boîte"/"Postfach", kept in the
street line as typed and also given on its own) and what follows as the
municipality. Nothing is corrected: a postcode outside 1000-9992 is still
split, and the member check reports it. The text as typed stays where it was
read (the form fields of the case).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Lines or trailing words naming the country: not part of the municipality.
_COUNTRY = re.compile(
    r"[\s,;-]*\b(belgi[eë]|belgique|belgien|belgium|belgi[eë]n)\b\.?\s*$",
    re.IGNORECASE,
)
# The postcode: four digits, perhaps after "B-", "BE-" or "B ", followed by
# the municipality's name (which starts with a letter).
_POSTCODE_CITY = re.compile(
    r"(?:^|(?<=[\s,;]))(?:BE?\s*-?\s*)?(?P<postcode>[1-9]\d{3})"
    r"(?:\s*[,\-]\s*|\s+)(?!(?:bus|bte|boîte|boite|box|postfach)\b)"
    r"(?P<city>[^\W\d_][^\d;]*?)\s*$",
    re.IGNORECASE,
)
_BOX = re.compile(
    r"(?:\b(?:bus|bte|boîte|boite|box|postfach|pf)\.?|(?<=\d)\s*/)\s*"
    r"(?P<box>[A-Za-z0-9]{1,6})\s*$",
    re.IGNORECASE,
)
# Belgian postcodes run from 1000 (Brussels) to 9992 (Maldegem).
LOWEST_POSTCODE = 1000
HIGHEST_POSTCODE = 9992


@dataclass(frozen=True)
class PostalAddress:
    """The parts of an address; any may be missing."""

    street: str | None = None
    box: str | None = None
    postcode: str | None = None
    city: str | None = None

    @property
    def complete(self) -> bool:
        """Enough to post a letter: street, postcode and municipality."""
        return bool(self.street and self.postcode and self.city)


def belgian_postcode(text: str) -> bool:
    """True for a Belgian postcode: four digits from 1000 to 9992."""
    text = text.strip()
    return (
        text.isascii()
        and text.isdigit()
        and len(text) == 4
        and (LOWEST_POSTCODE <= int(text) <= HIGHEST_POSTCODE)
    )


def split_address(typed: str | None) -> PostalAddress:
    """Street (with number and box), postcode and municipality of `typed`.

    A text without a postcode followed by a name is all street.
    """
    lines = [_clean(line) for line in (typed or "").splitlines()]
    lines = [line for line in lines if line and not _COUNTRY.fullmatch(line)]
    if not lines:
        return PostalAddress()
    text = _COUNTRY.sub("", ", ".join(lines)).strip(" ,;")
    match = _POSTCODE_CITY.search(text)
    if match is None:
        return _street_only(text)
    street = text[: match.start()].strip(" ,;-") or None
    city = match["city"].strip(" ,;-")
    address = _street_only(street) if street else PostalAddress()
    return PostalAddress(address.street, address.box, match["postcode"], city)


def postcode_line(line: str) -> bool:
    """True for a line that is a postcode and municipality ("B-9300 Aalst"),
    as the second line of an address is."""
    match = _POSTCODE_CITY.match(_clean(line))
    return match is not None and match.start() == 0


def _street_only(text: str) -> PostalAddress:
    box = _BOX.search(text)
    return PostalAddress(street=text or None, box=box["box"] if box else None)


def _clean(line: str) -> str:
    return " ".join(line.replace("\xa0", " ").split()).strip(" ,;")
