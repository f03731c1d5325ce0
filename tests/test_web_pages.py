"""The workspace's pages through Starlette's TestClient, on SQLite and
PostgreSQL: sign-in, the cases, one case, attachments, actions, escaping."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.web_support import (
    COORDINATOR,
    PASSWORD,
    SCRIPT_SUBJECT,
    VIEWER,
    Seeded,
    import_neighbours_mail,
    seed,
    sign_in,
    token,
    web_sections,
    workspace_client,
)


@pytest.fixture
def site(cli, make_config, db_url, tmp_path) -> Seeded:
    config = make_config(db_url, web=web_sections(tmp_path))
    return seed(cli, config, tmp_path)


@pytest.fixture
def client(site: Seeded) -> Iterator[TestClient]:
    with workspace_client(site.config) as test_client:
        yield test_client


@pytest.fixture
def coordinator(client: TestClient) -> TestClient:
    assert sign_in(client, COORDINATOR).status_code == 303
    return client


def _post(client: TestClient, path: str, page: str, **data: Any):
    form = {"csrf": token(client.get(page).text), **data}
    return client.post(path, data=form, follow_redirects=False)


def test_nobody_signed_in_goes_to_the_sign_in_page(client, site) -> None:
    response = client.get("/cases", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=/cases")
    assert "Aanmelden" in client.get("/signin").text


def test_a_wrong_password_is_refused(client) -> None:
    assert sign_in(client, COORDINATOR, "not the password").status_code == 401
    assert client.get("/cases", follow_redirects=False).status_code == 303


def test_every_response_carries_the_security_headers(coordinator, site) -> None:
    for path in (
        "/cases",
        f"/cases/{site.form_case}",
        "/static/style.css",
        "/cases/KL-1999-99999",
        "/signin",
    ):
        headers = coordinator.get(path).headers
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_the_session_cookie_is_httponly_and_lax(client) -> None:
    response = sign_in(client, COORDINATOR)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # base_url is http here


def test_cases_page_lists_open_cases_and_finds_a_member(coordinator, site) -> None:
    page = coordinator.get("/cases").text
    assert site.form_case in page and site.script_case in page
    found = coordinator.get("/cases", params={"q": "Vermeulen"}).text
    assert site.form_case in found and site.script_case not in found
    assert "<small>(1)</small>" in found  # the total of the search
    beyond = coordinator.get("/cases", params={"q": "Vermeulen", "page": "3"}).text
    assert "<small>(1)</small>" in beyond and site.form_case not in beyond
    nothing = coordinator.get("/cases", params={"q": "Nobody Such"}).text
    assert site.form_case not in nothing


def test_a_subject_with_markup_shows_as_text(coordinator, site) -> None:
    for path in ("/cases", f"/cases/{site.script_case}"):
        page = coordinator.get(path).text
        assert "<script>alert" not in page and "<b>vet</b>" not in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;" in page
    case_page = coordinator.get(f"/cases/{site.script_case}").text
    assert "<img src=x" not in case_page
    assert "&lt;img src=x onerror=alert(1)&gt;" in case_page
    assert SCRIPT_SUBJECT  # the raw subject really was markup


def test_case_page_shows_member_form_fields_and_trail(coordinator, site) -> None:
    page = coordinator.get(f"/cases/{site.form_case}").text
    for expected in (
        "Vermeulen Marc",
        "marc.vermeulen@example.be",
        "9000",
        "formulier.pdf",
        "pdf-acroform",
        "geregistreerd",  # the status and the first event, in words
    ):
        assert expected in page, expected


def test_an_unknown_case_is_a_404_page(coordinator) -> None:
    response = coordinator.get("/cases/KL-1999-99999")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "no case with number KL-1999-99999" in response.text


def test_the_pdf_form_downloads_as_an_attachment(coordinator, site) -> None:
    case = coordinator.get(f"/api/cases/{site.form_case}").json()
    (pdf,) = [a for a in case["attachments"] if a["filename"] == "formulier.pdf"]
    response = coordinator.get(f"/cases/{site.form_case}/attachments/{pdf['id']}")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == site.pdf_sha256
    assert response.headers["content-disposition"].startswith("attachment;")
    assert 'filename="formulier.pdf"' in response.headers["content-disposition"]
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    other = coordinator.get(f"/cases/{site.script_case}/attachments/{pdf['id']}")
    assert other.status_code == 404


def test_assign_is_recorded_under_the_person(coordinator, site) -> None:
    page = f"/cases/{site.form_case}"
    response = _post(coordinator, page + "/assign", page, to="Els@LibMutov.be")
    assert response.status_code == 303
    case = coordinator.get(f"/api/cases/{site.form_case}").json()
    assert case["assigned_to"] == "els@libmutov.be"
    (event,) = [e for e in case["events"] if e["kind"] == "assigned"]
    assert event["actor"] == COORDINATOR
    mine = coordinator.get("/cases", params={"assignee": "els@libmutov.be"}).text
    assert site.form_case in mine and site.script_case not in mine


def test_an_invalid_assignee_gives_the_form_again(coordinator, site) -> None:
    page = f"/cases/{site.form_case}"
    response = _post(coordinator, page + "/assign", page, to="not-an-address")
    assert response.status_code == 422
    assert "invalid e-mail address" in response.text
    assert coordinator.get(f"/api/cases/{site.form_case}").json()["assigned_to"] is None


def test_a_closed_case_refuses_an_answer_with_the_reason(coordinator, site) -> None:
    page = f"/cases/{site.form_case}"
    assert _post(coordinator, page + "/close", page).status_code == 303
    response = _post(
        coordinator,
        page + "/answer",
        page,
        outcome="founded",
        text="Wij betalen terug.",
        delivery="none",
        step="send",
    )
    assert response.status_code == 409
    assert "is closed: reopen it first" in response.text
    case = coordinator.get(f"/api/cases/{site.form_case}").json()
    assert case["status"] == "closed" and case["answered_at"] is None


def test_close_reopen_and_refer_under_the_person(coordinator, site) -> None:
    page = f"/cases/{site.form_case}"
    assert _post(coordinator, page + "/reopen", page, reason="x").status_code == 409
    assert _post(coordinator, page + "/close", page).status_code == 303
    refused = _post(coordinator, page + "/reopen", page, reason=" ")
    assert refused.status_code == 422 and "needs a reason" in refused.text
    assert coordinator.get(f"/api/cases/{site.form_case}").json()["status"] == "closed"
    reopened = _post(coordinator, page + "/reopen", page, reason="Nieuw feit")
    assert reopened.status_code == 303
    bad_date = _post(coordinator, page + "/refer", page, date="2026-02-30")
    assert bad_date.status_code == 422
    referred = _post(coordinator, page + "/refer", page, date="2026-11-20")
    assert referred.status_code == 303
    again = _post(coordinator, page + "/refer", page, date="2026-11-21")
    assert again.status_code == 409 and "already referred" in again.text
    case = coordinator.get(f"/api/cases/{site.form_case}").json()
    assert case["status"] == "in_progress"
    assert case["referred_at"].startswith("2026-11-20")
    kinds = [(e["kind"], e["actor"]) for e in case["events"]]
    for kind in ("closed", "reopened", "referred"):
        assert (kind, COORDINATOR) in kinds, kinds


def test_answer_preview_then_send(coordinator, site) -> None:
    page = f"/cases/{site.form_case}"
    preview = _post(
        coordinator,
        page + "/answer",
        page,
        outcome="founded",
        text="Wij betalen de beurten terug.",
        delivery="email",
        step="preview",
    )
    assert preview.status_code == 200
    assert site.form_case in preview.text
    assert "Wij betalen de beurten terug." in preview.text
    assert coordinator.get(f"/api/cases/{site.form_case}").json()["status"] != (
        "answered"
    )
    sent = coordinator.post(
        page + "/answer",
        data={
            "csrf": token(preview.text),
            "outcome": "founded",
            "delivery": "email",
            "text": "Wij betalen de beurten terug.",
            "step": "send",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    case = coordinator.get(f"/api/cases/{site.form_case}").json()
    assert case["status"] == "answered" and case["outcome"] == "founded"
    (event,) = [e for e in case["events"] if e["kind"] == "answered"]
    assert event["actor"] == COORDINATOR and event["details"]["delivery"] == "email"


def test_a_form_without_its_token_is_refused(coordinator, site) -> None:
    page = f"/cases/{site.form_case}"
    response = coordinator.post(page + "/note", data={"text": "x"})
    assert response.status_code == 403
    forged = coordinator.post(page + "/note", data={"text": "x", "csrf": "forged"})
    assert forged.status_code == 403
    events = coordinator.get(f"/api/cases/{site.form_case}").json()["events"]
    assert not [e for e in events if e["kind"] == "note"]


def test_a_form_from_another_origin_is_refused(coordinator, site) -> None:
    page = f"/cases/{site.form_case}"
    response = coordinator.post(
        page + "/note",
        data={"text": "x", "csrf": token(coordinator.get(page).text)},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_a_viewer_reads_but_cannot_act(client, site) -> None:
    assert sign_in(client, VIEWER).status_code == 303
    page = f"/cases/{site.form_case}"
    shown = client.get(page)
    assert shown.status_code == 200 and "/assign" not in shown.text
    response = _post(client, page + "/assign", page, to="els@libmutov.be")
    assert response.status_code == 403


def test_language_choice_is_remembered(coordinator, site) -> None:
    assert "Dossiers" in coordinator.get("/overview").text
    _post(coordinator, "/language", "/cases", lang="fr", next="/overview")
    page = coordinator.get("/overview").text
    assert "Aperçu" in page and "Dossiers ouverts" in page


def test_language_choice_outlives_the_session(coordinator, site) -> None:
    chosen = _post(coordinator, "/language", "/cases", lang="fr", next="/cases")
    (cookie,) = [
        value.lower()
        for value in chosen.headers.get_list("set-cookie")
        if value.startswith("klachten_lang=")
    ]
    assert cookie.startswith("klachten_lang=fr;")
    assert "max-age=31536000" in cookie and "httponly" in cookie
    assert "samesite=lax" in cookie and "secure" not in cookie  # http here
    # The session is gone (idle timeout): the language cookie stays.
    coordinator.cookies.delete("klachten_session")
    assert list(coordinator.cookies.keys()) == ["klachten_lang"]
    signin_page = coordinator.get("/signin").text
    assert '<html lang="fr">' in signin_page and "Se connecter" in signin_page
    assert sign_in(coordinator, COORDINATOR).status_code == 303
    assert "Aperçu" in coordinator.get("/overview").text


@pytest.mark.parametrize("bogus", ["de", "FR", "fr-BE", "<script>", ""])
def test_a_bogus_language_cookie_means_dutch(client, bogus: str) -> None:
    client.cookies.set("klachten_lang", bogus)
    page = client.get("/signin").text
    assert '<html lang="nl">' in page and "Aanmelden" in page
    assert "<script>" not in page


@pytest.fixture
def behind_proxy(site: Seeded) -> Iterator[TestClient]:
    """A client whose every connection comes from the trusted proxy."""
    with workspace_client(site.config, peer="127.0.0.1") as test_client:
        yield test_client


def _attempt(client: TestClient, email: str, password: str, **headers: str):
    """A password sign-in carrying the given headers (X_Forwarded_For=...)."""
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    page = client.get("/signin")
    return client.post(
        "/signin",
        data={"email": email, "password": password, "csrf": token(page.text)},
        headers=sent,
        follow_redirects=False,
    )


def test_behind_the_proxy_failures_lock_the_forwarded_address(behind_proxy) -> None:
    # The client writes what it likes left of the address the proxy appends.
    for n in range(5):
        failed = _attempt(
            behind_proxy,
            f"nobody{n}@libmutov.be",
            "wrong",
            X_Forwarded_For=f"10.0.0.{n}, 198.51.100.7",
        )
        assert failed.status_code == 401
    # That address is locked, even with the right password...
    locked = _attempt(
        behind_proxy, COORDINATOR, PASSWORD, X_Forwarded_For="198.51.100.7"
    )
    assert locked.status_code == 401
    # ...but another person behind the same proxy signs in.
    other = _attempt(behind_proxy, COORDINATOR, PASSWORD, X_Forwarded_For="203.0.113.9")
    assert other.status_code == 303


def test_behind_the_proxy_x_real_ip_is_the_address(behind_proxy) -> None:
    for n in range(5):
        _attempt(behind_proxy, f"nobody{n}@libmutov.be", "x", X_Real_IP="2001:db8::7")
    assert (
        _attempt(behind_proxy, COORDINATOR, PASSWORD, X_Real_IP="2001:db8::7")
    ).status_code == 401
    assert (
        _attempt(behind_proxy, COORDINATOR, PASSWORD, X_Real_IP="2001:db8::8")
    ).status_code == 303


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(client) -> None:
    # 10.1.2.3 is no trusted proxy: a fresh X-Forwarded-For per attempt does
    # not dodge the limit of its own address.
    for n in range(5):
        failed = _attempt(
            client, f"nobody{n}@libmutov.be", "wrong", X_Forwarded_For=f"192.0.2.{n}"
        )
        assert failed.status_code == 401
    spoofed = _attempt(
        client,
        COORDINATOR,
        PASSWORD,
        X_Forwarded_For="192.0.2.99",
        X_Real_IP="192.0.2.98",
    )
    assert spoofed.status_code == 401


def test_overview_counts_and_report(coordinator, site) -> None:
    page = coordinator.get("/overview").text
    assert "Open dossiers" in page
    report = coordinator.get(
        "/overview/report", params={"year": "2026", "format": "html"}
    )
    assert report.status_code == 200 and "<html" in report.text.lower()
    assert report.headers["content-security-policy"].startswith("default-src 'self'")
    pdf = coordinator.get("/overview/report", params={"year": "2026", "format": "pdf"})
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment")


def test_idle_session_is_forgotten(client, site, tmp_path: Path) -> None:
    import base64
    import json

    import itsdangerous

    class Old(itsdangerous.TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - 2 * 3600

    payload = {"email": COORDINATOR, "seen": 0, "csrf": "x" * 40}
    data = base64.b64encode(json.dumps(payload).encode())
    cookie = Old("k" * 48).sign(data).decode()
    client.cookies.set("klachten_session", cookie)
    assert client.get("/cases", follow_redirects=False).status_code == 303
    fresh = Old("k" * 48).sign(data).decode()  # signed right, idle by "seen"
    client.cookies.set("klachten_session", fresh)
    assert client.get("/cases", follow_redirects=False).status_code == 303


def _edit_form(client: TestClient, number: str, **changes: str) -> dict[str, str]:
    """The edit form as the browser sends it: every field, some changed."""
    case = client.get(f"/api/cases/{number}").json()
    form = {
        k: case[k] or "" for k in ("category", "language", "regional_office", "subject")
    }
    form.update(
        {
            f"member.{k}": case["member"][k] or ""
            for k in (
                "name",
                "email",
                "phone",
                "street",
                "postcode",
                "city",
                "member_number",
                "insz",
            )
        }
    )
    form.update(changes)
    return form


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("member.email", "marc@", "e-mail"),
        ("member.insz", "85.07.30-033.00", "check digits"),
        ("member.postcode", "90000", "postcode"),
    ],
)
def test_an_invalid_member_value_gives_the_form_again(
    coordinator, site, name, value, message
) -> None:
    page = f"/cases/{site.form_case}"
    form = _edit_form(
        coordinator, site.form_case, **{name: value, "category": "andere"}
    )
    response = _post(coordinator, page + "/edit", page, **form)
    assert response.status_code == 422
    assert 'class="field-error"' in response.text and message in response.text
    assert f'value="{value}"' in response.text  # what was typed stays
    case = coordinator.get(f"/api/cases/{site.form_case}").json()
    assert case["category"] == "terugbetaling"  # nothing saved
    assert case["member"]["postcode"] == "9000"


def test_correcting_the_category_and_postcode(coordinator, site) -> None:
    page = f"/cases/{site.form_case}"
    form = _edit_form(
        coordinator, site.form_case, category="andere", **{"member.postcode": "9050"}
    )
    assert _post(coordinator, page + "/edit", page, **form).status_code == 303
    case = coordinator.get(f"/api/cases/{site.form_case}").json()
    assert case["category"] == "andere" and case["member"]["postcode"] == "9050"
    kinds = [e for e in case["events"] if e["actor"] == COORDINATOR]
    assert len(kinds) == 2  # one event per changed field


def test_editing_a_closed_case_shows_the_reason(coordinator, site) -> None:
    page = f"/cases/{site.form_case}"
    assert _post(coordinator, page + "/close", page).status_code == 303
    form = _edit_form(coordinator, site.form_case, category="andere")
    response = _post(coordinator, page + "/edit", page, **form)
    assert response.status_code == 409 and "closed" in response.text
    assert coordinator.get(f"/api/cases/{site.form_case}").json()["category"] == (
        "terugbetaling"
    )


def test_a_closed_case_offers_only_the_analysis_fields(coordinator, site) -> None:
    page = f"/cases/{site.form_case}"
    assert _post(coordinator, page + "/close", page).status_code == 303
    edit = coordinator.get(page).text.split(f'action="{page}/edit"')[1]
    edit = edit.split("</form>")[0]
    assert 'name="cause"' in edit and 'name="measure"' in edit
    assert 'name="subject"' not in edit and 'name="member.name"' not in edit
    form = {"cause": "communicatie", "service": "onthaal", "measure": "Brief <b>"}
    assert _post(coordinator, page + "/edit", page, **form).status_code == 303
    case = coordinator.get(f"/api/cases/{site.form_case}").json()
    assert (case["status"], case["cause"], case["service"], case["measure"]) == (
        "closed",
        "communicatie",
        "onthaal",
        "Brief <b>",
    )
    assert "Brief &lt;b&gt;" in coordinator.get(page).text


def test_reclassify_takes_a_case_off_the_open_list(coordinator, site) -> None:
    page = f"/cases/{site.script_case}"
    response = _post(coordinator, page + "/reclassify", page, **{"as": "question"})
    assert response.status_code == 303
    assert site.script_case not in coordinator.get("/cases").text
    events = coordinator.get(f"/api/cases/{site.script_case}").json()["events"]
    assert [e["actor"] for e in events if e["kind"] == "reclassified"] == [COORDINATOR]


def test_merge_then_write(coordinator, site) -> None:
    page = f"/cases/{site.script_case}"
    merged = _post(coordinator, page + "/merge", page, into=site.form_case)
    assert merged.status_code == 303
    assert merged.headers["location"] == f"/cases/{site.form_case}"
    target = f"/cases/{site.form_case}"
    wrote = _post(coordinator, target + "/write", target, template="delay")
    assert wrote.status_code == 303
    case = coordinator.get(f"/api/cases/{site.form_case}").json()
    assert case["message_count"] == 2
    assert [e["kind"] for e in case["events"]].count("member_written") == 1


def test_register_a_postal_complaint_with_its_scan(coordinator, site) -> None:
    scan = b"%PDF-1.4 scanned letter " + bytes(range(256)) * 8000  # ~2 MB
    form = {
        "csrf": token(coordinator.get("/register").text),
        "channel": "post",
        "received_at": "2026-12-01",
        "name": "Peeters An",
        "street": "Dorpstraat 1",
        "postcode": "9000",
        "city": "Gent",
        "description": "Brief over een factuur.",
        "language": "nl",
    }
    response = coordinator.post(
        "/register",
        data=form,
        files={"scan": ("brief.pdf", scan, "application/pdf")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    number = response.headers["location"].rsplit("/", 1)[1]
    case = coordinator.get(f"/api/cases/{number}").json()
    assert case["channel"] == "post" and "awaiting_letter" in case["flags"]
    (item,) = case["attachments"]
    got = coordinator.get(f"/cases/{number}/attachments/{item['id']}").content
    assert got == scan
    assert case["events"][0]["actor"] == COORDINATOR


def test_register_refuses_a_bad_postcode(coordinator, site) -> None:
    form = {
        "csrf": token(coordinator.get("/register").text),
        "channel": "oral",
        "postcode": "12",
        "email": "an@",
        "description": "Aan de balie.",
    }
    response = coordinator.post("/register", data=form)
    assert response.status_code == 422
    assert "1000 to 9992" in response.text and "invalid e-mail address" in response.text
    assert len(coordinator.get("/api/cases").json()) == 2  # nothing registered


def _answer_by_post(client: TestClient, page: str):
    """Send the answer "partly founded" by post from the case `page`."""
    return _post(
        client,
        page + "/answer",
        page,
        outcome="partly-founded",
        text="Gedeeltelijk gegrond.",
        delivery="post",
        step="send",
    )


def test_an_answer_by_post_gives_the_letter(coordinator, site) -> None:
    page = f"/cases/{site.form_case}"
    sent = _answer_by_post(coordinator, page)
    assert sent.status_code == 303
    assert "answer-letter.pdf" in coordinator.get(page).text
    letter = coordinator.get(page + "/answer-letter.pdf")
    assert letter.content.startswith(b"%PDF")
    assert letter.headers["content-disposition"].startswith("attachment")
    # The same letter as `case answer --by-post`: the decision and the text.
    import io

    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(letter.content))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "deels gegrond" in text and "Gedeeltelijk gegrond." in text
    assert site.form_case in text


def test_an_answer_by_post_without_address_is_refused(coordinator, site) -> None:
    """Els wrote by e-mail: no street, postcode or municipality. The answer
    by post is refused before anything is recorded (as `case answer
    --by-post`), the form comes back with the reason and what was typed."""
    page = f"/cases/{site.script_case}"
    refused = _post(
        coordinator,
        page + "/answer",
        page,
        outcome="founded",
        text="U krijgt gelijk.",
        delivery="post",
        step="send",
    )
    assert refused.status_code == 422
    assert "no postal address" in refused.text
    assert "U krijgt gelijk." in refused.text  # the answer as typed
    assert "answer-letter.pdf" not in refused.text
    case = coordinator.get(f"/api/cases/{site.script_case}").json()
    assert case["status"] != "answered" and case["answered_at"] is None
    assert "answered" not in [e["kind"] for e in case["events"]]


def _flag(site: Seeded, number: str, *flags: str) -> None:
    """Mark a case as intake and the store do (the member replied, ...)."""
    from sqlalchemy import select

    from config import load_settings
    from store.db import make_engine, session_factory, transaction
    from store.models import Case

    engine = make_engine(load_settings(site.config, environ={}).store.url)
    try:
        with transaction(session_factory(engine)) as db:
            case = db.scalars(select(Case).where(Case.number == number)).one()
            case.flags = sorted(flags)
    finally:
        engine.dispose()


def test_case_words_show_in_dutch_and_french_not_codes(coordinator, site) -> None:
    """Statuses, outcomes, channels, flags, events and the forms' choices read
    as words in the person's language; the JSON keeps the codes."""
    page = f"/cases/{site.form_case}"
    answered = _answer_by_post(coordinator, page)
    assert answered.status_code == 303
    _flag(site, site.script_case, "member_replied")
    dutch = {
        page: (
            '<small class="status">beantwoord</small>',
            "(deels gegrond)",
            "<dd>formulier</dd>",
            ">antwoord per post</td>",
            "outcome: deels gegrond",  # in the trail's details too
            ">geregistreerd</td>",
            '<span class="flag">klacht</span>',
            ">gegrond</option>",
            ">deels gegrond</option>",
            ">ongegrond</option>",
            ">vraag</option>",
            ">informatie vragen</option>",
        ),
        f"/cases/{site.script_case}": (">lid reageerde</span>",),
        "/cases?status=all": (
            ">lid reageerde</span>",
            ">geen klacht</option>",  # the status reclassified
            ">in behandeling</option>",
            ">mondeling</option>",
            "<td>formulier</td>",
        ),
    }
    french = {
        page: (
            '<small class="status">répondue</small>',
            "(partiellement fondée)",
            ">réponse par courrier</td>",
            ">non fondée</option>",
            ">demander des informations</option>",
        ),
        "/cases?status=all": (
            ">le membre a réagi</span>",
            ">pas une plainte</option>",
            ">courrier</option>",
        ),
    }
    # ("oral" and "question" are French words too.)
    codes = (">partly-founded<", ">member_replied<", ">answered<", ">in_progress<",
             ">reclassified<", ">request-info<", ">answer_posted<", ">complaint<",
             ">form<")  # fmt: skip
    for words in (dutch, french):
        if words is french:
            assert _post(coordinator, "/language", "/cases", lang="fr").is_redirect
        for path, expected in words.items():
            html = coordinator.get(path).text
            for text in expected:
                assert text in html, (path, text)
            for code in codes:
                assert code not in html, (path, code)
    shown = coordinator.get(f"/api/cases/{site.form_case}").json()
    assert (shown["status"], shown["outcome"]) == ("answered", "partly-founded")
    assert coordinator.get(f"/api/cases/{site.script_case}").json()["flags"] == [
        "member_replied"
    ]


