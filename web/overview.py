"""The overview page and the yearly report of a chosen year."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from web.auth import Problem
from web.guard import guarded
from web.people import Person
from web.rendering import language, page
from web.workspace import Workspace

REPORT_POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
)
REPORT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def counts(ws: Workspace) -> dict[str, Any]:
    """Open, due this week, overdue, waiting for a letter, per assignee."""
    from store.workspace import overview as store_overview

    with ws.transaction() as db:
        found = store_overview(db, ws.timezone)
    return {
        "open": found.open,
        "due_this_week": found.due_this_week,
        "overdue": found.overdue,
        "waiting_letter": found.awaiting_letter,
        "per_assignee": sorted(
            found.per_assignee.items(), key=lambda kv: (-kv[1], kv[0] or "")
        ),
    }


@guarded()
def overview(request: Request, ws: Workspace, person: Person | None) -> Response:
    year = datetime.now(UTC).year
    return page(
        request,
        "overview.html.j2",
        counts=counts(ws),
        years=range(year, year - 6, -1),
    )


@guarded()
def report(request: Request, ws: Workspace, person: Person | None) -> Response:
    """The yearly report from the existing report code, as HTML, PDF or XLSX."""
    from responder.report.year import build_figures, render

    params = request.query_params
    fmt = params.get("format", "html")
    year_text = params.get("year", "")
    if fmt not in REPORT_TYPES or not year_text.isdigit():
        raise Problem(422, "choose a year and html, pdf or xlsx")
    year = int(year_text)
    if not 1970 <= year <= 9998:
        raise Problem(422, "the year is out of range")
    lang = language(request)
    with ws.transaction() as db:
        figures = build_figures(
            db, year, ws.rules, datetime.now(UTC), names=ws.settings.cases.labels
        )
    generated = datetime.now(UTC).date().isoformat()
    body = render(figures, fmt, lang, generated)
    # The report's HTML carries its own <style>; nothing else is let in.
    headers = {"Content-Security-Policy": REPORT_POLICY}
    if fmt != "html":
        headers["Content-Disposition"] = f'attachment; filename="klachten-{year}.{fmt}"'
    return Response(body, media_type=REPORT_TYPES[fmt], headers=headers)
