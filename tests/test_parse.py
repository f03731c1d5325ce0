"""parse_message on small hand-written messages: charsets, names, bodies, quirks."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from ingest.parse import UnparseableMessage, parse_message, sanitise_filename

DUTCH = (
    b"From: Jan Peeters <Jan.Peeters@Example.be>\r\n"
    b"To: klachten@libmutov.be\r\n"
    b"Subject: Klacht over terugbetaling\r\n"
    b"Date: Mon, 2 Feb 2026 10:00:00 +0100\r\n"
    b"Message-ID: <abc.123@example.be>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Beste, ik heb mijn terugbetaling voor de kinesist nog steeds niet "
    b"ontvangen. Het is al drie maanden geleden.\r\n"
)


def test_dutch_complaint_fields() -> None:
    msg = parse_message(DUTCH)
    assert msg.raw == DUTCH
    assert msg.sha256 == hashlib.sha256(DUTCH).hexdigest()
    assert msg.from_address == "jan.peeters@example.be"
    assert msg.from_name == "Jan Peeters"
    assert msg.contact_address == "jan.peeters@example.be"
    assert msg.to == ("klachten@libmutov.be",)
    assert msg.message_id == "abc.123@example.be"
    assert msg.subject == "Klacht over terugbetaling"
    assert msg.date == datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
    assert msg.language == "nl"
    assert "kinesist" in msg.text and "\r" not in msg.text
    assert msg.return_path is None
    assert msg.headers["subject"] == ("Klacht over terugbetaling",)


def test_french_and_german_language() -> None:
    french = (
        b"From: marie@example.be\nSubject: Plainte\n\n"
        b"Bonjour, je n'ai pas encore recu le remboursement de mes frais. "
        b"Pouvez-vous me dire pour quelle raison? Merci, cordialement.\n"
    )
    german = (
        b"From: karl@example.be\nSubject: Beschwerde\n\n"
        b"Sehr geehrte Damen und Herren, ich habe die Erstattung noch nicht "
        b"bekommen und bitte um eine Antwort. Mit freundlichen Gruessen\n"
    )
    assert parse_message(french).language == "fr"
    assert parse_message(german).language == "de"
    assert parse_message(b"From: a@b.be\nSubject: x\n\nok\n").language is None


def test_iso_8859_1_quoted_printable_body() -> None:
    raw = (
        b"From: a@example.be\nSubject: x\nMIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=iso-8859-1\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n"
        b"Je n'ai pas re=E7u ma prime, c'est d=E9j=E0 le troisi=E8me mois.\n"
    )
    assert "reçu" in parse_message(raw).text
    assert "déjà le troisième" in parse_message(raw).text


def test_windows_1252_quoted_printable_body_with_curly_quotes_and_euro() -> None:
    raw = (
        b"From: a@example.be\nSubject: x\n"
        b"Content-Type: text/plain; charset=windows-1252\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n"
        b"=93Factuur=94 van 25 =80 klopt niet.\n"
    )
    assert parse_message(raw).text == "\u201cFactuur\u201d van 25 \u20ac klopt niet."


def test_iso_8859_1_label_on_windows_1252_bytes() -> None:
    # Outlook labels windows-1252 text iso-8859-1; 0x80 is the euro sign there.
    raw = (
        b"From: a@example.be\nContent-Type: text/plain; charset=iso-8859-1\n\n\x80 5\n"
    )
    assert parse_message(raw).text == "\u20ac 5"


def test_base64_utf8_body_and_encoded_word_subject() -> None:
    raw = (
        b"From: =?utf-8?q?Fran=C3=A7oise_Dupr=C3=A9?= <f@example.be>\n"
        b"Subject: =?iso-8859-1?q?R=E9clamation_?= =?utf-8?b?w6AgcHJvcG9z?=\n"
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: base64\n\n"
        b"w4d0w6kgZXQgaGl2ZXI=\n"
    )
    msg = parse_message(raw)
    assert msg.from_name == "Françoise Dupré"
    assert msg.subject == "Réclamation à propos"
    assert msg.text == "Çté et hiver"


def test_unknown_charset_and_undecodable_bytes_are_replaced() -> None:
    raw = (
        b"From: a@example.be\nSubject: caf\xe9 \xff\n"
        b"Content-Type: text/plain; charset=x-unknown\n\n"
        b"caf\xc3\xa9 and \xff\xfe bad\n"
    )
    msg = parse_message(raw)
    assert msg.text == "café and \ufffd\ufffd bad"
    assert "unknown charset 'x-unknown'" in msg.defects
    assert msg.subject == "café ÿ"  # not UTF-8, so read as windows-1252


def test_rfc2231_filename_and_attachment_bytes() -> None:
    raw = (
        b"From: a@example.be\nSubject: bijlage\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nZie bijlage.\n"
        b"--b\nContent-Type: application/pdf\n"
        b"Content-Disposition: attachment;\n"
        b" filename*=utf-8''factuur%20%C3%A9t%C3%A9.pdf\n"
        b"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
        b"--b--\n"
    )
    msg = parse_message(raw)
    assert msg.text == "Zie bijlage."
    (att,) = msg.attachments
    assert att.filename == "factuur été.pdf"
    assert att.content_type == "application/pdf"
    assert att.data == b"%PDF-1.4\n"
    assert att.size == 9
    assert att.sha256 == hashlib.sha256(b"%PDF-1.4\n").hexdigest()


def test_encoded_word_filename_and_nameless_attachment() -> None:
    raw = (
        b"From: a@example.be\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nx\n"
        b'--b\nContent-Type: image/jpeg; name="=?utf-8?q?r=C3=B6ntgen.jpg?="\n\nJPEG\n'
        b"--b\nContent-Type: application/octet-stream\n"
        b"Content-Disposition: attachment\n\nblob\n--b--\n"
    )
    names = [a.filename for a in parse_message(raw).attachments]
    assert names == ["röntgen.jpg", "attachment-2.bin"]


def test_path_traversal_filename_is_sanitised() -> None:
    raw = (
        b"From: a@example.be\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: application/zip\n"
        b"Content-Disposition: attachment;\n"
        b' filename="../../etc/..\\\\passwd\x01.zip"\n\n'
        b"PK\n--b--\n"
    )
    (att,) = parse_message(raw).attachments
    assert att.filename == "passwd .zip"  # the control character became a blank
    assert att.data == b"PK"  # kept as bytes, never unpacked


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../x.pdf", "x.pdf"),
        ("..", "attachment-3.bin"),
        ("a\x00b\u202egpj.exe", "a_b_gpj.exe"),
        ("C:\\Users\\me\\brief..docx", "brief.docx"),
        ("", "attachment-3.bin"),
        ("   ", "attachment-3.bin"),
    ],
)
def test_sanitise_filename(name: str, expected: str) -> None:
    assert sanitise_filename(name, 3, "application/pdf") == expected


def test_thousand_character_filename_is_cut_keeping_extension() -> None:
    name = sanitise_filename("a" * 1000 + ".pdf")
    assert len(name) == 200 and name.endswith("aaa.pdf")


def test_html_only_body_becomes_text_without_script() -> None:
    raw = (
        b"From: a@example.be\nSubject: x\nContent-Type: text/html; charset=utf-8\n\n"
        b"<html><head><style>p{color:red}</style><title>T</title></head><body>"
        b"<p>Geachte,</p><p>Mijn &eacute;tat <b>klacht</b></p>"
        b"<script>alert('x')</script><img src='http://tracker.example/x.gif'>"
        b"</body></html>\n"
    )
    msg = parse_message(raw)
    assert msg.text == "Geachte,\n\nMijn état klacht"


def test_plain_part_preferred_over_html() -> None:
    raw = (
        b"From: a@example.be\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/alternative; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nplain words\n"
        b"--b\nContent-Type: text/html\n\n<p>html words</p>\n--b--\n"
    )
    assert parse_message(raw).text == "plain words"


def test_reply_headers_and_new_text() -> None:
    raw = (
        b"From: jan@example.be\nSubject: Re: Uw klacht KL-2026-00003\n"
        b"In-Reply-To: <ack-1@libmutov.be>\n"
        b"References: <orig@example.be>\n <ack-1@libmutov.be>\n\n"
        b"Nog altijd niets ontvangen.\n\n"
        b"Op ma 2 feb. 2026 om 10:12 schreef Klachtendienst <klachten@libmutov.be>:\n"
        b"> Wij hebben uw klacht goed ontvangen.\n"
    )
    msg = parse_message(raw)
    assert msg.in_reply_to == ("ack-1@libmutov.be",)
    assert msg.references == ("orig@example.be", "ack-1@libmutov.be")
    assert msg.new_text == "Nog altijd niets ontvangen."
    assert "Wij hebben uw klacht" in msg.text


def test_reply_to_return_path_and_mbox_line() -> None:
    raw = (
        b"From jan@example.be Mon Feb  2 10:00:00 2026\n"
        b"Return-Path: <>\nFrom: a@example.be\nReply-To: Other <Other@Example.be>\n\n"
        b"x\n"
    )
    msg = parse_message(raw)
    assert msg.return_path == ""
    assert msg.reply_to == "other@example.be"
    assert msg.contact_address == "other@example.be"
    assert "mbox From_ line" in msg.defects


def test_cr_only_line_endings() -> None:
    raw = b"From: a@example.be\rSubject: oud\rDate: nonsense\r\rtekst\r"
    msg = parse_message(raw)
    assert (msg.subject, msg.text, msg.date) == ("oud", "tekst", None)


@pytest.mark.parametrize("raw", [b"", b"\r\n\r\n", b"22\n"])
def test_not_a_message(raw: bytes) -> None:
    with pytest.raises(UnparseableMessage) as caught:
        parse_message(raw)
    assert caught.value.reason


def test_deep_nesting_does_not_crash() -> None:
    depth = 3000
    parts = b"".join(
        b'Content-Type: multipart/mixed; boundary="%d"\n\n--%d\n' % (i, i)
        for i in range(depth)
    )
    raw = b"From: a@example.be\nSubject: bomb\n" + parts + b"\nx\n"
    msg = parse_message(raw)
    assert msg.subject == "bomb"


def test_mixed_lone_cr_line_endings_after_an_mbox_line() -> None:
    # Found by hypothesis: the From_ line ended in a lone CR, so the mbox
    # stripper swallowed the next header too and nothing was left.
    raw = (
        b"\r\nFrom MAILER-DAEMON Mon Feb  2 10:00:00 2026\r"
        b"Received: from mx.example.be by mx.libmutov.be\nBad Header: \r"
        b"Content-Type: text/plain\n\r"
    )
    msg = parse_message(raw)
    assert "received" in msg.headers
    assert msg.raw == raw


def test_garbage_content_type_is_octet_stream() -> None:
    # Found by hypothesis: a NUL in the type reached the store (PostgreSQL
    # text cannot hold it).
    raw = (
        b"\n\nFrom MAILER-DAEMON Mon Feb  2 10:00:00 2026\n"
        b"Received: from mx.example.be by mx.libmutov.be\n"
        b"Content-Type: \x00 <script>alert(1)</script>\n"
        b"Content-Type: text/plain; filename*=utf-8''%2e%2e%2f%2e%2e%2fetc%2fpasswd\n\n"
    )
    (attachment,) = parse_message(raw).attachments
    assert attachment.content_type == "application/octet-stream"


def test_rfc2231_charset_on_an_8bit_body() -> None:
    # Found by hypothesis: the standard library's get_payload() passes the
    # RFC 2231 (charset, language, value) tuple to bytes.decode().
    raw = (
        b"Received: from mx.example.be by mx.libmutov.be\n"
        b"Content-Type: text/plain; charset*=utf-8''%ZZ\n\n\xc3\xa9t\xc3\xa9\n"
    )
    assert parse_message(raw).text.strip() == "été"


def test_a_codec_that_cannot_replace_on_an_8bit_body() -> None:
    # Found by hypothesis: get_payload() decodes with the declared charset and
    # errors="replace", which the idna codec refuses.
    raw = b"From: a@example.be\nContent-Type: text/plain; charset=idna\n\n\xc2\x80\n"
    assert parse_message(raw).text.strip() == "\x80"


def test_a_part_the_decoders_trip_over_is_kept_as_bytes(monkeypatch) -> None:
    """Whatever the next quirk of the email package is, the message parses
    and the part's bytes are kept (fault injected into the text decoder)."""
    import ingest.mime_bodies

    def broken(data: bytes, charset: str | None) -> tuple[str, str | None]:
        raise ValueError("a decoder quirk")

    monkeypatch.setattr(ingest.mime_bodies, "decode_bytes", broken)
    raw = b"From: a@example.be\nContent-Type: text/plain\n\nKlacht\n"
    msg = parse_message(raw)
    (attachment,) = msg.attachments
    assert attachment.data == b"Klacht\n"
    assert any("part unreadable (ValueError)" in d for d in msg.defects)


def test_a_forwarded_multipart_without_boundary_gives_the_same_bytes_twice() -> None:
    # Serialising it needs a boundary; the standard library draws a random one,
    # which made the stored .eml differ from one parse to the next.
    raw = (
        b"From: a@example.be\nContent-Type: message/rfc822\n\n"
        b'Content-Type: multipart/mixed; boundary="0"\n\n--0\n'
        b"Content-Type: text/plain\n\nhi\n--0\n"
        b'Content-Type: multipart/mixed; boundary=""\n\n--\n'
        b"Content-Type: text/plain\n\nthere\n"
    )
    first, second = parse_message(raw), parse_message(raw)
    assert first.attachments[0].data == second.attachments[0].data
    assert b"there" in first.attachments[0].data
