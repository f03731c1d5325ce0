"""`klachten report --year Y`: the yearly analysis in HTML, PDF, CSV, JSON or XLSX.

Text formats (html, json, csv) go to --output or stdout; binary formats (pdf,
xlsx, and csv as a .zip) need --output. A progress line is drawn on stderr
while the year's cases are read, when stderr is a terminal and the year is
large.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from service.app import App
from service.output import write_private
from store.errors import UserError

if TYPE_CHECKING:
    from responder.report.figures import Figures

T = TypeVar("T")
PROGRESS_MIN_CASES = 10_000
PROGRESS_STEP = 2_000
SUFFIXES = {
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".csv": "csv",
    ".zip": "csv",
    ".json": "json",
    ".xlsx": "xlsx",
}


def report(app: App, args: argparse.Namespace) -> int:
    """Build the figures of --year and write them in --format."""
    check_arguments(args.year, args.format, args.output)
    show = not args.no_progress and sys.stderr.isatty()
    try:
        app.require_schema()
        figures = build_figures(
            app, args.year, with_cases=args.with_cases, progress=show
        )
    finally:
        app.close()  # one report, one run: leave no pooled connection behind
    generated = datetime.now(ZoneInfo(app.timezone)).date().isoformat()
    payload = render(figures, args.format, args.language, generated, args.output)
    try:
        write(payload, args.output)
    except OSError as exc:  # the directory went away, the disk is full, ...
        if args.output is None:  # stdout closed: the CLI's BrokenPipe rule
            raise
        raise UserError(f"cannot write {args.output}: {exc.strerror}") from None
    return 0


def check_arguments(year: int, fmt: str, output: str | None) -> None:
    """Refuse impossible combinations before touching the database (exit 2)."""
    if not 1970 <= year <= 9998:
        raise UserError(f"--year {year} is out of range (1970-9998)")
    suffix = Path(output).suffix.lower() if output else ""
    if fmt in ("pdf", "xlsx") and not output:
        raise UserError(
            f"--format {fmt} is binary: give --output PATH (not written to stdout)"
        )
    if suffix in SUFFIXES and SUFFIXES[suffix] != fmt:
        raise UserError(f"--output {output} does not fit --format {fmt}")
    if output and not Path(output).absolute().parent.is_dir():
        # Checked first: a large report is not built for nothing.
        raise UserError(f"cannot write {output}: no such directory")


def build_figures(
    app: App,
    year: int,
    *,
    with_cases: bool = False,
    now: datetime | None = None,
    progress: bool = False,
) -> Figures:
    """Query the store for `year` (and the year before) and compute the figures."""
    from responder.report.year import build_figures as build

    now = now or datetime.now(ZoneInfo(app.timezone))
    with app.transaction() as session:
        return build(
            session,
            year,
            app.rules,
            now,
            with_cases=with_cases,
            progress=_progress_over(PROGRESS_MIN_CASES) if progress else None,
            names=app.settings.cases.labels,
        )


def _progress_over(minimum: int):
    def wrap(items: Iterable[T], total: int, label: str) -> Iterable[T]:
        return with_progress(items, total, label) if total >= minimum else items

    return wrap


def with_progress(
    items: Iterable[T],
    total: int,
    label: str,
    out: Callable[[str], object] | None = None,
) -> Iterator[T]:
    """Pass `items` through, drawing "label: done / total" on stderr."""
    draw = out or sys.stderr.write
    done = 0
    for item in items:
        yield item
        done += 1
        if done % PROGRESS_STEP == 0:
            draw(f"\r{label}: {done:,} / {total:,} cases")
    draw(f"\r{label}: {done:,} / {total:,} cases\n")


def render(
    figures: Figures, fmt: str, language: str, generated: str, output: str | None
) -> str | bytes:
    """The report in `fmt`: text (html, json, long csv) or bytes."""
    from responder.report.year import render as render_format

    zipped = bool(output and output.lower().endswith(".zip"))
    return render_format(figures, fmt, language, generated, zipped)


def write(payload: str | bytes, output: str | None) -> None:
    """To `output` (replaced atomically) or to stdout for text."""
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    if output is None:
        sys.stdout.write(payload if isinstance(payload, str) else "")
        return
    write_private(Path(output), data)
