"""Gapless case numbers per calendar year.

The counter row is incremented with one atomic upsert inside the registering
transaction: the row lock serialises concurrent registrations on PostgreSQL
(the SQLite write lock does the same), and a rollback returns the number, so
the numbers of a year have no gaps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

from sqlalchemy import Insert, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import CaseCounter


def take_seqs(session: Session, year: int, count: int) -> range:
    """Take the next `count` sequence numbers of `year` in one statement."""
    statement = _upsert(session.get_bind().dialect.name)
    last = int(session.execute(statement, {"year": year, "n": count}).scalar_one())
    return range(last - count + 1, last + 1)


@cache
def _upsert(dialect: str) -> Insert:
    """Built once per dialect: this runs for every batch of registrations."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(CaseCounter.__table__)
        .values(year=bindparam("year"), last_seq=bindparam("n"))
        .on_conflict_do_update(
            index_elements=[CaseCounter.year],
            set_={"last_seq": CaseCounter.last_seq + bindparam("n")},
        )
        .returning(CaseCounter.last_seq)
    )


def format_number(number_format: str, year: int, seq: int) -> str:
    return number_format.format(year=year, seq=seq)


def parse_number(number_format: str, text: str) -> tuple[int, int] | None:
    """(year, seq) of a case number written in `number_format`; None when
    `text` is not such a number."""
    match = _parser(number_format).fullmatch(text.strip())
    if match is None:
        return None
    return int(match["year"]), int(match["seq"])


def highest_numbers(number_format: str, texts: Iterable[str]) -> dict[int, int]:
    """The highest sequence number per year among `texts` (others ignored)."""
    highest: dict[int, int] = {}
    for text in texts:
        parsed = parse_number(number_format, text)
        if parsed is not None:
            year, seq = parsed
            highest[year] = max(seq, highest.get(year, 0))
    return highest


def raise_counters(session: Session, highest: Mapping[int, int]) -> dict[int, int]:
    """Make sure the next number of each year comes after `highest[year]`:
    numbers a lost store handed out (a restore from an older backup) are
    never handed out again. Returns how far each counter moved."""
    moved: dict[int, int] = {}
    for year, seq in sorted(highest.items()):
        row = session.execute(
            select(CaseCounter).where(CaseCounter.year == year).with_for_update()
        ).scalar_one_or_none()
        last = row.last_seq if row is not None else 0
        if seq <= last:
            continue
        if row is None:
            session.add(CaseCounter(year=year, last_seq=seq))
        else:
            row.last_seq = seq
        moved[year] = seq - last
    session.flush()
    return moved


def number_regex(number_format: str) -> str:
    """The regex (text) of a case number in `number_format`, e.g.
    "KL-{year}-{seq:05d}": four digits for the year, at least the padding's
    width for the others (a sequence may outgrow its padding); the first
    {year} and {seq} are the groups of those names. Intake finds numbers in
    mail with it (ingest/classify.py); reconcile reads them back."""
    parts: list[str] = []
    named: set[str] = set()
    position = 0
    for field in _FIELD.finditer(number_format):
        parts.append(re.escape(number_format[position : field.start()]))
        name, width = field.group(1), int(field.group(2) or 1)
        digits = r"\d{4}" if name == "year" else rf"\d{{{width},}}"
        if name in ("year", "seq") and name not in named:
            named.add(name)
            digits = f"(?P<{name}>{digits})"
        parts.append(digits)
        position = field.end()
    parts.append(re.escape(number_format[position:]))
    return "".join(parts)


_FIELD = re.compile(r"\{(\w+)(?::0?(\d+)d)?\}")


@cache
def _parser(number_format: str) -> re.Pattern[str]:
    return re.compile(number_regex(number_format), re.IGNORECASE)
