"""The overview page and the yearly report of a chosen year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from web.auth import Problem
from web.guard import guarded
from web.listing import CaseQuery, find_cases
from web.people import Person
from web.rendering import days_left, language, page
from web.workspace import Workspace

REPORT_POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
)
REPORT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def counts(ws: Workspace, person: Person | None) -> dict[str, Any]:
    """Open, due this week, overdue, waiting for a letter, per assignee."""
    now = datetime.now(UTC)
    with ws.transaction() as db:
        rows, _ = find_cases(db, CaseQuery(), person, ws.timezone, now, paged=False)
    week = now + timedelta(days=7)
    per: dict[str, int] = {}
    for row in rows:
        per[row["assigned_to"] or ""] = per.get(row["assigned_to"] or "", 0) + 1
    return {
        "open": len(rows),
        "due_this_week": sum(
            1
            for r in rows
            if r["answer_due"]
            and not r["answered_at"]
            and datetime.fromisoformat(r["answer_due"]) <= week
        ),
        "overdue": sum(
            1
            for r in rows
            if not r["answered_at"]
            and (days_left(r["answer_due"], ws.timezone, now) or 0) < 0
        ),
        "waiting_letter": sum(1 for r in rows if "awaiting_letter" in r["flags"]),
        "per_assignee": sorted(per.items(), key=lambda kv: (-kv[1], kv[0])),
    }


@guarded()
def overview(request: Request, ws: Workspace, person: Person | None) -> Response:
    year = datetime.now(UTC).year
    return page(
        request,
        "overview.html.j2",
        counts=counts(ws, person),
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
        figures = build_figures(db, year, ws.rules, datetime.now(UTC))
    generated = datetime.now(UTC).date().isoformat()
    body = render(figures, fmt, lang, generated)
    # The report's HTML carries its own <style>; nothing else is let in.
    headers = {"Content-Security-Policy": REPORT_POLICY}
    if fmt != "html":
        headers["Content-Disposition"] = f'attachment; filename="klachten-{year}.{fmt}"'
    return Response(body, media_type=REPORT_TYPES[fmt], headers=headers)