def test_failed_sign_ins_lock_the_account(client, site) -> None:
    """The store counts every refused sign-in (the web commits it), so after
    five wrong passwords even the right one is refused for a while."""
    for _ in range(5):
        assert sign_in(client, COORDINATOR, "wrong password!").status_code == 401
    assert sign_in(client, COORDINATOR).status_code == 401
    assert sign_in(client, VIEWER).status_code == 401  # the address is locked too


def test_the_office_filter_offers_the_configured_offices(
    cli, make_config, db_url, tmp_path
) -> None:

    office = {
        "name": "LM Oost-Vlaanderen",
        "postcodes": ["9000-9999"],
        "address": ["Brabantdam 109", "9000 Gent"],
    }
    config = make_config(
        db_url, web=web_sections(tmp_path), cases={"regional_offices": [office]}
    )
    seed(cli, config, tmp_path)
    with workspace_client(config) as client:
        assert sign_in(client, COORDINATOR).status_code == 303
        page = client.get("/cases", params={"regional_office": "LM Oost-Vlaanderen"})
    assert "<option selected>LM Oost-Vlaanderen</option>" in page.text
    assert "RegionalOffice(" not in page.text


def _flag_for_review(site: Seeded, number: str) -> None:
    """As intake does for a stranger's mail naming the case."""
    from config import load_settings
    from store.db import make_engine, session_factory, transaction
    from store.registration import case_by_number

    engine = make_engine(load_settings(site.config, environ={}).store.url)
    try:
        with transaction(session_factory(engine)) as session:
            case = case_by_number(session, number)
            case.flags = sorted({*(case.flags or ()), "needs_review"})
    finally:
        engine.dispose()


