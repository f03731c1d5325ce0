"""The yearly report in HTML (also opened in headless Chromium), PDF, XLSX and
CSV, its refusals (exit 2) and the pure helpers behind it.

The year is the one of tests/test_report.py, built on SQLite: the figures
themselves are asserted there, on both databases.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from responder.report import charts, stats
from service.commands.report import with_progress
from store.db import make_engine, session_factory
from tests.servers import unavailable
from tests.test_report import NAMES, build_year

CHROMIUM = Path("/usr/bin/chromium")
INJECTED = "<script>alert(1)</script>{{ 7*7 }}"


@pytest.fixture
def config(sqlite_url, make_config) -> Path:
    engine = make_engine(sqlite_url)
    try:
        build_year(session_factory(engine), category_a=INJECTED)
    finally:
        engine.dispose()
    return make_config(sqlite_url)


def _report(cli, config, *extra: str):
    return cli("--config", config, "report", "--year", "2024", *extra)


def test_html_holds_the_figures_and_nothing_external(cli, config) -> None:
    result = _report(cli, config, "--format", "html")
    assert result.code == 0, result.err
    page = result.out
    assert page.startswith("<!DOCTYPE html>")
    assert "@page { size: A4" in page
    assert "Klachtenrapport 2024" in page
    summary = dict(re.findall(r'data-key="([a-z_]+)">([^<]+)<', page))
    assert summary == {
        "received": "9",
        "open_at_year_end": "3",
        "overdue": "3",
        "repeat_members": "3",
        "ombudsdienst": "2",
        "acknowledgements_not_sent": "4",
        "follow_ups": "4",
    }
    assert "37,5" in page  # the median answer time, with a decimal comma
    assert "83,3\u00a0%" in page  # acknowledged within 10 days
    assert page.count("<svg") == 3
    assert "http" not in page and "<script" not in page and "src=" not in page
    assert "Intern document" not in page
    for name in NAMES:
        assert name not in page


def test_html_shows_injected_text_literally(cli, config) -> None:
    page = _report(cli, config, "--format", "html").out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in page
    assert "<script>" not in page
    assert ">49<" not in page


def test_with_cases_is_marked_internal_and_names_members(cli, config) -> None:
    page = _report(cli, config, "--format", "html", "--with-cases").out
    first_page = page[: page.index('id="summary"')]
    assert "Intern document — bevat persoonsgegevens" in first_page
    for name in NAMES:
        assert name in page
    french = _report(
        cli, config, "--format", "html", "--with-cases", "--language", "fr"
    )
    assert "Document interne — contient des données personnelles" in french.out
    assert "Rapport des plaintes 2024" in french.out
    assert "Plaintes reçues" in french.out


def test_html_renders_in_headless_chromium(cli, config, tmp_path) -> None:
    from pypdf import PdfReader

    if not CHROMIUM.exists():
        unavailable("chromium not installed (apt-get install chromium)")

    page = tmp_path / "report.html"
    assert _report(cli, config, "--format", "html", "--output", page).code == 0
    printed = tmp_path / "printed.pdf"
    subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
            f"--print-to-pdf={printed}", page.as_uri(),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    reader = PdfReader(printed)
    assert len(reader.pages) >= 2
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Klachtenrapport 2024" in text
    assert "Ontvangen klachten" in text


def test_pdf_carries_the_totals(cli, config, tmp_path) -> None:
    from pypdf import PdfReader

    target = tmp_path / "report.pdf"
    result = _report(cli, config, "--format", "pdf", "--output", target)
    assert result.code == 0, result.err
    assert target.read_bytes().startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(target).pages)
    assert "Klachtenrapport 2024" in text
    assert re.search(r"Ontvangen\s+9\s+2\s+7", text), text[:800]
    assert INJECTED in text
    assert "Intern document" not in text and NAMES[0] not in text
    internal = tmp_path / "internal.pdf"
    _report(cli, config, "--format", "pdf", "--output", internal, "--with-cases")
    first = PdfReader(internal).pages[0].extract_text()
    assert "Intern document — bevat persoonsgegevens" in first


def test_xlsx_reads_back(cli, config, tmp_path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "report.xlsx"
    result = _report(cli, config, "--format", "xlsx", "--output", target)
    assert result.code == 0, result.err
    book = load_workbook(target)
    summary = {row[0]: row[1:] for row in book["summary"].iter_rows(values_only=True)}
    assert summary["Ontvangen"] == (9, 2, 7)
    assert summary["Te laat"] == (3, 0, 3)
    channels = dict(book["by_channel"].iter_rows(min_row=3, values_only=True))
    assert channels == {"e-mail": 3, "post": 2, "contactformulier": 1,
                        "e-loket": 1, "formulier": 1, "mondeling": 1}  # fmt: skip
    assert "cases" not in book.sheetnames


def test_csv_long_format_and_zip(cli, config, tmp_path) -> None:
    result = _report(cli, config, "--format", "csv")
    assert result.code == 0, result.err
    rows = list(csv.reader(io.StringIO(result.out)))
    assert rows[0] == ["section", "key", "value"]
    table = {(section, key): value for section, key, value in rows[1:]}
    assert table["received", "total"] == "9"
    assert table["received.by_channel", "email"] == "3"
    assert table["received.by_month", "3"] == "2"
    assert table["answer", "median_days"] == "37.5"
    assert table["acknowledgements_not_sent.by_reason", "failed:550"] == "1"
    assert table["previous_year.received", "total"] == "2"
    assert table["deltas", "received"] == "7"
    assert table["report", "repeat_members"] == "3"
    target = tmp_path / "report.zip"
    assert _report(cli, config, "--format", "csv", "--output", target).code == 0
    with zipfile.ZipFile(target) as archive:
        assert "summary.csv" in archive.namelist()
        lines = archive.read("outcomes.csv").decode().splitlines()
    assert lines[0] == "key,count"
    assert "founded,2" in lines and "none,3" in lines


def test_bad_combinations_exit_2(cli, config, tmp_path) -> None:
    for extra in (
        ("--format", "pdf"),
        ("--format", "xlsx"),
        ("--format", "xlsx", "--output", str(tmp_path / "x.pdf")),
        ("--format", "json", "--output", str(tmp_path / "x.csv")),
    ):
        result = _report(cli, config, *extra)
        assert result.code == 2, extra
        assert result.err.startswith("klachten: ") and result.err.count("\n") == 1
        assert result.out == ""
    zero = cli("--config", config, "report", "--year", "0", "--format", "json")
    assert zero.code == 2 and "out of range" in zero.err
    assert list(tmp_path.glob("x.*")) == []


def test_json_to_a_file(cli, config, tmp_path) -> None:
    import json

    target = tmp_path / "report.json"
    assert _report(cli, config, "--format", "json", "--output", target).code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["received"]["total"] == 9
    assert list(tmp_path.glob(".report-*")) == []


def test_progress_line() -> None:
    drawn: list[str] = []
    items = list(with_progress(range(4500), 4500, "report 2024", drawn.append))
    assert items == list(range(4500))
    assert drawn == [
        "\rreport 2024: 2,000 / 4,500 cases",
        "\rreport 2024: 4,000 / 4,500 cases",
        "\rreport 2024: 4,500 / 4,500 cases\n",
    ]


def test_statistics() -> None:
    assert stats.median([]) is None
    assert stats.median([1, 2, 3, 10]) == 2.5
    assert stats.median([4]) == 4.0
    assert stats.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    assert stats.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90) == 10
    assert stats.percentile([7], 90) == 7
    assert stats.share(1, 3) == 0.3333 and stats.share(1, 0) is None
    assert [stats.bucket_of(d) for d in (0, 10, 11, 30, 45, 46)] == [
        "0-10", "0-10", "11-20", "21-30", "31-45", ">45",
    ]  # fmt: skip
    assert stats.reason_kind("suppressed: noreply@x.be") == "suppressed"
    assert stats.reason_kind("550 5.1.1 <a@b.be>: no") == "550"
    assert stats.reason_kind("jan@x.be refused") == "address"
    assert stats.reason_kind(None) == "unknown"


def test_charts_escape_labels() -> None:
    svg = charts.horizontal_bars([("<b>&", 3)], "t<")
    assert "&lt;b&gt;&amp;" in svg and "<b>" not in svg and "t&lt;" in svg
    bars = charts.vertical_bars(["a", "b"], [0, 5], "x", previous=[1, 2])
    assert bars.count("<rect") == 2 and "<polyline" in bars


@pytest.mark.parametrize("fmt", ["html", "pdf", "xlsx", "csv", "json"])
def test_german_report_in_every_format(cli, config, tmp_path, fmt) -> None:
    target = tmp_path / f"bericht.{'zip' if fmt == 'csv' else fmt}"
    result = _report(
        cli, config, "--format", fmt, "--language", "de", "--output", target
    )
    assert result.code == 0, result.err
    if fmt == "html":
        page = target.read_text()
        assert "Beschwerdebericht 2024" in page
        assert "Am 31. Dezember 2024 noch offen" in page
        assert '<th class="n">Mär</th>' in page  # months by name, like the chart
    if fmt == "pdf":
        from pypdf import PdfReader

        text = "\n".join(p.extract_text() for p in PdfReader(target).pages)
        assert "Beschwerdebericht 2024" in text


def test_open_cases_are_counted_on_the_report_date(cli, config) -> None:
    """A past year is 'open on 31 December'; this year, on today's date."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from responder.dates import date_long

    page = _report(cli, config, "--format", "html").out
    assert "Nog open op 31 december 2024" in page
    assert '<th class="n">mrt</th>' in page
    # The report's today is the fund's (the config's time zone), not the
    # machine's: they differ on the last hour(s) of a UTC day.
    local_today = datetime.now(ZoneInfo("Europe/Brussels")).date()
    result = cli("--config", config, "report", "--year", str(local_today.year))
    assert result.code == 0, result.err
    today = date_long(local_today, "nl")
    assert f"Nog open op {today}" in result.out or f"Open op {today}" in result.out
    assert "31 december" not in result.out


