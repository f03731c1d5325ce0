"""The report as a list of small tables: shared by PDF, XLSX and zipped CSV.

Each table has a machine name (a file or sheet name), a title in the report's
language, column keys (for tools) and headers (for people). The first column
holds a machine key (a channel code, a measure name); `labels` holds what a
person reads in its place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from responder.report import labels
from responder.report.figures import Durations, Figures

CASE_COLUMNS = (
    "number",
    "received",
    "channel",
    "category",
    "status",
    "outcome",
    "member_name",
    "days_to_answer",
)


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[str, ...]
    headers: tuple[str, ...]
    rows: list[list[Any]]
    labels: list[str]

    def human_rows(self) -> list[list[Any]]:
        """The rows with their first cell replaced by its label."""
        return [
            [label, *row[1:]] for label, row in zip(self.labels, self.rows, strict=True)
        ]


def build_tables(figures: Figures, language: str) -> list[Table]:
    """Every table of the report, in reading order."""
    cur = figures.current

    cutoff = labels.cutoff_words(figures.cutoff, figures.timezone, language)

    def t(key: str, **values: Any) -> str:
        return labels.text(language, key, **{"cutoff": cutoff, **values})

    def w(key: str, **values: Any) -> str:
        """As t, with "within N days" in the kind of day the deadlines count."""
        if key == "share_within" and figures.day_kind == "business":
            key = "share_within_business"
        return t(key, **values)

    def counts(
        name: str, title: str, data: dict[str, int], coded: bool = True
    ) -> Table:
        def label(key: str) -> str:
            if name == "by_month":
                return labels.month_name(key, language)
            if coded or key == "unset":
                return labels.name(language, key)
            return figures.label(language, key) if name == "by_category" else key

        return Table(
            name,
            title,
            ("key", "count"),
            (title, t("count")),
            [[k, v] for k, v in data.items()],
            [label(k) for k in data],
        )

    months = cur.received["by_month"]
    tables = [
        _summary(figures, language),
        counts("by_channel", t("by_channel"), cur.received["by_channel"]),
        counts("by_category", t("by_category"), cur.received["by_category"], False),
        counts("by_language", t("by_language"), cur.received["by_language"]),
        counts("by_month", t("by_month"), {str(m): months[m] for m in months}, False),
        counts("outcomes", t("outcomes"), cur.outcomes),
        counts("by_status", t("status"), cur.by_status),
        _durations("acknowledgement", t("acknowledgement"), cur.acknowledgement, w),
        _durations("answer", t("answer"), cur.answer, w),
        counts(
            "answer_distribution",
            t("distribution"),
            cur.answer.distribution or {},
            False,
        ),
        _measures("overdue", t("overdue"), vars(cur.overdue), t),
        _measures("follow_ups", t("follow_ups"), cur.follow_ups, t),
        counts(
            "acks_not_sent",
            t("acks_not_sent"),
            cur.acknowledgements_not_sent["by_reason"],
        ),
        counts(
            "acknowledged_without_mail",
            t("acknowledged_without_mail"),
            cur.acknowledgements_not_sent["acknowledged_without_mail"],
        ),
        counts("non_complaints", t("non_complaints"), cur.non_complaint_messages),
    ]
    tables += analysis_tables(figures, language)
    offices = cur.received["by_regional_office"]
    if offices:
        tables.insert(4, counts("by_regional_office", t("by_regional_office"), offices))
    if figures.cases is not None:
        tables.append(_cases(figures, t))
    return tables


def analysis_tables(figures: Figures, language: str) -> list[Table]:
    """Causes by service, the share founded per service and per category, and
    the measures taken; configured names in the report's language."""
    found = figures.current.analysis

    def t(key: str) -> str:
        return labels.text(language, key)

    def shown(name: str | None) -> str:
        if name is None or name == "unset":
            return labels.name(language, "unset")
        return figures.label(language, name)

    causes = [
        [shown(service), shown(cause), n]
        for service, by_cause in found["causes_by_service"].items()
        for cause, n in by_cause.items()
    ]
    tables = [
        Table(
            "causes_by_service",
            t("causes_by_service"),
            ("service", "cause", "count"),
            (t("service"), t("cause"), t("count")),
            causes,
            [row[0] for row in causes],
        ),
        _founded(
            "founded_by_service", found["founded_by_service"], t("service"), t, shown
        ),
        _founded(
            "founded_by_category",
            found["founded_by_category"],
            t("category"),
            t,
            shown,
        ),
    ]
    measures = [
        [shown(m["category"]), shown(m["service"]), m["measure"]]
        for m in found["measures"]
    ]
    tables.append(
        Table(
            "measures",
            t("measures"),
            ("category", "service", "measure"),
            (t("category"), t("service"), t("measure")),
            measures,
            [row[0] for row in measures],
        )
    )
    return tables


