"""Regional offices (`[cases] regional_offices`): who serves which postcodes.

An office is a TOML table: `name`, `postcodes` (a list whose items are single
postcodes, 9000 or "9000", or inclusive ranges "9000-9999"), `address` (the
postal address lines letters print as the sender) and optionally
`coordinators` (addresses that get the reminders of the office's unassigned
cases). Pure lookups; the checks run at start-up (config/validate.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_RANGE = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?$")


@dataclass(frozen=True)
class RegionalOffice:
    name: str = ""
    # 9000, "9000" or "9000-9999" (inclusive).
    postcodes: list[int | str] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    coordinators: list[str] = field(default_factory=list)

    def ranges(self) -> list[tuple[int, int]]:
        """The postcodes as inclusive (low, high) pairs; ValueError when one
        is not a Belgian postcode or range."""
        return [postcode_range(item) for item in self.postcodes]

    def serves(self, postcode: str | None) -> bool:
        number = _postcode_number(postcode)
        if number is None:
            return False
        return any(low <= number <= high for low, high in self.ranges())


def postcode_range(item: int | str) -> tuple[int, int]:
    """9000 -> (9000, 9000); "9000-9999" -> (9000, 9999)."""
    match = _RANGE.match(str(item))
    if match is None or isinstance(item, bool):
        raise ValueError(f"{item!r} is not a postcode or a range like 9000-9999")
    low = int(match[1])
    high = int(match[2] or match[1])
    if not 1000 <= low <= high <= 9999:
        raise ValueError(f"{item!r} is not a range of Belgian postcodes")
    return low, high


def _postcode_number(postcode: str | None) -> int | None:
    text = (postcode or "").strip().upper().removeprefix("B-").removeprefix("B")
    return int(text) if re.fullmatch(r"\d{4}", text.strip()) else None


def office_for_postcode(
    offices: Iterable[RegionalOffice], postcode: str | None
) -> RegionalOffice | None:
    """The first office that serves `postcode` (offices never overlap)."""
    return next((o for o in offices if o.serves(postcode)), None)


def office_named(
    offices: Iterable[RegionalOffice], name: str | None
) -> RegionalOffice | None:
    """The office called `name` (case and surrounding spaces ignored)."""
    wanted = (name or "").strip().lower()
    if not wanted:
        return None
    return next((o for o in offices if o.name.strip().lower() == wanted), None)


def office_address(offices: Iterable[RegionalOffice], name: str | None) -> list[str]:
    """The postal address lines of the office called `name` (a case's
    `regional_office`); empty when it has none or is not configured."""
    office = office_named(offices, name)
    return [line for line in office.address if line.strip()] if office else []


def office_problems(offices: Iterable[RegionalOffice]) -> list[str]:
    """What is wrong with the configured offices, one line each."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    taken: list[tuple[int, int, str]] = []
    for index, office in enumerate(offices, start=1):
        where = f"config: [cases] regional_offices[{index}]"
        name = office.name.strip()
        if not name:
            problems.append(f"{where} has no name")
        elif name.lower() in seen:
            problems.append(f"{where} repeats the name {name!r}")
        seen[name.lower()] = index
        if not any(line.strip() for line in office.address):
            problems.append(f"{where} ({name}) has no address")
        for item in office.postcodes:
            try:
                low, high = postcode_range(item)
            except ValueError as exc:
                problems.append(f"{where} ({name}) postcodes: {exc}")
                continue
            for other_low, other_high, other in taken:
                if low <= other_high and other_low <= high and other != name:
                    problems.append(
                        f"{where} ({name}) postcodes {item} overlap those of {other}"
                    )
            taken.append((low, high, name))
    return problems
