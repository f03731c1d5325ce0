"""Regional offices (issue 17, item 10): configured as tables, validated at
start-up, set from the member's postcode, refused when unknown, printed on
letters."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from config import ConfigError, load_settings
from config.offices import (
    RegionalOffice,
    office_address,
    office_for_postcode,
    office_problems,
    postcode_range,
)
from responder.letter import sender_lines
from tests.conftest import write_config
from tests.test_lifecycle import refused, register, show

Cli = Callable[..., Any]
GENT = {
    "name": "LM Oost-Vlaanderen",
    "postcodes": ["9000-9999"],
    "address": ["LM Oost-Vlaanderen", "Dienst klachtenbemiddeling",
                "Brabantdam 109", "9000 Gent"],
}  # fmt: skip
BRUSSEL = {
    "name": "LM Brussel",
    "postcodes": [1000, "1020-1210"],
    "address": ["LM Brussel", "Zuidlaan 1", "1000 Brussel"],
    "coordinators": ["claire@libmutov.be"],
}
OFFICES = (RegionalOffice(**GENT), RegionalOffice(**BRUSSEL))


def test_postcodes_and_ranges() -> None:
    assert postcode_range(9000) == (9000, 9000)
    assert postcode_range(" 9000 - 9999 ") == (9000, 9999)
    for bad in ("9999-9000", "900", "x", 99999):
        with pytest.raises(ValueError):
            postcode_range(bad)
    assert office_for_postcode(OFFICES, "9300").name == "LM Oost-Vlaanderen"
    assert office_for_postcode(OFFICES, "1050").name == "LM Brussel"
    assert office_for_postcode(OFFICES, "1010") is None
    assert office_for_postcode(OFFICES, None) is None
    assert office_address(OFFICES, "lm brussel") == ["LM Brussel", "Zuidlaan 1",
                                                     "1000 Brussel"]  # fmt: skip
    assert office_address(OFFICES, "Planeet Mars") == []


def test_every_bad_office_key_gets_its_own_line(tmp_path: Path) -> None:
    bad = {"name": "LM Gent", "postcodes": [9100, "12-3"], "address": [],
           "coordinators": ["nobody"]}  # fmt: skip
    path = write_config(
        tmp_path / "k.toml", {"cases": {"regional_offices": [GENT, bad]}}
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    lines = str(caught.value).splitlines()
    assert len(lines) == 4, lines
    assert all(line.startswith("config: [cases] regional_offices[2]") for line in lines)
    joined = "\n".join(lines)
    for words in ("no address", "overlap those of LM Oost-Vlaanderen", "'12-3'",
                  "invalid address"):  # fmt: skip
        assert words in joined
    assert office_problems(OFFICES) == []


def test_an_unknown_key_in_an_office_is_refused(tmp_path: Path) -> None:
    office = {**GENT, "phone": "09"}
    path = write_config(tmp_path / "k.toml", {"cases": {"regional_offices": [office]}})
    with pytest.raises(ConfigError, match="unknown key 'phone'"):
        load_settings(path, environ={})


@pytest.fixture
def run(cli: Cli, db_url: str, make_config: Callable[..., Path]) -> Cli:
    config = make_config(db_url, cases={"regional_offices": [GENT, BRUSSEL]})
    return lambda *args: cli("--config", config, "--actor", "els", *args)


def test_register_takes_the_office_from_the_postcode(run: Cli) -> None:
    number = register(run, "--address", "Kerkstraat 14, 9300 Aalst")
    assert show(run, number)["regional_office"] == "LM Oost-Vlaanderen"
    # An office named wins over the postcode; no postcode of an office: none.
    named = register(run, "--postcode", "9000", "--regional-office", "lm brussel")
    assert show(run, named)["regional_office"] == "LM Brussel"
    assert show(run, register(run, "--postcode", "1010"))["regional_office"] is None


def test_register_and_edit_refuse_an_unknown_office(run: Cli) -> None:
    before = run("cases", "list", "--format", "json").json()
    result = run(
        "case", "register", "--channel", "post", "--received-at", "2026-10-01",
        "--name", "An", "--description", "Te laat.", "--regional-office",
        "Planeet Mars",
    )  # fmt: skip
    refused(result, "unknown regional office")
    assert run("cases", "list", "--format", "json").json() == before
    number = register(run, "--regional-office", "lm brussel")
    assert show(run, number)["regional_office"] == "LM Brussel"
    refused(
        run("case", "edit", number, "--regional-office", "Planeet Mars"),
        "unknown regional office",
    )
    assert show(run, number)["regional_office"] == "LM Brussel"


def test_intake_sets_the_office_from_the_forms_postcode(
    run: Cli, tmp_path: Path
) -> None:
    mail = EmailMessage()
    mail["From"] = "Jan Peeters <jan.peeters@example.be>"
    mail["To"] = "klachten@libmutov.be"
    mail["Subject"] = "Klacht"
    mail["Message-ID"] = "<office-1@example.be>"
    mail.set_content(
        "Naam: Jan Peeters\nE-mailadres: jan.peeters@example.be\n"
        "Straat: Kerkstraat 14\nPostcode: 9300\nGemeente: Aalst\n"
        "Bericht: Mijn factuur werd niet terugbetaald.\n"
    )
    path = tmp_path / "mail.eml"
    path.write_bytes(mail.as_bytes())
    assert run("import", str(path), "--no-progress").code == 0
    (case,) = run("cases", "list", "--format", "json").json()
    assert case["member"]["postcode"] == "9300"
    assert case["regional_office"] == "LM Oost-Vlaanderen"


def test_letters_print_the_offices_address_as_sender() -> None:
    settings = SimpleNamespace(
        cases=SimpleNamespace(regional_offices=list(OFFICES)),
        responder=SimpleNamespace(org_address=["Nieuwstraat 7", "9000 Gent"]),
    )
    org = SimpleNamespace(
        from_name="LM Klachtendienst", name="LM", from_address="k@libmutov.be",
        phone="",
    )  # fmt: skip
    assert sender_lines(settings, org, "LM Oost-Vlaanderen") == [
        *GENT["address"], "k@libmutov.be",
    ]  # fmt: skip
    assert sender_lines(settings, org, None) == [
        "LM Klachtendienst", "LM", "Nieuwstraat 7", "9000 Gent", "k@libmutov.be",
    ]  # fmt: skip


def test_the_workspace_patch_takes_only_a_configured_office(
    cli: Cli, make_config: Callable[..., Path], db_url: str, tmp_path: Path
) -> None:
    from tests.web_support import COORDINATOR, seed, web_sections, workspace_client

    config = make_config(
        db_url,
        web=web_sections(tmp_path),
        cases={"regional_offices": [GENT, BRUSSEL]},
    )
    site = seed(cli, config, tmp_path)
    with workspace_client(config, peer="127.0.0.1", sso=COORDINATOR) as client:
        url = f"/api/cases/{site.form_case}"
        before = client.get(url).json()["regional_office"]
        refused = client.patch(url, json={"regional_office": "Planeet Mars"})
        assert refused.status_code == 422
        assert "regional_office" in refused.json()["fields"]
        assert client.get(url).json()["regional_office"] == before
        taken = client.patch(url, json={"regional_office": "lm brussel"})
        assert taken.status_code == 200, taken.text
        assert taken.json()["regional_office"] == "LM Brussel"
