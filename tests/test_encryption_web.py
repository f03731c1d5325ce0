"""An encrypted store end to end: mails with a filled-in PDF form taken in by
`klachten import`, then read through the workspace API (SQLite, PostgreSQL).

The form's national number, phone and address end up in member columns,
form fields, the raw mail and the attachment: none of them in clear in the
database, all of them back through the API, and search finds the case.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from store.crypto import new_key
from tests.test_encryption import stored_bytes
from tests.web_support import (
    COORDINATOR,
    FORM_VALUES,
    Seeded,
    seed,
    web_sections,
    workspace_client,
)


@pytest.fixture
def site(cli, make_config, db_url, tmp_path) -> Seeded:
    key_file = tmp_path / "privacy.key"
    key_file.write_text(new_key() + "\n")
    config = make_config(
        db_url, web=web_sections(tmp_path), privacy={"key_file": str(key_file)}
    )
    return seed(cli, config, tmp_path)


@pytest.fixture
def client(site: Seeded) -> Iterator[TestClient]:
    with workspace_client(site.config, peer="127.0.0.1", sso=COORDINATOR) as made:
        yield made


def test_the_form_case_is_sealed_and_reads_back(client, site, db_url, cli) -> None:
    status = cli("--config", site.config, "status", "--format", "json").json()
    assert status["encryption"]["encrypted"] is True
    held = stored_bytes(db_url)
    digits = FORM_VALUES["insz"].replace(".", "").replace("-", "")
    for secret in (FORM_VALUES["insz"], digits, FORM_VALUES["street"], "0470 12 34"):
        assert secret.encode() not in held, secret
    case = client.get(f"/api/cases/{site.form_case}").json()
    assert case["member"]["street"] == FORM_VALUES["street"]
    assert case["member"]["insz"].replace(".", "").replace("-", "") == digits
    (pdf,) = [a for a in case["attachments"] if a["filename"] == "formulier.pdf"]
    got = client.get(f"/api/cases/{site.form_case}/attachments/{pdf['id']}")
    assert hashlib.sha256(got.content).hexdigest() == site.pdf_sha256
    for query in (
        FORM_VALUES["insz"],
        digits,
        "+32 470 12 34 56",
        FORM_VALUES["email"],
    ):
        found = client.get("/api/cases", params={"q": query}).json()
        assert [c["number"] for c in found] == [site.form_case], query
    listed = cli("--config", site.config, "cases", "list", "--format", "json").json()
    assert client.get("/api/cases").json() == listed


def test_a_change_in_the_workspace_is_sealed_and_found(client, site, db_url) -> None:
    new_insz, street = "90.02.01-997.04", "Ridderstraat 42-Wq"
    response = client.patch(
        f"/api/cases/{site.form_case}",
        json={"member": {"insz": new_insz, "street": street}},
        headers={"Origin": "http://testserver"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["member"]["street"] == street
    held = stored_bytes(db_url)
    for secret in (new_insz, "90020199704", street):
        assert secret.encode() not in held, secret
    found = client.get("/api/cases", params={"q": "90020199704"}).json()
    assert [c["number"] for c in found] == [site.form_case]
    old = FORM_VALUES["insz"]
    assert client.get("/api/cases", params={"q": old}).json() == []
    page = client.get(f"/cases/{site.form_case}")
    assert page.status_code == 200 and street in page.text
    listing = client.get("/cases", params={"q": new_insz})
    assert listing.status_code == 200 and site.form_case in listing.text


def test_an_erased_case_of_an_encrypted_store_in_the_workspace(
    client, site, cli
) -> None:
    erased = cli(
        "--config", site.config, "--actor", COORDINATOR, "member", "erase",
        "--email", FORM_VALUES["email"], "--reason", "verzoek", "--force",
    )  # fmt: skip
    assert erased.code == 0, erased.err
    case = client.get(f"/api/cases/{site.form_case}").json()
    assert set(case["member"].values()) == {None}
    assert case["attachments"] == [] and "erased" in case["flags"]
    page = client.get(f"/cases/{site.form_case}")
    assert page.status_code == 200
    assert FORM_VALUES["street"] not in page.text
    assert client.get("/cases", params={"q": FORM_VALUES["insz"]}).status_code == 200
    assert client.get("/api/cases", params={"q": FORM_VALUES["insz"]}).json() == []
    assert client.get("/overview").status_code == 200
