"""The MIME bytes of an outbox mail, read back with the email package."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

from responder.compose import Envelope, compose
from responder.render import RenderedMail

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
RENDERED = RenderedMail(
    subject="Ontvangstmelding van uw klacht [KL-2026-00042]",
    text="Beste Zoë Ünal,\n\nWij hebben uw klacht goed ontvangen.\n",
    html="<p>Beste Zoë Ünal,</p>",
)


def envelope(**changes: object) -> Envelope:
    values: dict[str, object] = {
        "from_name": "LM Klachtendienst – Gent",
        "from_address": "klachten@libmutov.be",
        "recipients": ("zoe@example.be",),
        "message_id": "abc123@libmutov.be",
        "in_reply_to": "<orig@example.be>",
        "references": "<older@example.be> <orig@example.be>",
        "case_number": "KL-2026-00042",
    }
    values.update(changes)
    return Envelope(**values)  # type: ignore[arg-type]


def parsed(data: bytes) -> EmailMessage:
    """What a receiving server would see: the bytes, parsed again."""
    assert b"\r\n" in data and all(byte < 128 for byte in data)
    assert b"\n" not in data.replace(b"\r\n", b"") and b"\r" not in data.replace(
        b"\r\n", b""
    )
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def test_member_mail_headers() -> None:
    mail = parsed(compose(RENDERED, envelope(), NOW))
    assert mail["Subject"] == "Ontvangstmelding van uw klacht [KL-2026-00042]"
    assert mail["From"].addresses[0].display_name == "LM Klachtendienst – Gent"
    assert mail["From"].addresses[0].addr_spec == "klachten@libmutov.be"
    assert mail["Reply-To"] == "klachten@libmutov.be"
    assert mail["To"] == "zoe@example.be"
    assert mail["Message-ID"] == "<abc123@libmutov.be>"
    assert mail["In-Reply-To"] == "<orig@example.be>"
    assert mail["References"] == "<older@example.be> <orig@example.be>"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Klachten-Case"] == "KL-2026-00042"
    assert mail["Date"].datetime == NOW


def test_multipart_alternative_in_utf8() -> None:
    mail = parsed(compose(RENDERED, envelope(), NOW))
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content_charset() == "utf-8"
    assert "Zoë Ünal" in text.get_content()
    assert "Zoë Ünal" in html.get_content()


def test_content_language_is_the_templates_language() -> None:
    french = RenderedMail("x", "y\n", None, language="fr")
    assert parsed(compose(french, envelope(), NOW))["Content-Language"] == "fr"
    # No language known, or one that is not a language tag: no header at all.
    for language in ("", "fr\r\nBcc: x@example.be", "français"):
        rendered = RenderedMail("x", "y\n", None, language=language)
        mail = parsed(compose(rendered, envelope(), NOW))
        assert mail["Content-Language"] is None and mail["Bcc"] is None


def test_text_only_without_html_part() -> None:
    plain = RenderedMail(subject="x", text="alleen tekst\n", html=None)
    mail = parsed(compose(plain, envelope(), NOW))
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content().splitlines() == ["alleen tekst"]


def test_coordinator_mail_is_auto_generated_and_reply_to_is_configurable() -> None:
    mail = parsed(
        compose(
            RENDERED,
            envelope(
                audience="coordinator",
                in_reply_to=None,
                references=None,
                case_number=None,
                reply_to="secretariaat@libmutov.be",
            ),
            NOW,
        )
    )
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Reply-To"] == "secretariaat@libmutov.be"
    assert mail["In-Reply-To"] is None and mail["References"] is None
    assert mail["X-Klachten-Case"] is None


def test_no_header_injection_from_stored_values() -> None:
    evil = RenderedMail(subject="klacht\r\nBcc: all@example.be", text="x\n", html=None)
    message = compose(evil, envelope(references="<a@b>\r\nBcc: all@example.be"), NOW)
    mail = parsed(message)
    assert mail["Bcc"] is None
    assert mail["Subject"] == "klacht Bcc: all@example.be"


def test_an_answer_carries_no_auto_reply_markers() -> None:
    mail = parsed(compose(RENDERED, envelope(kind="answer"), NOW))
    assert mail["Auto-Submitted"] is None
    assert mail["X-Auto-Response-Suppress"] is None
    mail = parsed(compose(RENDERED, envelope(kind="acknowledgement"), NOW))
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"


def test_an_acknowledgement_names_its_complaint_by_hash_only() -> None:
    sha = "ab" * 32
    mail = parsed(compose(RENDERED, envelope(complaint=sha), NOW))
    assert mail["X-Klachten-Complaint"] == sha
    # Anything but a sha256 in hex never reaches a header.
    for bad in ("AB" * 32, "ab" * 31, sha + "\r\nBcc: x@evil.test", "", None):
        plain = parsed(compose(RENDERED, envelope(complaint=bad), NOW))
        assert plain["X-Klachten-Complaint"] is None
        assert plain["Bcc"] is None
