"""`klachten case letter`: the acknowledgement on paper for members without e-mail."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pypdf
import pytest


@pytest.fixture
def config(make_config, sqlite_url) -> Path:
    return make_config(sqlite_url, responder={"org_phone": "09 123 45 67"})


def register_postal(cli, config: Path, language: str = "nl") -> str:
    result = cli(
        "--config", config, "case", "register",
        "--channel", "post", "--received-at", date.today().isoformat(),
        "--name", "Jan Janssens", "--address", "Kerkstraat 12, 9000 Gent",
        "--language", language, "--description", "Mijn terugbetaling is te laat.",
    )  # fmt: skip
    assert result.code == 0, result.err
    return result.out.splitlines()[0]


def pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return "\n".join(page.extract_text() for page in reader.pages)


def flags(cli, config: Path, number: str) -> list[str]:
    listed = cli("--config", config, "cases", "list", "--format", "json").json()
    return next(c["flags"] for c in listed if c["number"] == number)


def test_letter_pdf_holds_number_and_address(cli, config, tmp_path) -> None:
    number = register_postal(cli, config)
    target = tmp_path / "brief.pdf"
    result = cli("--config", config, "case", "letter", number, "--output", target)
    assert result.code == 0, result.err
    text = pdf_text(target)
    assert number in text
    assert "Jan Janssens" in text and "9000 Gent" in text and "Kerkstraat 12" in text
    assert "09 123 45 67" in text
    # Without --mark-sent the case still waits for its letter.
    assert flags(cli, config, number) == ["awaiting_letter"]


def test_default_file_name_and_french(cli, config, tmp_path, monkeypatch) -> None:
    number = register_postal(cli, config, language="fr")
    monkeypatch.chdir(tmp_path)
    result = cli("--config", config, "case", "letter", number)
    assert result.code == 0, result.err
    target = tmp_path / f"{number}-ontvangstmelding.pdf"
    assert result.out.splitlines()[0] == target.name
    assert "Accusé de réception" in pdf_text(target)


def test_mark_sent_clears_the_flag(cli, config, tmp_path) -> None:
    number = register_postal(cli, config)
    result = cli(
        "--config", config, "case", "letter", number,
        "--output", tmp_path / "b.pdf", "--mark-sent",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert flags(cli, config, number) == []
    shown = cli("--config", config, "case", "show", number, "--format", "json").json()
    assert shown["letter_sent_at"] is not None
    assert shown["status"] == "acknowledged"
    assert [e["kind"] for e in shown["events"]][-1] == "letter_sent"


def test_unknown_case_is_a_user_error(cli, config, tmp_path) -> None:
    register_postal(cli, config)
    result = cli("--config", config, "case", "letter", "KL-1999-00001")
    assert result.code == 2
    assert "no case with number KL-1999-00001" in result.err


def test_unwritable_output_is_a_user_error(cli, config, tmp_path) -> None:
    number = register_postal(cli, config)
    target = tmp_path / "missing-dir" / "b.pdf"
    result = cli("--config", config, "case", "letter", number, "--output", target)
    assert result.code == 2 and "cannot write" in result.err


def test_letter_carries_the_funds_address_and_place(
    cli, make_config, sqlite_url, tmp_path
) -> None:
    config = make_config(
        sqlite_url,
        responder={"org_address": ["Nieuwstraat 7", "9000 Gent"], "org_city": "Gent"},
    )
    number = register_postal(cli, config)
    target = tmp_path / "brief.pdf"
    assert (
        cli("--config", config, "case", "letter", number, "--output", target).code == 0
    )
    text = pdf_text(target)
    assert "Nieuwstraat 7" in text
    assert "Gent, " in text
