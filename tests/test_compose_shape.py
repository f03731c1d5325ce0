"""The composed bytes are standard MIME whatever the text: read back with the
email package they give the same values, and they say what EmailMessage said."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from email.headerregistry import Address
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from responder.compose import Envelope, compose
from responder.render import RenderedMail, one_line
from tests.test_compose import NOW, envelope

ANY_CHAR = st.characters(blacklist_categories=("Cs",))
# Words that exercise encoded-words, quoting and folding.
WORDS = st.sampled_from(
    [
        "klacht",
        "Zoë",
        "Ünal",
        "–",
        "plainte",
        "réception",
        "[KL-2026-00042]",
        "=?utf-8?q?x?=",
        "?=",
        "a=b",
        '"quoted"',
        "back\\slash",
        "Иван",
        "漢字",
        "😀",
        "x" * 90,
        "(comment)",
        "J.",
        ",",
        "_",
    ]
)
PHRASE = st.one_of(
    st.lists(WORDS, max_size=12).map(" ".join), st.text(ANY_CHAR, max_size=60)
)
BODY = st.one_of(
    st.lists(st.one_of(WORDS, st.just("\n"), st.just(" ")), max_size=80).map("".join),
    st.text(ANY_CHAR, max_size=400),
    st.text(st.sampled_from("ab =.\t\r\nëé"), max_size=400),
)


def read(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def body_as_read(text: str) -> str:
    """What the receiver's get_content() gives for a body we were handed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def content(part: EmailMessage | None) -> str:
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def display_name(name: str, data: bytes) -> str:
    """`name`, without spaces when the From header has two encoded-words in a
    row: the standard drops the space between them, Python's address parser
    keeps it (its Subject parser does not)."""
    header = data.split(b"\r\nTo:")[0]
    if re.search(rb"\?=\s+=\?", header):
        return "".join(name.split())
    return name


def assert_wire_format(data: bytes) -> None:
    """ASCII, CRLF only, no line over 998; headers within 78 unless one word
    in them is longer."""
    assert all(byte < 128 for byte in data)
    lines = data.split(b"\r\n")
    assert not any(b"\r" in line or b"\n" in line for line in lines)
    assert all(len(line) <= 998 for line in lines)
    end = lines.index(b"")
    for line in lines[:end]:
        longest_word = max(map(len, line.split(b" ")))
        assert len(line) <= 78 or longest_word > 60, line
    # 7bit bodies within 78, quoted-printable ones within 76.
    assert all(len(line) <= 78 for line in lines[end:])
    if b"Transfer-Encoding: 7bit" not in data:
        assert all(len(line) <= 76 for line in lines[end:] if b"boundary" not in line)


@given(subject=PHRASE, name=PHRASE, text=BODY, html=st.one_of(st.none(), BODY))
def test_any_text_reads_back_as_given(
    subject: str, name: str, text: str, html: str | None
) -> None:
    rendered = RenderedMail(subject=subject, text=text, html=html)
    data = compose(rendered, envelope(from_name=name), NOW)
    assert_wire_format(data)
    mail = read(data)
    assert not mail.defects
    assert mail["Subject"] == one_line(subject)
    (sender,) = mail["From"].addresses
    assert sender.addr_spec == "klachten@libmutov.be"
    assert display_name(sender.display_name, data) == display_name(one_line(name), data)
    assert content(mail.get_body(("plain",))) == body_as_read(text)
    if html is None:
        assert mail.get_content_type() == "text/plain"
    else:
        assert mail.get_content_type() == "multipart/alternative"
        assert content(mail.get_body(("html",))) == body_as_read(html)
    for part in mail.walk():
        assert not part.defects


@given(references=st.lists(WORDS, min_size=1, max_size=30).map(" ".join))
def test_threading_headers_read_back_folded(references: str) -> None:
    data = compose(RenderedMail("x", "y\n", None), envelope(references=references), NOW)
    assert_wire_format(data)
    assert read(data)["References"] == one_line(references)


