"""A workspace on a real database with real cases, for the web tests.

Cases come in the way they do in production (`klachten import` of .eml
files: a member's PDF form, and a mail whose subject is markup); accounts
through store/accounts.py, the path `klachten user add` takes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.formfill import asset, fill_pdf, insz

if TYPE_CHECKING:
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery"
ADMIN = "admin@libmutov.be"
COORDINATOR = "coord@libmutov.be"
VIEWER = "viewer@libmutov.be"
DISABLED = "gone@libmutov.be"
SCRIPT_SUBJECT = "<script>alert('x')</script> & <b>vet</b>"
FORM_VALUES = {
    "name": "Vermeulen Marc",
    "member_number": "123-4567890-12",
    "insz": insz("850730033"),
    "street": "Kerkstraat 12",
    "postcode": "9000",
    "city": "Gent",
    "phone": "0470 12 34 56",
    "email": "marc.vermeulen@example.be",
    "category": "terugbetaling",
    "description": "Mijn kinesitherapie werd nog niet terugbetaald.",
    "desired_solution": "Terugbetaling van de beurten.",
}


@dataclass
class Seeded:
    config: Path
    form_case: str  # Marc's case, with the PDF form
    script_case: str  # the case whose subject is markup
    pdf_sha256: str
    numbers: list[str] = field(default_factory=list)


def mail(sender: str, subject: str, body: str, pdf: bytes | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "klachten@libmutov.be"
    message["Subject"] = subject
    message["Date"] = "Mon, 30 Nov 2026 09:30:00 +0100"
    message["Message-ID"] = f"<{hashlib.sha1(subject.encode()).hexdigest()}@ex.be>"
    message.set_content(body)
    if pdf is not None:
        message.add_attachment(
            pdf, maintype="application", subtype="pdf", filename="formulier.pdf"
        )
    return message.as_bytes()


@cache
def form_pdf() -> bytes:
    return fill_pdf(asset("klachtenformulier-nl.pdf"), FORM_VALUES)


def seed(cli: Any, config: Path, tmp: Path) -> Seeded:
    """Two cases (Marc's form, the markup subject) and four accounts."""
    pdf = form_pdf()
    inbox = tmp / "mails"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(
        mail(
            "Marc <marc.vermeulen@example.be>", "Klachtenformulier", "Zie bijlage.", pdf
        )
    )
    (inbox / "2.eml").write_bytes(
        mail(
            "Els <els.janssens@example.be>",
            SCRIPT_SUBJECT,
            "Mijn klacht: <img src=x onerror=alert(1)> geen antwoord.",
        )
    )
    result = cli("--config", config, "import", inbox)
    assert result.code == 0, result.err
    cases = cli("--config", config, "cases", "list", "--format", "json").json()
    by_subject = {c["subject"]: c["number"] for c in cases}
    add_accounts(config)
    return Seeded(
        config=config,
        form_case=by_subject["Klachtenformulier"],
        script_case=by_subject[SCRIPT_SUBJECT],
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        numbers=sorted(by_subject.values()),
    )


def add_accounts(config: Path) -> None:
    from config import load_settings
    from store import accounts
    from store.db import make_engine, session_factory, transaction

    settings = load_settings(config, environ={})
    engine = make_engine(settings.store.url)
    try:
        with transaction(session_factory(engine)) as db:
            # argon2 is slow by design: passwords only where a test signs in
            # with one; the others are sign-on accounts.
            for email, role, password in (
                (ADMIN, "admin", None),
                (COORDINATOR, "coordinator", PASSWORD),
                (VIEWER, "viewer", PASSWORD),
                (DISABLED, "coordinator", None),
            ):
                accounts.add_account(
                    db, email, email.split("@")[0], role, password, "test"
                )
            accounts.disable_account(db, DISABLED, "test")
    finally:
        engine.dispose()


def web_sections(tmp: Path, base_url: str = "http://testserver") -> dict[str, Any]:
    key = tmp / "web.key"
    key.write_text("k" * 48)
    return {
        "base_url": base_url,
        "trusted_user_header": "X-Remote-User",
        "trusted_proxies": ["127.0.0.1"],
        "secret_key_file": str(key),
    }


_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def token(html: str) -> str:
    """The form token of a page."""
    found = _TOKEN.search(html)
    assert found, "no form token on the page"
    return found.group(1)


def sign_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    page = client.get("/signin")
    return client.post(
        "/signin",
        data={"email": email, "password": password, "csrf": token(page.text)},
        follow_redirects=False,
    )


@contextmanager
def workspace_client(
    config: Path, peer: str = "10.1.2.3", sso: str | None = None
) -> Iterator[TestClient]:
    """A client of the workspace built from `config`, every connection from
    `peer`; with `sso`, each request names that account in the SSO header
    (the peer must be a trusted proxy). The workspace's store is closed after."""
    from starlette.testclient import TestClient

    from config import load_settings
    from web.app import create_app

    app = create_app(load_settings(config, environ={}), environ={})
    try:
        with TestClient(app, client=(peer, 40000)) as client:
            if sso is not None:
                client.headers["X-Remote-User"] = sso
            yield client
    finally:
        app.state.ws.close()


def import_neighbours_mail(cli: Any, site: Seeded, tmp: Path, body: str) -> None:
    """A neighbour's mail naming Marc's case, taken in by `klachten import`:
    intake stores it under his case as a stranger's mail, for review."""
    inbox = tmp / "later"
    inbox.mkdir()
    raw = mail("Buur <buur@example.be>", f"Over {site.form_case}", body)
    (inbox / "buur.eml").write_bytes(raw)
    assert cli("--config", site.config, "import", inbox).code == 0