FORMULAS = ('=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3")


@pytest.mark.parametrize("formula", FORMULAS)
def test_csv_cells_never_start_a_formula(sqlite_url, make_config, cli, formula) -> None:
    engine = make_engine(sqlite_url)
    try:
        build_year(session_factory(engine), category_a=formula)
    finally:
        engine.dispose()
    config = make_config(sqlite_url)
    result = _report(cli, config, "--format", "csv", "--with-cases")
    assert result.code == 0, result.err
    cells = [cell for row in csv.reader(io.StringIO(result.out)) for cell in row]
    assert f"'{formula}" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    # Figures stay numbers: a negative delta is not a formula.
    assert all(
        not c.startswith("-") or c.lstrip("-").replace(".", "").isdigit() for c in cells
    )


def test_safe_cell() -> None:
    from responder.report.csv_out import safe_cell

    for text in ("=1+1", "+1", "-1", "@x", "\t=1", "\r=1"):
        assert safe_cell(text) == "'" + text
    for text in ("", "Jan", "1", "'=1", " =1"):
        assert safe_cell(text) == text


def test_month_table_names_months_in_xlsx_and_csv(cli, config, tmp_path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "rapport.xlsx"
    result = _report(
        cli, config, "--format", "xlsx", "--language", "fr", "--output", target
    )
    assert result.code == 0, result.err
    months = [r[0] for r in load_workbook(target)["by_month"].iter_rows(min_row=3)]
    assert [cell.value for cell in months][:3] == ["janv", "févr", "mars"]
    pdf = tmp_path / "bericht.pdf"
    result = _report(
        cli, config, "--format", "pdf", "--language", "de", "--output", pdf
    )
    assert result.code == 0, result.err
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Mär" in text and "Dez" in text
