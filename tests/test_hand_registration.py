"""A complaint registered by hand behaves the same from the command line and
from the workspace (ingest.hand_registration): a scanned form fills the
case, the received date follows one rule, and the language is detected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.formfill import asset, fill_pdf
from tests.web_support import (
    COORDINATOR,
    Seeded,
    seed,
    sign_in,
    token,
    web_sections,
    workspace_client,
)

TODAY = date.today().isoformat()
GERMAN = "Guten Tag, seit drei Monaten keine Rückerstattung meiner Arztrechnung."


@pytest.fixture
def site(cli, make_config, db_url, tmp_path) -> Seeded:
    config = make_config(db_url, web=web_sections(tmp_path))
    return seed(cli, config, tmp_path)


@pytest.fixture
def coordinator(site: Seeded) -> Iterator[TestClient]:
    with workspace_client(site.config) as client:
        assert sign_in(client, COORDINATOR).status_code == 303
        yield client


def web_register(client: TestClient, files: dict | None = None, **values: str):
    form = {"csrf": token(client.get("/register").text), "channel": "post"}
    form.update({"received_at": TODAY, **values})
    return client.post("/register", data=form, files=files, follow_redirects=False)


def registered(client: TestClient, response: Any) -> dict:
    assert response.status_code == 303, response.text
    number = response.headers["location"].rsplit("/", 1)[1]
    return client.get(f"/api/cases/{number}").json()


def cli_register(cli, config: Path, *extra: Any) -> dict:
    result = cli(
        "--config", config, "case", "register", "--channel", "post",
        "--received-at", TODAY, *extra,
    )  # fmt: skip
    assert result.code == 0, result.err
    number = result.out.splitlines()[0]
    shown = cli("--config", config, "case", "show", number, "--format", "json")
    return shown.json()


def french_form() -> bytes:
    values = {
        "name": "Marie Dubois",
        "street": "Rue de la Loi 16 bte 3, 1000 Bruxelles",
        "description": "Mon remboursement n'est jamais arrivé.",
    }
    return fill_pdf(asset("klachtenformulier-fr.pdf"), values)


def test_web_reads_the_scanned_form(coordinator, site) -> None:
    scan = french_form()
    response = web_register(
        coordinator, files={"scan": ("formulaire.pdf", scan, "application/pdf")}
    )
    case = registered(coordinator, response)
    member = case["member"]
    assert member["name"] == "Marie Dubois"
    assert (member["street"], member["postcode"], member["city"]) == (
        "Rue de la Loi 16 bte 3",
        "1000",
        "Bruxelles",
    )
    assert case["description"] == "Mon remboursement n'est jamais arrivé."
    assert case["language"] == "fr"
    fields = {f["key"]: f for f in case["form_fields"]}
    assert fields["street"]["value"] == "Rue de la Loi 16 bte 3, 1000 Bruxelles"
    assert fields["name"]["source"] and fields["name"]["origin"]
    (item,) = case["attachments"]
    got = coordinator.get(f"/cases/{case['number']}/attachments/{item['id']}")
    assert got.content == scan


def test_web_typed_values_win_over_the_form(coordinator, site) -> None:
    response = web_register(
        coordinator,
        files={"scan": ("formulaire.pdf", french_form(), "application/pdf")},
        name="Marie Dubois-Leclercq",
        description="Tapé à l'accueil.",
    )
    case = registered(coordinator, response)
    assert case["member"]["name"] == "Marie Dubois-Leclercq"
    assert case["description"] == "Tapé à l'accueil."


def test_web_without_description_nor_form_is_refused(coordinator, site) -> None:
    response = web_register(coordinator, name="Jan")
    assert response.status_code == 422
    assert "no description" in response.text
    assert len(coordinator.get("/api/cases").json()) == 2


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("1900-01-01", "received date 1900-01-01 lies before 2000-01-01"),
        ("2999-01-01", "received date 2999-01-01 lies in the future"),
    ],
)
def test_web_refuses_a_received_date_out_of_range(
    coordinator, site, day: str, message: str
) -> None:
    response = web_register(
        coordinator, name="Jan", description="Te laat.", received_at=day
    )
    assert response.status_code == 422
    assert message in response.text
    assert len(coordinator.get("/api/cases").json()) == 2  # nothing saved


def test_web_detects_german_and_a_chosen_language_wins(coordinator, site) -> None:
    typed = {"name": "Anna Schmitz", "postcode": "4780", "city": "St. Vith"}
    detected = registered(
        coordinator, web_register(coordinator, description=GERMAN, **typed)
    )
    assert detected["language"] == "de"
    # The text decides, not the postcode of Flanders.
    flemish = {**typed, "postcode": "9000", "city": "Gent"}
    text = registered(
        coordinator, web_register(coordinator, description=GERMAN, **flemish)
    )
    assert text["language"] == "de"
    chosen = registered(
        coordinator,
        web_register(coordinator, description=GERMAN, language="fr", **typed),
    )
    assert chosen["language"] == "fr"


@pytest.fixture
def config(make_config, db_url) -> Path:
    return make_config(db_url)


def test_cli_detects_german_and_a_chosen_language_wins(cli, config) -> None:
    where = ("--postcode", "4780", "--city", "St. Vith")
    case = cli_register(cli, config, *where, "--description", GERMAN)
    assert case["language"] == "de"
    flemish = ("--postcode", "9000", "--city", "Gent")
    case = cli_register(cli, config, *flemish, "--description", GERMAN)
    assert case["language"] == "de"
    case = cli_register(
        cli, config, *where, "--description", GERMAN, "--language", "nl"
    )
    assert case["language"] == "nl"


def test_cli_earlier_case_breaks_the_tie_before_the_postcode(cli, config) -> None:
    member = ("--email", "marie@example.be", "--postcode", "9000", "--city", "Gent")
    first = cli_register(cli, config, *member, "--language", "fr", "--description", "x")
    assert first["language"] == "fr"
    # Digits alone say no language: the member's earlier case decides.
    again = cli_register(cli, config, *member, "--description", "0470 12 34 56")
    assert again["language"] == "fr"
    # Without an earlier case the postcode does.
    other = cli_register(
        cli, config, "--postcode", "9000", "--description", "0470 12 34 56"
    )
    assert other["language"] == "nl"


def test_cli_refuses_1900_with_one_line(cli, config) -> None:
    result = cli(
        "--config", config, "case", "register", "--channel", "post",
        "--received-at", "1900-01-01", "--description", "Te laat.",
    )  # fmt: skip
    assert result.code == 2
    assert result.err.count("\n") == 1 and "before 2000-01-01" in result.err
    listed = cli("--config", config, "cases", "list", "--format", "json").json()
    assert listed == []


@pytest.mark.parametrize(
    ("chosen", "form", "text", "postcode", "expected"),
    [
        ("nl", "fr", GERMAN, "4780", ("nl", False)),  # the person's choice
        (None, "fr", GERMAN, "4780", ("fr", False)),  # then the form's
        (None, None, GERMAN, "9000", ("de", False)),  # then the text's own
        (None, None, "0470 12 34 56", "4780", ("de", True)),  # the postcode
        (None, None, "0470 12 34 56", "1000", ("nl", True)),  # Brussels: default
    ],
)
def test_decide_language(chosen, form, text, postcode, expected) -> None:
    from ingest.hand_registration import decide_language

    assert decide_language(chosen, form, text, postcode, "nl") == expected


def test_every_refused_field_is_named_and_the_first_is_the_message() -> None:
    from config.schema import Settings
    from ingest.hand_registration import Refused, Scanned, Typed, build_new_case

    typed = Typed(
        channel="post",
        member={"email": "an@", "postcode": "12"},
        received_on=date(1900, 1, 1),
        description="Te laat.",
        category="Planeet Mars",
    )
    with pytest.raises(Refused) as refused:
        build_new_case(typed, Scanned(), Settings())
    assert list(refused.value.problems) == [
        "email",
        "postcode",
        "received_at",
        "category",
    ]
    assert str(refused.value) == refused.value.problems["email"]
