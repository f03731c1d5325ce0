"""One year's report from the store: figures, then a format.

Shared by `klachten report` and the workspace's overview page, so both give
the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from responder.report.figures import Figures, YearFigures, case_entries, compute_year
from store import report_data

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from store.registration_input import CaseRules

# Wraps the year's case timings (the CLI draws progress while they stream).
Progress = Callable[[Iterable[report_data.CaseTiming], int, str], Iterable]


def build_figures(
    session: Session,
    year: int,
    rules: CaseRules,
    now: datetime,
    *,
    with_cases: bool = False,
    progress: Progress | None = None,
    names: Mapping[str, Mapping[str, str]] | None = None,
) -> Figures:
    """Query the store for `year` (and the year before) and compute the figures;
    `names` is [cases] labels (how configured names read per language)."""
    window = report_data.year_window(year, rules.timezone)
    current = year_figures(session, year, rules, now, progress=progress)
    previous = year_figures(session, year - 1, rules, now, optional=True)
    cases = None
    if with_cases:
        cases = case_entries(report_data.case_lines(session, window), rules.timezone)
    assert current is not None  # only an optional year can be None
    return Figures(
        year=year,
        timezone=rules.timezone,
        generated_at=now.isoformat(timespec="seconds"),
        cutoff=min(now, window.year_end).isoformat(timespec="seconds"),
        ack_days=rules.ack_days,
        answer_days=rules.answer_days,
        day_kind=rules.day_kind,
        current=current,
        previous=previous,
        cases=cases,
        names={lang: dict(words) for lang, words in (names or {}).items()},
    )


def year_figures(
    session: Session,
    year: int,
    rules: CaseRules,
    now: datetime,
    *,
    optional: bool = False,
    progress: Progress | None = None,
) -> YearFigures | None:
    """One year's figures; None for an `optional` year without cases."""
    window = report_data.year_window(year, rules.timezone)
    counts = report_data.year_counts(session, window)
    if optional and counts.total == 0:
        return None
    timings: Iterable[report_data.CaseTiming] = report_data.case_timings(
        session, window
    )
    if progress is not None:
        timings = progress(timings, counts.total, f"report {year}")
    return compute_year(
        counts,
        timings,
        window,
        cutoff=min(now, window.year_end),
        ack_days=rules.ack_days,
        answer_days=rules.answer_days,
    )


def render(
    figures: Figures, fmt: str, language: str, generated: str, zipped: bool = False
) -> str | bytes:
    """The report in `fmt`: text (html, json, long csv) or bytes."""
    from responder.report import csv_out, html, json_out, pdf, xlsx

    if fmt == "json":
        return json_out.render_json(figures)
    if fmt == "html":
        return html.render_html(figures, language, generated)
    if fmt == "pdf":
        return pdf.render_pdf(figures, language, generated)
    if fmt == "xlsx":
        return xlsx.render_xlsx(figures, language)
    if zipped:
        return csv_out.render_csv_zip(figures, language)
    return csv_out.render_long_csv(figures)
