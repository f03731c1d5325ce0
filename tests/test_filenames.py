"""Attachments and HTML from strangers: nothing escapes, is fetched or unpacked.

- Attachment names with path separators, "..", control characters or 1,000
  characters are stored sanitised, and intake writes no file anywhere (the
  bytes live in the database only).
- An HTML body pointing at a listening socket on 127.0.0.1 (img, script,
  stylesheet, iframe, CSS url(), meta refresh) gets no connection while the
  message is parsed and imported.
- A zip is never unpacked: the forms reader flags it attachment_archive, and
  a zip bomb (100 MB of zeros in 100 KB, also dressed as a DOCX, also with a
  lying size in its headers) passes with a small, bounded memory peak.
"""

from __future__ import annotations

import io
import socket
import struct
import tracemalloc
import uuid
import zipfile
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from ingest.forms import read_attachment
from ingest.parse import parse_message
from tests.test_hostile_mime import assert_safe_filename

ESCAPE = f"klachten-escape-{uuid.uuid4().hex[:8]}.txt"
HOSTILE_NAMES = [
    f"../../{ESCAPE}",
    f"..\\..\\{ESCAPE}",
    f"/tmp/{ESCAPE}",
    "..",
    "con\x00trol\x07bell\x1b[2J.pdf",
    "tab\there\x85nel\x9b.txt",
    "\u202egnp.exe",
    "x" * 1000 + ".pdf",
    "y" * 1000,
]


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def mail(
    subject: str, message_id: str, text: str, subtype: str = "plain"
) -> EmailMessage:
    """A member's mail to the complaints address."""
    msg = EmailMessage()
    msg["From"] = "Jan Peeters <jan@example.be>"
    msg["To"] = "klachten@libmutov.be"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg.set_content(text, subtype=subtype)
    return msg


def hostile_message() -> bytes:
    msg = mail("Klacht met bijlagen", "<names@example.be>", "Zie de bijlagen.")
    for number, name in enumerate(HOSTILE_NAMES):
        msg.add_attachment(
            f"bijlage {number}".encode(),
            maintype="application",
            subtype="octet-stream",
            filename=name,
        )
    raw = msg.as_bytes()
    # Two names only a decoder sees: RFC 2231 and an encoded word.
    extra = (
        "--{b}\nContent-Type: application/octet-stream\n"
        "Content-Disposition: attachment; "
        "filename*=utf-8''%2e%2e%2f%2e%2e%2f{e}\n\nrfc2231\n"
        "--{b}\nContent-Type: application/octet-stream\n"
        'Content-Disposition: attachment; filename="=?utf-8?q?=2E=2E=2F{e}?="'
        "\n\nencoded word\n"
    )
    boundary = msg.get_boundary()
    closing = f"--{boundary}--".encode()
    return raw.replace(closing, extra.format(b=boundary, e=ESCAPE).encode() + closing)


def test_parse_sanitises_every_hostile_name() -> None:
    msg = parse_message(hostile_message())
    names = [a.filename for a in msg.attachments]
    assert len(names) == len(HOSTILE_NAMES) + 2
    for name in names:
        assert_safe_filename(name)
    assert names[-1].endswith(ESCAPE) and names[-2].endswith(ESCAPE)


def test_import_stores_safe_names_and_writes_no_file(
    tmp_path: Path,
    sqlite_url: str,
    make_config,
    cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "hostile.eml").write_bytes(hostile_message())
    workdir = tmp_path / "work" / "deeper"
    workdir.mkdir(parents=True)
    monkeypatch.chdir(workdir)
    config = make_config(sqlite_url)
    before = _files(tmp_path)

    result = cli("--config", config, "import", "--no-progress", inbox)

    assert result.code == 0, result.err
    new = {p.name for p in _files(tmp_path) - before}
    # Only the SQLite database's own files may appear.
    assert all(n.startswith("klachten.db") for n in new), new
    assert not list(workdir.iterdir())
    for parent in (tmp_path.parent, tmp_path.parent.parent, Path("/tmp"), Path.cwd()):
        assert not (parent / ESCAPE).exists(), parent
    cases = cli("--config", config, "cases", "list", "--format", "json").json()
    assert len(cases) == 1
    shown = cli(
        "--config", config, "case", "show", cases[0]["number"], "--format", "json"
    )
    attachments = shown.json()["attachments"]
    assert len(attachments) == len(HOSTILE_NAMES) + 2
    for attachment in attachments:
        assert_safe_filename(attachment["filename"])


# -- HTML is never fetched -------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1; connections queue without accept()."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.setblocking(False)
    try:
        yield server
    finally:
        server.close()


