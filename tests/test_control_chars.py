"""Control characters never reach the terminal, and an address is parsed
after decoding: a display name cannot become the stored e-mail address."""

from __future__ import annotations

import pytest

from ingest.addresses import parse_addresses, usable_address
from ingest.parse import parse_message
from service.output import printable

ESC, CSI = "\x1b", "\x9b"
# A display name whose encoded-word holds a newline, "bcc:" and an "@".
FORGED_NAMES = (
    "=?utf-8?q?jan=0Abcc=3A_evil02=40evil=2Eexample?= <real@example.be>",
    "=?utf-8?q?jan=0Abcc:_evil02@evil.example?= <real@example.be>",
)


def raw_mail(sender: str, subject: str, body: str, mid: str) -> bytes:
    head = (
        f"From: {sender}\r\nTo: klachten@libmutov.be\r\nSubject: {subject}\r\n"
        f"Message-ID: <{mid}@example.be>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode() + body.encode("utf-8") + b"\r\n"


@pytest.mark.parametrize("header", FORGED_NAMES)
def test_encoded_display_name_never_becomes_the_address(header: str) -> None:
    msg = parse_message(raw_mail(header, "x", "tekst", "a"))
    assert msg.from_address == "real@example.be"
    assert "\n" not in (msg.from_name or "")


@pytest.mark.parametrize(
    "value",
    [
        "=?utf-8?b?amFuQGV2aWwuZXhhbXBsZQo=?=",  # "jan@evil.example\n", encoded
        "Jan <jan\x1b@example.be>",
        "Jan <jan\x9b@example.be>",
        '"a b"@example.be',
        "<a@b@example.be>",
        "<@example.be>",
    ],
)
def test_addresses_with_controls_or_junk_are_dropped(value: str) -> None:
    assert parse_addresses("reply-to", value) == []


def test_quoted_and_cased_address_is_plain() -> None:
    assert parse_addresses("from", '"Target"@Example.BE') == [("", "target@example.be")]
    assert usable_address("zoe@exämple.be")
    for bad in ("a\nb@x.be", "a@x.be\r", "a @x.be", "a@x", "a@x..be", ".a@x.be"):
        assert not usable_address(bad), bad


def test_printable() -> None:
    assert printable("a\x1b[2Jb\x9bc\x7f") == "a\\x1b[2Jb\\x9bc\\x7f"
    assert printable("a\nb\tc\r") == "a\\nb\\tc\\r"
    assert printable("a\nb\x1b", keep_newlines=True) == "a\nb\\x1b"
    assert printable("\u202eevil\u2066") == "\\u202eevil\\u2066"
    assert printable("Zoë Ünal — ok") == "Zoë Ünal — ok"


def test_case_show_and_lists_escape_controls(
    cli, make_config, db_url, tmp_path
) -> None:
    subject = "=?utf-8?q?Klacht_=1B]0;pwned=07_en_=C2=9B31m?="
    body = f"Mijn klacht{ESC}[2J{CSI}31m\nTweede regel\u202e"
    path = tmp_path / "evil.eml"
    path.write_bytes(raw_mail(FORGED_NAMES[0], subject, body, "evil1"))
    config = make_config(db_url)
    assert cli("--config", config, "import", path).code == 0
    listed = cli("--config", config, "cases", "list")
    assert listed.code == 0
    number = listed.out.splitlines()[2].split()[0]
    shown = cli("--config", config, "case", "show", number)
    assert shown.code == 0, shown.err
    for output in (listed.out, shown.out):
        assert ESC not in output and CSI not in output and "\x07" not in output
        assert "\u202e" not in output
    assert "en \\x9b31m" in listed.out  # C0 in headers became spaces at intake
    assert "Mijn klacht\\x1b[2J\\x9b31m" in shown.out
    assert "  Tweede regel\\u202e" in shown.out  # the body keeps its lines
    assert not [ln for ln in shown.out.splitlines() if ln.lower().startswith("bcc")]
    data = cli("--config", config, "case", "show", number, "--format", "json")
    case = data.json()
    assert case["member"]["email"] == "real@example.be"
    assert "\\u009b" in data.out and CSI not in data.out
    assert case["description"].startswith(f"Mijn klacht{ESC}[2J{CSI}31m")
    messages = cli("--config", config, "messages", "list")
    assert ESC not in messages.out and CSI not in messages.out