FOUNDED_COLUMNS = ("decided", "founded", "partly_founded", "share_founded")


def _founded(
    name: str, rows: dict[str, dict[str, Any]], title: str, t: Any, shown: Any
) -> Table:
    body = [
        [shown(key), *(row[c] for c in FOUNDED_COLUMNS)] for key, row in rows.items()
    ]
    return Table(
        name,
        t(name),
        ("name", *FOUNDED_COLUMNS),
        (title, *(t(c) for c in FOUNDED_COLUMNS)),
        body,
        [row[0] for row in body],
    )


def _summary(figures: Figures, language: str) -> Table:
    cutoff = labels.cutoff_words(figures.cutoff, figures.timezone, language)
    current = figures.current.main_counts()
    previous = figures.previous.main_counts() if figures.previous else None
    deltas = figures.deltas or {}
    rows = [
        [key, value, previous[key] if previous else None, deltas.get(key)]
        for key, value in current.items()
    ]
    year = figures.year
    return Table(
        "summary",
        labels.text(language, "summary"),
        ("key", "this_year", "previous_year", "difference"),
        (
            labels.text(language, "figure"),
            str(year),
            str(year - 1),
            labels.text(language, "difference"),
        ),
        rows,
        [labels.name(language, key, cutoff) for key in current],
    )


def _durations(name: str, title: str, d: Durations, t: Any) -> Table:
    rows = [
        ["count", d.count],
        ["median_days", d.median_days],
        ["p90_days", d.p90_days],
        ["within", d.within],
        ["share_within", d.share_within],
    ]
    return _measure_table(name, title, rows, t, d.within_days)


def _measures(name: str, title: str, values: dict[str, Any], t: Any) -> Table:
    return _measure_table(name, title, [[k, v] for k, v in values.items()], t, 0)


def _measure_table(
    name: str, title: str, rows: list[list[Any]], t: Any, days: int
) -> Table:
    return Table(
        name,
        title,
        ("key", "value"),
        (title, ""),
        rows,
        [_measure_label(row[0], t, days) for row in rows],
    )


MEASURE_KEYS = {
    "count": "count",
    "median_days": "median_days",
    "p90_days": "p90_days",
    "answered_late": "answered_late",
    "open_late": "open_late",
    "median_days_late": "median_days_late",
    "max_days_late": "max_days_late",
    "total": "follow_total",
    "cases_with": "cases_with",
    "mean_per_case": "mean_per_case",
    "max_per_case": "max_per_case",
}


def _measure_label(key: str, t: Any, days: int) -> str:
    if key in ("within", "share_within"):
        text = t("share_within", days=days)
        return text if key == "within" else text + " (%)"
    return t(MEASURE_KEYS.get(key, key))


def _cases(figures: Figures, t: Any) -> Table:
    headers = tuple(t("received_on") if c == "received" else t(c) for c in CASE_COLUMNS)
    rows = [[getattr(c, k) for k in CASE_COLUMNS] for c in figures.cases or []]
    return Table("cases", t("cases"), CASE_COLUMNS, headers, rows, [r[0] for r in rows])