def assert_no_connection(server: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        connection, peer = server.accept()
        connection.close()
        pytest.fail(f"a connection arrived from {peer}")


def html_message(port: int) -> bytes:
    url = f"http://127.0.0.1:{port}"
    html = (
        f'<html><head><link rel="stylesheet" href="{url}/s.css">'
        f'<meta http-equiv="refresh" content="0; url={url}/r">'
        f'<script src="{url}/x.js"></script>'
        f"<style>@import url({url}/i.css); body {{background: url({url}/b.png)}}"
        f'</style></head><body><p>Mijn klacht</p><img src="{url}/pixel.png">'
        f'<iframe src="{url}/frame"></iframe><object data="{url}/o"></object>'
        f'<video poster="{url}/v.png"></video></body></html>'
    )
    msg = mail("HTML-klacht", f"<html-{port}@example.be>", html, subtype="html")
    msg.add_attachment(
        html.encode(), maintype="text", subtype="html", filename="a.html"
    )
    return msg.as_bytes()


def test_html_is_never_fetched(
    listener: socket.socket, tmp_path: Path, sqlite_url: str, make_config, cli
) -> None:
    port = listener.getsockname()[1]
    raw = html_message(port)
    parsed = parse_message(raw)
    assert "Mijn klacht" in parsed.text
    assert_no_connection(listener)
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "html.eml").write_bytes(raw)
    result = cli("--config", make_config(sqlite_url), "import", "--no-progress", inbox)
    assert result.code == 0, result.err
    assert "1 case" in result.out
    assert_no_connection(listener)


def test_the_listener_would_see_a_fetch(listener: socket.socket) -> None:
    """The check above can fail: a real fetch is seen."""
    client = socket.create_connection(listener.getsockname(), timeout=2)
    try:
        with pytest.raises(pytest.fail.Exception):
            assert_no_connection(listener)
    finally:
        client.close()


# -- a zip is never unpacked -----------------------------------------------------

BOMB_SIZE = 100 * 1024 * 1024


def zip_of(members: dict[str, bytes | int]) -> bytes:
    """A zip; an int member is that many zero bytes, compressed."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            if isinstance(content, int):
                with zf.open(name, "w", force_zip64=True) as fh:
                    chunk = bytes(1024 * 1024)
                    for _ in range(content // len(chunk)):
                        fh.write(chunk)
            else:
                zf.writestr(name, content)
    return out.getvalue()


def lying_sizes(data: bytes, size: int) -> bytes:
    """The zip with its one member's uncompressed size rewritten to ``size``."""
    patched = bytearray(data)
    central = patched.find(b"PK\x01\x02")
    struct.pack_into("<I", patched, central + 24, size)
    struct.pack_into("<I", patched, 22, size)
    return bytes(patched)


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    plain = zip_of({"zeros.bin": BOMB_SIZE})
    docx = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": BOMB_SIZE})
    liar = zip_of({"word/document.xml": 8 * 1024 * 1024})
    return {"plain": plain, "docx": docx, "liar": lying_sizes(liar, 1000)}


def _peak(call) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_zip_is_flagged_not_unpacked() -> None:
    data = zip_of({"klacht.pdf": b"%PDF-1.4 not really", "../../evil.sh": b"rm"})
    result = read_attachment("bijlagen.zip", "application/zip", data)
    assert result is not None and "attachment_archive" in result.flags
    assert not result.fields


@pytest.mark.parametrize(
    ("kind", "name", "flag"),
    [
        ("plain", "bomb.zip", "attachment_archive"),
        ("docx", "klacht.docx", "attachment_too_large"),
        ("liar", "klacht.docx", None),
    ],
)
def test_zip_bomb_does_not_blow_memory(bombs, kind: str, name: str, flag) -> None:
    data = bombs[kind]
    assert len(data) < 1024 * 1024
    result, peak = _peak(lambda: read_attachment(name, "application/zip", data))
    assert peak < 30 * 1024 * 1024, f"{peak / 1e6:.0f} MB"
    assert result is not None
    if flag:
        assert flag in result.flags, result.flags
    assert "needs_review" in result.flags, result.flags


def test_zip_bomb_through_import(
    bombs, tmp_path: Path, sqlite_url: str, make_config, cli
) -> None:
    msg = mail("Klacht met zip", "<zip@example.be>", "Zie zip.")
    msg.add_attachment(
        bombs["plain"], maintype="application", subtype="zip", filename="bomb.zip"
    )
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "zip.eml").write_bytes(msg.as_bytes())
    config = make_config(sqlite_url)
    before = _files(tmp_path)
    result = cli("--config", config, "import", "--no-progress", inbox)
    assert result.code == 0, result.err
    assert {p.name for p in _files(tmp_path) - before} <= {
        "klachten.db",
        "klachten.db-wal",
        "klachten.db-shm",
    }
    number = cli("--config", config, "cases", "list", "--format", "json").json()[0][
        "number"
    ]
    shown = cli("--config", config, "case", "show", number, "--format", "json").json()
    (attachment,) = shown["attachments"]
    assert "attachment_archive" in attachment["flags"]
    assert attachment["size"] == len(bombs["plain"])
