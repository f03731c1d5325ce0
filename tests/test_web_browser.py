"""The workspace's main paths in a real browser: Debian's chromium driven by
Playwright, against `klachten web` served by uvicorn in its own process, with
answers delivered to the test SMTP server.

In CI (KLACHTEN_CI=1) a missing chromium or Playwright fails; elsewhere the
tests are skipped with the reason.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web_support import (
    COORDINATOR,
    PASSWORD,
    VIEWER,
    import_neighbours_mail,
    seed,
    web_sections,
)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _need_browser() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = (
            "chromium is not installed (scripts/bootstrap: apt-get install chromium)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "playwright is not installed (pip install -e '.[test]')"
    if problem and os.environ.get("KLACHTEN_CI"):
        pytest.fail(problem)
    if problem:
        pytest.skip(problem)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"klachten web exited: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("klachten web did not start listening")


@pytest.fixture
def served(cli, make_config, sqlite_url, smtp_server, tmp_path) -> Iterator[Any]:
    """`klachten web` on a free loopback port, the cases seeded, SMTP real."""
    _need_browser()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    config = make_config(
        sqlite_url,
        smtp={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
        web=web_sections(tmp_path, base_url=base),
    )
    site = seed(cli, config, tmp_path)
    log = tmp_path / "web.log"
    command = [sys.executable, "-m", "service.cli", "--config", str(config)]
    command += ["web", "--listen", f"127.0.0.1:{port}"]
    with log.open("wb") as stderr:  # the child keeps its own copy
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        _wait_listening(port, process, log)
        yield base, site
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def browser() -> Iterator[Any]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        try:
            yield instance
        finally:
            instance.close()


def _sign_in(browser: Any, base: str, email: str) -> Any:
    context = browser.new_context(accept_downloads=True, base_url=base)
    page = context.new_page()
    page.goto("/cases")
    assert "/signin" in page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/signin'] button")
    page.wait_for_url("**/cases")
    return page


def test_coordinator_main_path(served, browser, smtp_server) -> None:
    base, site = served
    page = _sign_in(browser, base, COORDINATOR)

    # Find the case by the member's name, open it.
    page.fill("input[name=q]", "Vermeulen")
    page.click("form.filters button")
    page.wait_for_url("**q=Vermeulen**")
    assert page.locator("table.cases tbody tr").count() == 1
    page.click(f"text={site.form_case}")
    page.wait_for_url(f"**/cases/{site.form_case}")
    assert "Vermeulen Marc" in page.content()

    # Download the PDF form: the bytes are the stored ones.
    with page.expect_download() as download:
        page.click("a:has-text('formulier.pdf')")
    data = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == site.pdf_sha256
    assert download.value.suggested_filename == "formulier.pdf"

    # Assign, then correct the category.
    page.fill("form[action$='/assign'] input[name=to]", "els@libmutov.be")
    page.click("form[action$='/assign'] button")
    page.wait_for_selector(".flash")
    assert page.inner_text("dd.assignee") == "els@libmutov.be"
    page.select_option("form.edit select[name=category]", "andere")
    page.click("form.edit button")
    page.wait_for_selector(".flash")
    assert page.inner_text("dd.category") == "andere"

    # Answer: preview, then send; the mail reaches the SMTP server.
    already = len(smtp_server.received)
    form = "form[action$='/answer']"
    page.select_option(f"{form} select[name=outcome]", "founded")
    page.fill(f"{form} textarea[name=text]", "Wij betalen de beurten terug.")
    page.select_option(f"{form} select[name=delivery]", "email")
    page.click(f"{form} button[value=preview]")
    page.wait_for_selector(".preview-text")
    preview = page.inner_text(".preview-text")
    assert "Wij betalen de beurten terug." in preview and site.form_case in preview
    page.click("button[value=send]")
    page.wait_for_selector(".flash")
    answer = _wait_for_answer(smtp_server, already, site.form_case)
    assert answer.rcpt_tos == ("marc.vermeulen@example.be",)
    assert (
        "Wij betalen de beurten terug."
        in answer.message.get_body(("plain",)).get_content()
    )
    page.reload()
    assert page.inner_text("h1 .status") == "beantwoord"  # the status in words


def _wait_for_answer(smtp_server: Any, after: int, number: str) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for mail in smtp_server.received[after:]:
            if number in str(mail.message["Subject"]) and "Antwoord" in str(
                mail.message["Subject"]
            ):
                return mail
        time.sleep(0.2)
    raise TimeoutError("the answer did not reach the SMTP server")


def test_a_viewer_cannot_act(served, browser) -> None:
    base, site = served
    page = _sign_in(browser, base, VIEWER)
    page.goto(f"/cases/{site.form_case}")
    assert page.locator("form[action$='/assign']").count() == 0
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    response = page.request.post(
        f"{base}/cases/{site.form_case}/assign",
        form={"csrf": token, "to": "els@libmutov.be"},
    )
    assert response.status == 403
    api = page.request.post(
        f"{base}/api/cases/{site.form_case}/notes",
        data={"text": "x"},
        headers={"Origin": base},
    )
    assert api.status == 403


class _Evil(http.server.BaseHTTPRequestHandler):
    """Another origin whose page posts a form to the workspace."""

    target = ""

    def do_GET(self) -> None:
        body = (
            f'<form method="post" action="{self.target}">'
            '<input name="text" value="forged note"><input name="csrf" value="guess">'
            '<button id="go">go</button></form>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_form_from_another_origin_is_refused(served, browser) -> None:
    base, site = served
    page = _sign_in(browser, base, COORDINATOR)
    handler = type("Evil", (_Evil,), {"target": f"{base}/cases/{site.form_case}/note"})
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{evil.server_address[1]}/")
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.click("#go")
        assert posted.value.status == 403
    finally:
        evil.shutdown()
        evil.server_close()
    page.goto(f"{base}/cases/{site.form_case}")
    assert "forged note" not in page.content()


def test_a_strangers_mail_becomes_its_own_case_and_the_flag_is_cleared(
    served, browser, cli, tmp_path: Path
) -> None:
    """A neighbour's mail quoting Marc's number joins nothing: it is stored
    under his case, which is flagged for review. In the browser a coordinator
    makes it a case of its own, then marks Marc's case reviewed."""
    base, site = served
    body = f"Zelfde probleem als {site.form_case}: <b>mijn</b> bril."
    import_neighbours_mail(cli, site, tmp_path, body)
    page = _sign_in(browser, base, COORDINATOR)
    page.goto(f"/cases/{site.form_case}")
    flagged = page.locator(".flag", has_text="na te kijken")
    assert flagged.count() >= 1
    assert "<b>mijn</b> bril" in page.inner_text("article.message:last-of-type pre")
    page.click("form[action$='/own-complaint'] button")
    page.wait_for_selector(".flash")
    new = page.url.rsplit("/", 1)[-1]
    assert new != site.form_case
    assert "buur@example.be" in page.inner_text("body")

    page.goto(f"/cases/{site.form_case}")
    assert page.locator("form[action$='/own-complaint']").count() == 0
    page.fill("form[action$='/reviewed'] textarea", "De buur kreeg een eigen dossier")
    page.click("form[action$='/reviewed'] button")
    page.wait_for_selector(".flash")
    assert page.locator("form[action$='/reviewed']").count() == 0
    assert flagged.count() == 0
