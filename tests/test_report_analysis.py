"""The analysis in the yearly report: causes by service, the share founded
per service and per category, the measures taken; configured names in the
report's language, in every format; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from store.db import transaction
from store.registration import case_by_number
from tests.casefactory import post_case

# (category, service, cause, outcome, measure)
CASES = [
    ("terugbetaling", "terugbetalingen", "termijn overschreden", "founded",
     "Termijnbewaking in de terugbetalingsdienst"),
    ("terugbetaling", "terugbetalingen", "termijn overschreden", "unfounded", None),
    ("terugbetaling", "terugbetalingen", "fout in het dossier", "partly-founded",
     None),
    ("arbeidsongeschiktheid", "uitkeringen", "communicatie", "founded",
     '=HYPERLINK("http://x")'),
    ("arbeidsongeschiktheid", "uitkeringen", "communicatie", "withdrawn", None),
    ("andere", None, None, None, None),
]  # fmt: skip


@pytest.fixture
def config(db_url, sessions, make_config) -> Path:
    for category, service, cause, outcome, measure in CASES:
        number = post_case(
            sessions,
            name="Jan Janssens",
            received=datetime(2024, 5, 2, 10, tzinfo=UTC),
            category=category,
        )
        with transaction(sessions) as session:
            case = case_by_number(session, number)
            case.service, case.cause = service, cause
            case.outcome, case.measure = outcome, measure
    return make_config(db_url)


def report(cli, config: Path, *extra) -> str:
    result = cli("--config", config, "report", "--year", "2024", *extra)
    assert result.code == 0, result.err
    return result.out


def test_the_analysis_figures(cli, config) -> None:
    body = json.loads(report(cli, config, "--format", "json"))
    analysis = body["analysis"]
    assert analysis["causes_by_service"] == {
        "terugbetalingen": {"termijn overschreden": 2, "fout in het dossier": 1},
        "uitkeringen": {"communicatie": 2},
        "unset": {"unset": 1},
    }
    assert analysis["founded_by_service"] == {
        "terugbetalingen": {
            "decided": 3, "founded": 1, "partly_founded": 1, "share_founded": 0.6667,
        },
        "uitkeringen": {
            "decided": 1, "founded": 1, "partly_founded": 0, "share_founded": 1.0,
        },
    }  # fmt: skip
    assert analysis["founded_by_category"]["terugbetaling"]["share_founded"] == 0.6667
    assert analysis["founded_by_category"]["arbeidsongeschiktheid"]["decided"] == 1
    assert analysis["measures"] == [
        {
            "category": "terugbetaling",
            "service": "terugbetalingen",
            "measure": "Termijnbewaking in de terugbetalingsdienst",
        },
        {
            "category": "arbeidsongeschiktheid",
            "service": "uitkeringen",
            "measure": '=HYPERLINK("http://x")',
        },
    ]
    # No personal data in the analysis: neither the member nor the case.
    text = json.dumps(analysis)
    assert "Janssens" not in text and "KL-" not in text
    assert body["names"]["fr"]["terugbetalingen"] == "remboursements"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ("Oorzaken per dienst", "terugbetalingen", "termijn overschreden")),
        ("fr", ("Causes par service", "remboursements", "délai dépassé",
                "Mesures prises", "incapacité de travail")),
        ("de", ("Ursachen nach Dienst", "Erstattungen", "Frist überschritten",
                "Getroffene Maßnahmen", "Arbeitsunfähigkeit")),
    ],
)  # fmt: skip
def test_html_in_the_report_language(cli, config, language, words) -> None:
    page = report(cli, config, "--format", "html", "--language", language)
    for word in words:
        assert word in page
    assert "66,7" in page or "66.7" in page
    assert "=HYPERLINK(&#34;http://x&#34;)" in page or "=HYPERLINK(&quot;" in page


def test_pdf_xlsx_and_csv_in_german(cli, config, tmp_path) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    pdf = tmp_path / "r.pdf"
    report(cli, config, "--format", "pdf", "--language", "de", "--output", pdf)
    text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(pdf).pages).split()
    )
    for word in ("Ursachen nach Dienst", "Erstattungen", "Termijnbewaking"):
        assert word in text
    xlsx = tmp_path / "r.xlsx"
    report(cli, config, "--format", "xlsx", "--language", "de", "--output", xlsx)
    book = load_workbook(xlsx)
    causes = [list(r) for r in book["causes_by_service"].iter_rows(values_only=True)]
    assert ["Erstattungen", "Frist überschritten", 2] in causes
    measures = [c for r in book["measures"].iter_rows(values_only=True) for c in r]
    assert '=HYPERLINK("http://x")' in measures  # stored as text, not a formula
    assert book["measures"]["C4"].data_type == "s"
    archive = tmp_path / "r.zip"
    report(cli, config, "--format", "csv", "--language", "de", "--output", archive)
    with zipfile.ZipFile(archive) as zipped:
        rows = list(csv.reader(io.StringIO(zipped.read("measures.csv").decode())))
        founded = zipped.read("founded_by_service.csv").decode()
    assert ["Arbeitsunfähigkeit", "Krankengeld", '\'=HYPERLINK("http://x")'] in rows
    assert "Erstattungen,3,1,1,0.6667" in founded
    long = report(cli, config, "--format", "csv")
    cells = [cell for row in csv.reader(io.StringIO(long)) for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]


def test_deadlines_in_business_days_say_so(cli, config, db_url, make_config) -> None:
    """Issue 17.4: with day_kind = "business" the report's "within N days" and
    its definitions name working days, in every language."""
    calendar = report(cli, config, "--format", "html")
    assert "Binnen 45 dagen" in calendar and "werkdagen" not in calendar
    business = make_config(
        db_url, cases={"timezone": "Europe/Brussels", "day_kind": "business"}
    )
    assert json.loads(report(cli, business, "--format", "json"))["day_kind"] == (
        "business"
    )
    for language, words in (
        ("nl", ("Binnen 45 werkdagen", "binnen 10 werkdagen vertrekken")),
        ("fr", ("Dans les 45 jours ouvrables", "les 10 jours ouvrables")),
        ("de", ("Innerhalb von 45 Werktagen", "von 10 Werktagen versandt")),
    ):
        page = " ".join(
            report(cli, business, "--format", "html", "--language", language).split()
        )
        for word in words:
            assert word in page, (language, word)
