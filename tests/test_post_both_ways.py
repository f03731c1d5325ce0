"""Post both ways: a posted form registered from its scan, the flag
`awaiting_address`, and the answer as a letter (`case answer --by-post`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.formfill import asset, fill_docx, fill_pdf
from tests.test_letter_cmd import pdf_text

TODAY = date.today().isoformat()


@pytest.fixture
def config(make_config, db_url) -> Path:
    return make_config(db_url)


def show(cli, config: Path, number: str) -> dict:
    result = cli("--config", config, "case", "show", number, "--format", "json")
    assert result.code == 0, result.err
    return result.json()


def scan(tmp_path: Path, language: str = "nl", **values: str) -> Path:
    path = tmp_path / f"scan-{language}.pdf"
    path.write_bytes(fill_pdf(asset(f"klachtenformulier-{language}.pdf"), values))
    return path


def register(cli, config: Path, *extra) -> str:
    result = cli(
        "--config", config, "case", "register", "--channel", "post",
        "--received-at", TODAY, *extra,
    )  # fmt: skip
    assert result.code == 0, result.err
    return result.out.splitlines()[0]


def test_a_scanned_form_fills_the_case(cli, config, tmp_path) -> None:
    form = scan(
        tmp_path, "fr",
        name="Marie Dubois", street="Rue de la Loi 16 bte 3, 1000 Bruxelles",
        description="Mon remboursement n'est jamais arrivé.",
    )  # fmt: skip
    number = register(cli, config, "--attach", form)
    case = show(cli, config, number)
    member = case["member"]
    assert member["name"] == "Marie Dubois"
    assert (member["street"], member["postcode"], member["city"]) == (
        "Rue de la Loi 16 bte 3",
        "1000",
        "Bruxelles",
    )
    assert case["description"] == "Mon remboursement n'est jamais arrivé."
    assert case["language"] == "fr"
    assert case["flags"] == ["awaiting_letter"]
    # The address as typed stays beside the split one.
    typed = {f["key"]: f["value"] for f in case["form_fields"]}
    assert typed["street"] == "Rue de la Loi 16 bte 3, 1000 Bruxelles"
    assert case["attachment_count"] == 1


def test_a_scanned_word_form_is_read_too(cli, config, tmp_path) -> None:
    form = tmp_path / "klacht.docx"
    values = {
        "name": "Anna Schmitz",
        "street": "Hauptstraße 5\n4700 Eupen",
        "description": "Keine Rückerstattung seit drei Monaten.",
    }
    form.write_bytes(fill_docx(asset("klachtenformulier-nl.docx"), values))
    number = register(cli, config, "--attach", form)
    case = show(cli, config, number)
    assert case["description"] == "Keine Rückerstattung seit drei Monaten."
    member = case["member"]
    assert (member["street"], member["postcode"], member["city"]) == (
        "Hauptstraße 5",
        "4700",
        "Eupen",
    )


def test_typed_values_win_over_the_form(cli, config, tmp_path) -> None:
    form = scan(tmp_path, name="Jan Peeters", description="Geen terugbetaling.")
    number = register(
        cli, config, "--attach", form, "--name", "Jan Peeters-Claes",
        "--email", "jan@example.be", "--description", "Getypt door het onthaal.",
    )  # fmt: skip
    case = show(cli, config, number)
    assert case["member"]["name"] == "Jan Peeters-Claes"
    assert case["description"] == "Getypt door het onthaal."
    assert "awaiting_address" not in case["flags"]


def test_without_description_nor_form_is_refused(cli, config, tmp_path) -> None:
    other = tmp_path / "foto.txt"
    other.write_text("geen formulier")
    result = cli(
        "--config", config, "case", "register", "--channel", "post",
        "--received-at", TODAY, "--name", "Jan", "--attach", other,
    )  # fmt: skip
    assert result.code == 2
    assert result.err.count("\n") == 1 and "no description" in result.err
    listed = cli("--config", config, "cases", "list", "--format", "json").json()
    assert listed == []


def test_no_address_awaits_one_and_letter_refuses(cli, config, tmp_path) -> None:
    number = register(
        cli, config, "--name", "Jan", "--city", "Aalst", "--description", "Te laat."
    )
    assert show(cli, config, number)["flags"] == ["awaiting_address", "awaiting_letter"]
    target = tmp_path / "brief.pdf"
    result = cli("--config", config, "case", "letter", number, "--output", target)
    assert result.code == 2
    assert result.err.count("\n") == 1 and "no postal address" in result.err
    assert not target.exists()
    # Completing the address settles the flag; the letter can then be made.
    result = cli(
        "--config", config, "case", "edit", number,
        "--member-street", "Kerkstraat 14", "--member-postcode", "9300",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert show(cli, config, number)["flags"] == ["awaiting_letter"]
    result = cli("--config", config, "case", "letter", number, "--output", target)
    assert result.code == 0, result.err
    assert "Kerkstraat 14" in pdf_text(target)


def test_an_email_address_settles_the_flag(cli, config) -> None:
    number = register(cli, config, "--name", "Jan", "--description", "Te laat.")
    assert "awaiting_address" in show(cli, config, number)["flags"]
    result = cli(
        "--config", config, "case", "edit", number, "--member-email", "jan@example.be"
    )
    assert result.code == 0, result.err
    assert "awaiting_address" not in show(cli, config, number)["flags"]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            ("Besluit: uw klacht is deels gegrond", "Livornostraat 25 1050 Brussel"),
        ),
        (
            "fr",
            (
                "Décision : votre plainte est partiellement fondée",
                "rue de Livourne 25 1050 Bruxelles",
            ),
        ),
        (
            "de",
            (
                "Entscheidung: Ihre Beschwerde ist teilweise begründet",
                "Livornostraat 25 1050 Brüssel",
            ),
        ),
    ],
)
def test_answer_by_post_writes_the_letter(
    cli, config, tmp_path, language, words
) -> None:
    number = register(
        cli, config, "--name", "Anna Schmitz",
        "--address", "Hauptstraße 5, 4700 Eupen", "--language", language,
        "--description", "Keine Rückerstattung.",
    )  # fmt: skip
    message = tmp_path / "antwoord.txt"
    message.write_text("Wij betalen het verschil terug.\n", encoding="utf-8")
    target = tmp_path / "antwoord.pdf"
    result = cli(
        "--config", config, "case", "answer", number, "--outcome", "partly-founded",
        "--message-file", message, "--by-post", "--output", target,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert target.stat().st_mode & 0o777 == 0o600
    text = " ".join(pdf_text(target).split())
    assert number in text and "Anna Schmitz" in text and "4700 Eupen" in text
    assert "Wij betalen het verschil terug." in text
    assert "Ombuds" in text or "Service de médiation" in text
    for phrase in words:
        assert phrase in text
    case = show(cli, config, number)
    assert case["status"] == "answered"


def test_answer_by_post_without_address_changes_nothing(cli, config, tmp_path) -> None:
    number = register(cli, config, "--name", "Jan", "--description", "Te laat.")
    message = tmp_path / "antwoord.txt"
    message.write_text("Antwoord.\n", encoding="utf-8")
    target = tmp_path / "antwoord.pdf"
    result = cli(
        "--config", config, "case", "answer", number, "--outcome", "founded",
        "--message-file", message, "--by-post", "--output", target,
    )  # fmt: skip
    assert result.code == 2
    assert result.err.count("\n") == 1 and "no postal address" in result.err
    assert not target.exists()
    assert show(cli, config, number)["status"] == "registered"


def test_output_needs_by_post(cli, config, tmp_path) -> None:
    number = register(
        cli, config, "--email", "jan@example.be", "--description", "Te laat."
    )
    message = tmp_path / "m.txt"
    message.write_text("Antwoord.\n", encoding="utf-8")
    result = cli(
        "--config", config, "case", "answer", number, "--outcome", "founded",
        "--message-file", message, "--output", tmp_path / "x.pdf",
    )  # fmt: skip
    assert result.code == 2
    assert show(cli, config, number)["status"] != "answered"


def test_a_letter_needs_a_postal_address_even_with_email(cli, config, tmp_path) -> None:
    number = register(
        cli, config, "--email", "jan@example.be", "--description", "Te laat."
    )
    assert "awaiting_address" not in show(cli, config, number)["flags"]
    target = tmp_path / "brief.pdf"
    result = cli("--config", config, "case", "letter", number, "--output", target)
    assert result.code == 2 and "no postal address" in result.err
    assert not target.exists()
