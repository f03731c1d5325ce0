"""The report as one self-contained HTML page that prints on A4.

Templates live in ``responder/report/templates`` as ``report.<lang>.html.j2``
(the prose of each language) extending ``_report.html.j2`` (the tables).
Autoescape is on and undefined names are errors: data such as a category
called ``<script>`` or ``{{ 7*7 }}`` is shown literally, never run or
evaluated. The charts are inline SVG built (and escaped) by `charts`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from responder.report import charts, labels
from responder.report.figures import Figures
from responder.report.stats import ANSWER_BUCKETS

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> jinja2.Environment:
    """The report's Jinja2 environment (built once)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = labels.number
    env.filters["pct"] = labels.percent
    return env


def build_charts(figures: Figures, language: str) -> dict[str, Markup]:
    """The three charts of the report, as SVG markup (escaped in `charts`)."""
    current = figures.current
    months = current.received["by_month"]
    previous = (
        [figures.previous.received["by_month"][m] for m in range(1, 13)]
        if figures.previous
        else None
    )
    categories = [
        (
            labels.name(language, key)
            if key == "unset"
            else figures.label(language, key),
            n,
        )
        for key, n in current.received["by_category"].items()
    ]
    distribution = current.answer.distribution or {}
    return {
        "months": Markup(
            charts.vertical_bars(
                labels.MONTHS_SHORT[language],
                [months[m] for m in range(1, 13)],
                labels.text(language, "chart_months"),
                previous,
            )
        ),
        "categories": Markup(
            charts.horizontal_bars(
                categories, labels.text(language, "chart_categories")
            )
        ),
        "answer": Markup(
            charts.vertical_bars(
                [key for key, _, _ in ANSWER_BUCKETS],
                [distribution.get(key, 0) for key, _, _ in ANSWER_BUCKETS],
                labels.text(language, "chart_answer"),
            )
        ),
    }


def render_html(figures: Figures, language: str, generated: str) -> str:
    """The whole report page in `language` ("nl" or "fr")."""
    template = environment().get_template(f"report.{language}.html.j2")
    return template.render(context(figures, language, generated))


def context(figures: Figures, language: str, generated: str) -> dict[str, Any]:
    """What the templates see: the figures, words, charts and helpers."""

    cutoff = labels.cutoff_words(figures.cutoff, figures.timezone, language)

    def t(key: str, **values: Any) -> str:
        return labels.text(language, key, **{"cutoff": cutoff, **values})

    def n(code: str | None) -> str:
        return labels.name(language, code, cutoff)

    def cn(name: str | None) -> str:
        """A configured name (category, cause, service) in the language."""
        if name is None or name == "unset":
            return labels.name(language, "unset")
        return figures.label(language, name)

    return {
        "f": figures.to_dict(),
        "lang": language,
        "generated": generated,
        "charts": build_charts(figures, language),
        "t": t,
        "n": n,
        "cn": cn,
        "months": labels.MONTHS_SHORT[language],
        "internal": figures.cases is not None,
    }
