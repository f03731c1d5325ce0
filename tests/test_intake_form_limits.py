"""A message whose forms go over a limit still becomes a case; a message whose
reading took the service down is quarantined after max_attempts starts.

Real store (SQLite and PostgreSQL), real worker processes, the generated slow
PDF; only the limits are small.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from ingest.incoming import Incoming
from service.runner import make_intake
from store import form_starts
from tests.badfiles import slow_pdf
from tests.formfill import asset, fill_pdf

QUICK = {"form_seconds": 3, "message_form_seconds": 5}


@pytest.fixture(scope="module")
def slow() -> bytes:
    return slow_pdf()


def mail(*attachments: tuple[str, bytes], subject: str = "Klacht") -> bytes:
    message = EmailMessage()
    message["From"] = "Jan Peeters <jan.peeters@example.be>"
    message["To"] = "klachten@libmutov.be"
    message["Subject"] = subject
    message["Message-ID"] = f"<{hashlib.sha1(subject.encode()).hexdigest()}@x.be>"
    message["Date"] = "Mon, 02 Mar 2026 10:00:00 +0100"
    message.set_content("Mijn klacht staat in de bijlage.")
    for name, data in attachments:
        message.add_attachment(
            data, maintype="application", subtype="pdf", filename=name
        )
    return message.as_bytes()


def incoming(raw: bytes, key: int = 1) -> Incoming:
    return Incoming(raw=raw, received_at=datetime.now(UTC), source="import", key=key)


def sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@pytest.fixture
def config(make_config, db_url):
    return make_config(db_url, ingest=QUICK)


def test_over_the_limit_the_case_is_registered_flagged_with_an_event(
    config, app_for, cli, slow
) -> None:
    form = fill_pdf(asset("klachtenformulier-nl.pdf"), {"postcode": "9000"})
    raw = mail(("traag.pdf", slow), ("formulier.pdf", form))
    intake = make_intake(app_for(config))
    outcome = intake.handle(incoming(raw))
    assert outcome.status == "case"
    shown = cli("--config", config, "case", "show", outcome.case_number, "--format",
                "json").json()  # fmt: skip
    assert {"attachment_too_slow", "needs_review"} <= set(shown["flags"])
    assert shown["attachment_count"] == 2  # the slow PDF is kept
    assert shown["member"]["postcode"] == "9000"  # the other form was read
    limits = [e for e in shown["events"] if e["kind"] == "form_limit"]
    assert len(limits) == 1, shown["events"]
    assert limits[0]["details"]["attachment"] == "traag.pdf"
    assert limits[0]["details"]["limit"] in ("wall", "message_wall")
    assert form_starts.work_starts(intake.sessions, sha(raw)) == 0


def test_the_start_is_committed_before_the_work(config, app_for, slow) -> None:
    raw = mail(("traag.pdf", slow))
    intake = make_intake(app_for(config))
    seen: list[int] = []

    def heartbeat() -> bool:
        # Another transaction, while the worker reads: the start is there.
        if not seen:
            seen.append(form_starts.work_starts(intake.sessions, sha(raw)))
        return False

    intake.heartbeat = heartbeat
    assert intake.handle(incoming(raw)).status == "case"
    assert seen == [1]
    assert form_starts.work_starts(intake.sessions, sha(raw)) == 0


def test_after_max_attempts_starts_the_message_is_quarantined_unread(
    config, app_for, slow
) -> None:
    raw = mail(("traag.pdf", slow), subject="fataal")
    app = app_for(config)
    for _ in range(app.settings.ingest.max_attempts):  # three killed services
        form_starts.begin_work(app.sessions, sha(raw))
    intake = make_intake(app)
    beats: list[int] = []
    intake.heartbeat = lambda: bool(beats.append(1))
    good = mail(subject="goed")
    done = intake.handle_many([incoming(raw, 1), incoming(good, 2)])
    assert [outcome.status for _item, outcome in done] == ["quarantined", "case"]
    assert beats == []  # no worker was asked to read it again
    assert form_starts.work_starts(app.sessions, sha(raw)) == 0


def test_a_stop_during_forms_leaves_the_message_and_takes_back_its_start(
    config, app_for, slow
) -> None:
    raw = mail(("traag.pdf", slow), subject="gestopt")
    intake = make_intake(app_for(config))
    intake.heartbeat = lambda: True
    assert intake.handle_many([incoming(raw)]) == []  # not stored, not marked
    assert form_starts.work_starts(intake.sessions, sha(raw)) == 0


def test_an_ended_start_goes_with_the_next_one(config, app_for) -> None:
    """A message read in full is not blamed when a later one kills the service."""
    form = fill_pdf(asset("klachtenformulier-nl.pdf"), {"postcode": "9000"})
    first, second = mail(("a.pdf", form), subject="een"), mail(("b.pdf", form))
    intake = make_intake(app_for(config))
    seen: list[tuple[int, int]] = []

    def heartbeat() -> bool:
        seen.append(
            (
                form_starts.work_starts(intake.sessions, sha(first)),
                form_starts.work_starts(intake.sessions, sha(second)),
            )
        )
        return False

    intake.heartbeat = heartbeat
    done = intake.handle_many([incoming(first, 1), incoming(second, 2)])
    assert [outcome.status for _item, outcome in done] == ["case", "case"]
    assert (0, 1) in seen  # while the second is read, the first is cleared
    assert form_starts.work_starts(intake.sessions, sha(first)) == 0
    assert form_starts.work_starts(intake.sessions, sha(second)) == 0
