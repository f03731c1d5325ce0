"""NUL never reaches a text column: a complaint carrying one is registered,
not quarantined, on PostgreSQL (which refuses NUL in text) and on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from sqlalchemy import select

from ingest.incoming import Incoming
from service.runner import make_intake
from store.models import Case, Event, FormFieldValue, Message
from store.nul import without_nul
from tests.formfill import asset, fill_pdf


def test_without_nul_cleans_every_string_and_keeps_the_rest() -> None:
    assert without_nul(("a\x00b", b"x\x00y", 3, None)) == ("ab", b"x\x00y", 3, None)
    assert without_nul({"k": "\x00v\x00"}) == {"k": "v"}
    assert without_nul([{"k": "a\x00"}, {"k": "b"}]) == [{"k": "a"}, {"k": "b"}]
    assert without_nul([("a", ["b\x00"])]) == [("a", ["b"])]


def test_without_nul_returns_the_same_object_when_clean() -> None:
    clean = [{"k": "a", "n": 1}, ("b", b"\x00")]
    assert without_nul(clean) is clean


def _mail_with_nul() -> bytes:
    """A complaint whose body, subject and PDF form values hold NUL characters,
    as a PDF's text layer or a broken mail program produces them."""
    message = EmailMessage()
    message["From"] = "Marc Vermeulen <marc@example.be>"
    message["To"] = "klachten@libmutov.be"
    message["Subject"] = "Klacht\x00 over mijn terugbetaling"
    message["Message-ID"] = "<nul-1@example.be>"
    message.set_content("Mijn kine\x00sitherapie werd niet terugbetaald.")
    filled = fill_pdf(
        asset("klachtenformulier-nl.pdf"),
        {"name": "Vermeulen\x00 Marc", "description": "Kine\x00 niet terugbetaald"},
    )
    message.add_attachment(
        filled, maintype="application", subtype="pdf", filename="formulier.pdf"
    )
    return message.as_bytes()


def test_a_complaint_with_nul_is_registered(db_url, make_config, app_for) -> None:
    app = app_for(make_config(db_url))
    raw = _mail_with_nul()
    item = Incoming(
        raw=raw, source="import", received_at=datetime.now(UTC), key="nul-1"
    )
    outcome = make_intake(app).handle(item)
    assert (outcome.status, outcome.klass) == ("case", "complaint")
    with app.transaction() as session:
        case = session.scalars(select(Case)).one()
        message = session.scalars(select(Message)).one()
        fields = session.scalars(select(FormFieldValue.value)).all()
        kinds = session.scalars(select(Event.kind)).all()
        texts = [
            case.subject,
            case.description,
            case.member_name,
            message.subject,
            message.body_text,
            *fields,
        ]
        assert message.raw == raw  # the raw bytes are kept as they came
    assert any("Kine niet terugbetaald" in value for value in fields)
    assert all("\x00" not in (text or "") for text in texts)
    assert "registered" in kinds
