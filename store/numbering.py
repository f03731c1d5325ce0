"""Gapless case numbers per calendar year.

The counter row is incremented with one atomic upsert inside the registering
transaction: the row lock serialises concurrent registrations on PostgreSQL
(the SQLite write lock does the same), and a rollback returns the number, so
the numbers of a year have no gaps.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Insert, bindparam
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