def test_a_reviewed_case_loses_its_needs_review_flag(coordinator, site, cli) -> None:
    page = f"/cases/{site.form_case}"
    assert "/reviewed" not in coordinator.get(page).text  # nothing to review
    _flag_for_review(site, site.form_case)
    assert "/reviewed" in coordinator.get(page).text
    note = "Zijn dochter; hoort erbij"
    done = _post(coordinator, page + "/reviewed", page, text=note)
    assert done.status_code == 303
    case = coordinator.get(f"/api/cases/{site.form_case}").json()
    assert "needs_review" not in case["flags"]
    (event,) = [e for e in case["events"] if e["kind"] == "reviewed"]
    assert event["actor"] == COORDINATOR
    assert "Zijn dochter" in str(event)
    assert "nagekeken" in coordinator.get(page).text
    # Once is enough: the command line says so in one line, changes nothing.
    again = cli("--config", site.config, "case", "reviewed", site.form_case)
    assert again.code == 2 and again.err.count("\n") == 1, again.err
    assert "not flagged needs_review" in again.err
    _flag_for_review(site, site.form_case)
    by_cli = cli("--config", site.config, "case", "reviewed", site.form_case)
    assert by_cli.code == 0, by_cli.err
    case = coordinator.get(f"/api/cases/{site.form_case}").json()
    assert "needs_review" not in case["flags"]
    assert [e["kind"] for e in case["events"]].count("reviewed") == 2