def test_bodies_are_7bit_only_when_ascii_and_short_lined() -> None:
    def encoding(text: str) -> str:
        mail = read(compose(RenderedMail("x", text, None), envelope(), NOW))
        return mail["Content-Transfer-Encoding"]

    assert encoding("short ascii lines\n") == "7bit"
    assert encoding("a" * 79 + "\n") == "quoted-printable"
    assert encoding("één\n") == "quoted-printable"
    assert encoding("tab\tok\n") == "7bit"
    assert encoding("form\x0cfeed\n") == "quoted-printable"


def test_long_lines_and_trailing_spaces_survive_quoted_printable() -> None:
    text = "é" * 200 + " \n" + "a=b " * 40 + "\n.\n"
    data = compose(RenderedMail("x", text, None), envelope(), NOW)
    body = data.split(b"\r\n\r\n", 1)[1]
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))
    assert content(read(data)) == text


@pytest.mark.parametrize(
    "recipient",
    ["zoë@example.be", "anna@exämple.be", "a b@example.be", "<a@example.be>"],
)
def test_an_address_we_cannot_send_to_is_a_value_error(recipient: str) -> None:
    # delivery turns ValueError into a failed mail; smtplib would have raised
    # UnicodeEncodeError at RCPT and stopped the whole batch on every run.
    with pytest.raises(ValueError):
        compose(RenderedMail("x", "y\n", None), envelope(recipients=(recipient,)), NOW)


def test_several_recipients_fold_in_the_to_header() -> None:
    recipients = tuple(f"coordinator{i}@libmutov.be" for i in range(8))
    data = compose(RenderedMail("x", "y\n", None), envelope(recipients=recipients), NOW)
    assert_wire_format(data)
    assert [a.addr_spec for a in read(data)["To"].addresses] == list(recipients)


def stdlib_compose(rendered: RenderedMail, env: Envelope) -> EmailMessage:
    """The composer this module replaced (EmailMessage and the header
    registry), kept as the reference for which headers go out."""
    policy = email.policy.SMTP.clone(cte_type="7bit")
    message = EmailMessage(policy=policy)
    message["From"] = Address(one_line(env.from_name), addr_spec=env.from_address)
    message["To"] = ", ".join(env.recipients)
    message["Reply-To"] = env.reply_to or env.from_address
    message["Subject"] = one_line(rendered.subject)
    message["Date"] = email.utils.format_datetime(NOW)
    message["Message-ID"] = f"<{env.message_id}>"
    if env.in_reply_to:
        message["In-Reply-To"] = one_line(env.in_reply_to)
    if env.references:
        message["References"] = one_line(env.references)
    auto = "auto-replied" if env.audience == "member" else "auto-generated"
    message["Auto-Submitted"] = auto
    message["X-Auto-Response-Suppress"] = "All"
    if env.case_number:
        message["X-Klachten-Case"] = env.case_number
    message.set_content(rendered.text, charset="utf-8")
    if rendered.html is not None:
        message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return message


def headers(mail: EmailMessage) -> dict[str, str]:
    values = {name: str(value) for name, value in mail.items()}
    values["Content-Type"] = re.sub(r';\s*boundary=".*"', "", values["Content-Type"])
    return values


@pytest.mark.parametrize("html", [None, "<p>Beste Zoë Ünal,</p>"])
@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"audience": "coordinator", "in_reply_to": None, "references": None},
        {"case_number": None, "reply_to": "secretariaat@libmutov.be"},
        {"from_name": "Klachten, Gent", "recipients": ("a@x.be", "b@x.be")},
    ],
)
def test_same_headers_and_parts_as_email_message(
    html: str | None, changes: dict[str, object]
) -> None:
    rendered = RenderedMail(
        subject="Accusé de réception de votre plainte [KL-2026-00042]",
        text="Beste Zoë Ünal,\n\n" + "Een lange regel. " * 8 + "\n",
        html=html,
    )
    env = envelope(**changes)
    ours = read(compose(rendered, env, NOW))
    reference = read(stdlib_compose(rendered, env).as_bytes())
    assert headers(ours) == headers(reference)
    assert [p.get_content_type() for p in ours.walk()] == [
        p.get_content_type() for p in reference.walk()
    ]
    for kind in ("plain", "html"):
        ours_part, reference_part = ours.get_body((kind,)), reference.get_body((kind,))
        assert (ours_part is None) == (reference_part is None)
        if ours_part is not None:
            assert content(ours_part) == content(reference_part)
