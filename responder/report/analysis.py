"""The part of the yearly report that serves to improve the service (pure).

The procedure's analysis exists "to improve the service in a targeted way":
which causes come up in which service, how often complaints about a service
or a category turn out founded, and which measures were taken. The JSON key
``analysis`` holds:

- ``causes_by_service``: service -> cause -> count (largest first; a case
  without a service or cause counts under "unset").
- ``founded_by_service`` and ``founded_by_category``: name -> ``decided``
  (cases with an outcome of founded, partly founded or unfounded),
  ``founded``, ``partly_founded`` and ``share_founded`` ((founded + partly
  founded) / decided, null when nothing was decided). Withdrawn and
  inadmissible complaints were not judged on their merits and count in none.
- ``measures``: a list of {category, service, measure}: no case number, no
  member.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from responder.report.stats import share
from store.vocabulary import Outcome

if TYPE_CHECKING:
    from store.report_data import YearCounts

UNSET = "unset"
DECIDED = (Outcome.FOUNDED, Outcome.PARTLY_FOUNDED, Outcome.UNFOUNDED)


def analysis(counts: YearCounts) -> dict[str, Any]:
    """The ``analysis`` section of one year."""
    return {
        "causes_by_service": _nested(counts.by_service_cause),
        "founded_by_service": _founded(counts.by_service_outcome),
        "founded_by_category": _founded(counts.by_category_outcome),
        "measures": [
            {"category": category, "service": service, "measure": measure}
            for category, service, measure in counts.measures
        ],
    }


def _name(value: str | None) -> str:
    return UNSET if value is None else str(value)


def _nested(pairs: dict[tuple[Any, Any], int]) -> dict[str, dict[str, int]]:
    grouped: dict[str, dict[str, int]] = defaultdict(dict)
    for (outer, inner), n in pairs.items():
        cell = grouped[_name(outer)]
        cell[_name(inner)] = cell.get(_name(inner), 0) + n
    ranked = sorted(grouped.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return {
        outer: dict(sorted(inner.items(), key=lambda item: (-item[1], item[0])))
        for outer, inner in ranked
    }


def _founded(pairs: dict[tuple[Any, Any], int]) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for (name, outcome), n in pairs.items():
        if outcome not in DECIDED:
            continue
        row = rows.setdefault(
            _name(name), {"decided": 0, "founded": 0, "partly_founded": 0}
        )
        row["decided"] += n
        if outcome == Outcome.FOUNDED:
            row["founded"] += n
        elif outcome == Outcome.PARTLY_FOUNDED:
            row["partly_founded"] += n
    for row in rows.values():
        row["share_founded"] = share(
            row["founded"] + row["partly_founded"], row["decided"]
        )
    return dict(sorted(rows.items(), key=lambda item: (-item[1]["decided"], item[0])))