def test_a_strangers_mail_becomes_a_complaint_of_its_own(
    coordinator, site, cli, tmp_path: Path
) -> None:
    """A neighbour quoting Marc's number is stored beside his case; the case
    page offers the coordinator to make it a case of its own (as `messages
    register` does), Marc's own mail gets no such button."""
    page = f"/cases/{site.form_case}"
    assert "/own-complaint" not in coordinator.get(page).text  # Marc's own mail
    body = f"Ik heb dezelfde klacht als in {site.form_case}, maar over mijn bril."
    import_neighbours_mail(cli, site, tmp_path, body)
    html = coordinator.get(page).text
    (action,) = re.findall(r'action="(/cases/[^"]+/own-complaint)"', html)
    done = _post(coordinator, action, page)
    assert done.status_code == 303
    new = done.headers["location"].removeprefix("/cases/")
    assert new != site.form_case
    opened = coordinator.get(f"/api/cases/{new}").json()
    assert opened["member"]["email"] == "buur@example.be"
    assert [e["kind"] for e in opened["events"]][-1] == "opened_from_message"
    old = coordinator.get(f"/api/cases/{site.form_case}").json()
    assert "buur@example.be" not in {m["sender"] for m in old["messages"]}
    assert "message_moved" in [e["kind"] for e in old["events"]]
    # The message is the new case's complaint now: no button on either page.
    assert "/own-complaint" not in coordinator.get(page).text
    assert "/own-complaint" not in coordinator.get(f"/cases/{new}").text
    # A second post (a reload) is refused with the reason, nothing changed.
    again = _post(coordinator, action, page)
    assert again.status_code == 422 and "only a stranger" in again.text
