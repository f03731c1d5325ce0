"""The JSON API and the single sign-on header, through the TestClient, on
SQLite and PostgreSQL: same objects as the CLI, JSON errors, Origin check."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from tests.web_support import (
    ADMIN,
    COORDINATOR,
    DISABLED,
    VIEWER,
    Seeded,
    seed,
    web_sections,
)

BASE = "http://testserver"


@pytest.fixture
def site(cli, make_config, db_url, tmp_path) -> Seeded:
    config = make_config(db_url, web=web_sections(tmp_path))
    return seed(cli, config, tmp_path)


@pytest.fixture
def connect(site: Seeded) -> Iterator[Callable[..., TestClient]]:
    """connect(peer, as_=email): a client from `peer` with the SSO header."""
    from config import load_settings
    from web.app import create_app

    app = create_app(load_settings(site.config, environ={}), environ={})
    clients: list[TestClient] = []

    def make(peer: str = "127.0.0.1", as_: str | None = COORDINATOR) -> TestClient:
        client = TestClient(app, client=(peer, 40000))
        if as_ is not None:
            client.headers["X-Remote-User"] = as_
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    app.state.ws.close()


def test_cases_equal_the_cli_json(connect, cli, site) -> None:
    api = connect().get("/api/cases")
    assert api.status_code == 200
    assert (
        api.json()
        == cli("--config", site.config, "cases", "list", "--format", "json").json()
    )
    found = connect().get("/api/cases", params={"q": "Vermeulen"}).json()
    assert [c["number"] for c in found] == [site.form_case]
    by_channel = connect().get("/api/cases", params={"channel": "post"}).json()
    assert by_channel == []


@pytest.mark.parametrize(
    ("params", "options"),
    [
        ({"status": "registered"}, ("--status", "registered")),
        ({"open": "1"}, ("--open",)),
        ({"due_within": "20"}, ("--due-within", "20")),
        ({"due_within": "0", "channel": "email"}, ("--due-within", "0",
                                                   "--channel", "email")),
        ({"overdue": "1"}, ("--overdue",)),
    ],
)  # fmt: skip
def test_the_filters_of_cases_list(connect, cli, site, params, options) -> None:
    api = connect().get("/api/cases", params=params)
    assert api.status_code == 200, api.text
    listed = cli(
        "--config", site.config, "cases", "list", *options, "--format", "json"
    ).json()  # fmt: skip
    assert api.json() == listed


@pytest.mark.parametrize(
    "params",
    [{"status": "bogus"}, {"due_within": "-1"}, {"due_within": "x"}, {"year": "1"}],
)
def test_a_bad_filter_is_422(connect, site, params) -> None:
    response = connect().get("/api/cases", params=params)
    assert response.status_code == 422 and response.json()["error"]


def test_case_equals_case_show_json(connect, cli, site) -> None:
    api = connect().get(f"/api/cases/{site.form_case}").json()
    shown = cli(
        "--config", site.config, "case", "show", site.form_case, "--format", "json"
    ).json()
    assert api == shown


def test_errors_are_json_with_a_message(connect, site) -> None:
    nobody = connect(as_=None).get("/api/cases")
    assert nobody.status_code == 401 and nobody.json()["error"]
    unknown = connect().get("/api/cases/KL-1999-99999")
    assert unknown.status_code == 404
    assert "KL-1999-99999" in unknown.json()["error"]
    bad = connect().post(f"/api/cases/{site.form_case}/notes", json={"text": 3})
    assert bad.status_code == 422 and "text" in bad.json()["error"]


def test_note_and_answer_through_the_api(connect, site) -> None:
    client = connect()
    note = client.post(
        f"/api/cases/{site.form_case}/notes", json={"text": "Gebeld met het lid."}
    )
    assert note.status_code == 201
    (event,) = [e for e in note.json()["events"] if e["kind"] == "note"]
    assert event["actor"] == COORDINATOR
    answer = client.post(
        f"/api/cases/{site.form_case}/answer",
        json={"outcome": "unfounded", "text": "Het dossier is correct.", "send": False},
    )
    assert answer.status_code == 200 and answer.json()["status"] == "answered"
    closed = client.post(f"/api/cases/{site.form_case}/notes", json={"text": "x"})
    assert closed.status_code == 201  # a note fits any state
    assert (
        client.post(
            f"/api/cases/{site.script_case}/answer",
            json={"outcome": "maybe", "text": "x", "send": False},
        ).status_code
        == 422
    )


def test_answering_a_closed_case_is_409(connect, cli, site) -> None:
    assert cli("--config", site.config, "case", "close", site.form_case).code == 0
    response = connect().post(
        f"/api/cases/{site.form_case}/answer",
        json={"outcome": "founded", "text": "Ja.", "send": False},
    )
    assert response.status_code == 409
    assert "closed" in response.json()["error"]


def test_an_answer_by_post_without_address_is_422(connect, site) -> None:
    """The store refuses it for the API as for the pages and the CLI."""
    client = connect()
    response = client.post(
        f"/api/cases/{site.script_case}/answer",
        json={"outcome": "founded", "text": "Ja.", "send": False, "delivery": "post"},
    )
    assert response.status_code == 422
    assert "no postal address" in response.json()["error"]
    case = client.get(f"/api/cases/{site.script_case}").json()
    assert case["status"] == "registered" and case["outcome"] is None


def test_patch_assigns(connect, site) -> None:
    response = connect().patch(
        f"/api/cases/{site.form_case}", json={"assigned_to": "els@libmutov.be"}
    )
    assert response.status_code == 200
    assert response.json()["assigned_to"] == "els@libmutov.be"
    refused = connect().patch(f"/api/cases/{site.form_case}", json={"status": "x"})
    assert refused.status_code == 422


def test_patch_refuses_bad_member_values(connect, site) -> None:
    for member, key in (
        ({"email": "not-an-address"}, "member.email"),
        ({"insz": "85.07.30-033.00"}, "member.insz"),
        ({"postcode": "90000"}, "member.postcode"),
    ):
        response = connect().patch(
            f"/api/cases/{site.form_case}", json={"member": member}
        )
        assert response.status_code == 422, member
        assert key in response.json()["fields"]
    case = connect().get(f"/api/cases/{site.form_case}").json()
    assert case["member"]["postcode"] == "9000"


def test_another_origin_is_refused(connect, site) -> None:
    response = connect().post(
        f"/api/cases/{site.form_case}/notes",
        json={"text": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    same = connect().post(
        f"/api/cases/{site.form_case}/notes",
        json={"text": "x"},
        headers={"Origin": BASE},
    )
    assert same.status_code == 201


def test_a_form_encoded_body_is_not_json(connect, site) -> None:
    response = connect().post(f"/api/cases/{site.form_case}/notes", data={"text": "x"})
    assert response.status_code in (415, 422)


def test_roles(connect, site) -> None:
    viewer = connect(as_=VIEWER)
    assert viewer.get("/api/cases").status_code == 200
    refused = viewer.post(f"/api/cases/{site.form_case}/notes", json={"text": "x"})
    assert refused.status_code == 403 and refused.json()["error"]
    assert (
        connect(as_=ADMIN)
        .post(f"/api/cases/{site.form_case}/notes", json={"text": "x"})
        .status_code
        == 201
    )


def test_sign_on_header_only_from_trusted_proxies(connect, site) -> None:
    assert connect(peer="10.9.9.9").get("/api/cases").status_code == 401
    assert connect(peer="10.9.9.9").get("/cases").status_code == 401
    assert connect(as_="nobody@libmutov.be").get("/api/cases").status_code == 403
    assert connect(as_=DISABLED).get("/api/cases").status_code == 403
    assert connect(as_=DISABLED).get("/cases").status_code == 403
    assert connect(as_=COORDINATOR.upper()).get("/cases").status_code == 200


def test_attachment_bytes(connect, site) -> None:
    client = connect(as_=VIEWER)
    case = client.get(f"/api/cases/{site.form_case}").json()
    (pdf,) = [a for a in case["attachments"] if a["filename"] == "formulier.pdf"]
    got = client.get(f"/api/cases/{site.form_case}/attachments/{pdf['id']}")
    assert hashlib.sha256(got.content).hexdigest() == site.pdf_sha256 == pdf["sha256"]
    assert got.headers["content-disposition"].startswith("attachment;")
    other = client.get(f"/api/cases/{site.script_case}/attachments/{pdf['id']}")
    assert other.status_code == 404 and other.json()["error"]
    assert client.get(f"/api/cases/{site.form_case}/attachments/x").status_code == 404


def test_an_admin_manages_accounts(connect, site) -> None:
    import re

    assert connect(as_=COORDINATOR).get("/users").status_code == 403
    admin = connect(as_=ADMIN)
    listing = admin.get("/users")
    assert listing.status_code == 200 and VIEWER in listing.text
    token = re.search(r'name="csrf" value="([^"]+)"', listing.text).group(1)
    added = admin.post(
        "/users",
        data={
            "csrf": token,
            "email": "New@LibMutov.be",
            "name": "Nieuw",
            "role": "viewer",
            "password": "",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert connect(as_="new@libmutov.be").get("/api/cases").status_code == 200
    twice = admin.post(
        "/users",
        data={
            "csrf": token,
            "email": "new@libmutov.be",
            "name": "Nieuw",
            "role": "viewer",
        },
    )
    assert twice.status_code == 422 and "exists already" in twice.text
    gone = admin.post(
        "/users/disable",
        data={"csrf": token, "email": "new@libmutov.be"},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert connect(as_="new@libmutov.be").get("/api/cases").status_code == 403


def test_patch_corrects_case_and_member(connect, site) -> None:
    response = connect().patch(
        f"/api/cases/{site.form_case}",
        json={"category": "andere", "member": {"postcode": "9050", "phone": None}},
    )
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["category"] == "andere" and case["member"]["postcode"] == "9050"
    assert case["member"]["phone"] is None
    actors = {e["actor"] for e in case["events"] if e["kind"] != "registered"}
    assert COORDINATOR in actors


def test_patch_records_the_analysis_fields(connect, site) -> None:
    """Issue 17.13: cause, service and measure are set in the workspace too,
    from the configured lists."""
    url = f"/api/cases/{site.form_case}"
    analysis = {"cause": "communicatie", "service": "onthaal", "measure": "Folder"}
    response = connect().patch(url, json=analysis)
    assert response.status_code == 200, response.text
    case = response.json()
    assert {key: case[key] for key in analysis} == analysis
    refused = connect().patch(url, json={"cause": "Planeet Mars"})
    assert refused.status_code == 422 and "cause" in refused.json()["fields"]
    assert connect().get(url).json()["cause"] == "communicatie"
