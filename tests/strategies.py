"""Hypothesis strategies that build hostile raw e-mail: random MIME trees as bytes.

A message is rendered with LF line endings and then given its line-ending
style (LF, CRLF, CR-only or a mix), because the bytes on the wire are what
the parser must survive. The first header field is always a plain, valid
one, so every generated message *is* a message and parse_message must not
call it unparseable; `not_a_message` covers the other side.

What the trees hold: multipart/mixed, alternative, related, report, signed
and digest nesting (boundaries missing, mismatched, unclosed, quoted, far
too long), message/rfc822 parts, charsets that exist and ones that do not,
7bit/8bit/binary/QP/base64 and bogus transfer encodings with valid and
invalid payloads, malformed encoded words, broken RFC 2231 parameters,
duplicate headers, a 100 KB header, very long lines, NUL bytes and raw
8-bit header bytes.
"""

from __future__ import annotations

import base64

from hypothesis import strategies as st

# -- atoms -------------------------------------------------------------------

# Pieces of header text known to trip decoders: encoded words good and bad,
# a UTF-7 word that decodes to a lone surrogate, escape sequences that the
# stdlib's raw-unicode-escape round trip would turn into characters, raw 8-bit
# bytes, NUL, and template or HTML syntax that must stay text.
HEADER_TOKENS: tuple[bytes, ...] = (
    b"=?utf-8?q?caf=C3=A9?=",
    b"=?UTF-8?B?Y2Fmw6kgZGUgbGEgZ2FyZQ==?=",
    b"=?iso-8859-1?q?=E9t=E9?=",
    b"=?windows-1252?q?=80=93?=",
    b"=?x-unknown?q?abc?=",
    b"=?utf-8?b?!!not*base64?=",
    b"=?utf-8?b?YWJj?=",
    b"=?utf-8?q?=ZZ=?=",
    b"=?utf-8?B?",
    b"=??=",
    b"=?utf-8??abc?=",
    b"=?utf-7?q?+2D3dAA-?=",
    b"=?utf-7?b?KzJEM2RBQS0=?=",
    b"=?shift_jis?b?gqCCog==?=",
    b"=?iso-2022-jp?b?GyRCJEIkJBsoQg==?=",
    b"=?utf-8*nl?q?abc?=",
    b"\\ud800",
    b"\\u0000",
    b"\\x00",
    b"\\N{BOM}",
    b"\xff\xfe",
    b"\xc3\x28",
    b"\xe9t\xe9",
    b"\xc3\xa9",
    b"\x00",
    b"\x1b[31m",
    b"\t",
    b"<script>alert(1)</script>",
    b"{{ 7*7 }}",
    b"%s %(x)s {0}",
    b"\xf0\x9f\x98\x80",
    b"KL-2026-00041",
    b"<id@example.be>",
    b";",
    b'"',
    b"(comment",
    b"\\",
)

ADDRESSES: tuple[bytes, ...] = (
    b"Jan Peeters <jan.peeters@example.be>",
    b'"Peeters, Jan" <jan@example.be>',
    b"=?utf-8?q?J=C3=A9r=C3=B4me?= <jerome@example.be>",
    b"=?utf-8?b?!!?= <x@example.be>",
    b"<>",
    b"undisclosed-recipients:;",
    b"a@b@c",
    b"<@route.example:a@example.be>",
    b"MAILER-DAEMON",
    b"Mail Delivery System <MAILER-DAEMON@mx.example.be>",
    b"klachten@libmutov.be",
    b"\xe9mile <\xe9mile@exampl\xe9.be>",
    b"nobody",
    b"",
)

DATES: tuple[bytes, ...] = (
    b"Mon, 2 Feb 2026 10:00:00 +0100",
    b"Mon, 32 Foo 99999 99:99:99 +9999",
    b"2 Feb 2026",
    b"Thu, 1 Jan 1970 00:00:00 -0000",
    b"Fri, 31 Dec 9999 23:59:59 +2359",
    b"yesterday",
    b"",
)

CHARSETS: tuple[bytes, ...] = (
    b"utf-8",
    b"UTF-8",
    b"us-ascii",
    b"iso-8859-1",
    b"windows-1252",
    b"iso-2022-jp",
    b"shift_jis",
    b"euc-kr",
    b"big5",
    b"gb2312",
    b"ks_c_5601-1987",
    b"utf-7",
    b"utf-16",
    b"x-unknown",
    b"unknown-8bit",
    b"",
    b'"utf-8',
    b"utf-8'",
    b"\xff\xfe",
    b"idna",
    b"rot13",
    b"base64",
    b"zlib",
)

ENCODINGS: tuple[bytes | None, ...] = (
    None,
    b"7bit",
    b"8bit",
    b"binary",
    b"quoted-printable",
    b"Quoted-Printable",
    b"base64",
    b"BASE64 ",
    b"x-uuencode",
    b"uuencode",
    b"bogus",
    b"",
)

# File names meant to escape a store directory, hide an extension or break
# a terminal; several are encoded so that only a decoder sees the danger.
FILENAMES: tuple[bytes, ...] = (
    b"klacht.pdf",
    b"../../etc/passwd",
    b"..\\..\\windows\\system32\\boot.ini",
    b"/etc/shadow",
    b"C:\\Users\\x\\form.docx",
    b"a/b\\c/../d.txt",
    b"..",
    b".",
    b"...",
    b" ",
    b"",
    b"con\x00trol\x07bell\x1b[2J.pdf",
    b"line\r\nbreak.txt",
    b"\xe2\x80\xaegnp.exe",
    b"\xff\xfe\xfd.bin",
    b"=?utf-8?b?Li4vLi4vZXRjL3Bhc3N3ZA==?=",
    b"=?utf-8?q?=2E=2E=2F=2E=2E=2Fx=00y?=",
    b"=?utf-8?b?!!?=",
    b"{{ 7*7 }}.pdf",
    b"<script>.html",
    b"x" * 1000 + b".pdf",
    b"." * 300,
    b"/" * 300,
    b"a" * 250,
)

RFC2231_PARAMS: tuple[bytes, ...] = (
    b"filename*=utf-8''%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    b"filename*=utf-8''%ZZ%ff",
    b"filename*=bogus'xx'%ff%fe%00",
    b"filename*=''",
    b"filename*=utf-8'en'",
    b'filename*0="../"; filename*1="../x"',
    b"filename*0=a; filename*2=c",
    b"filename*0*=utf-8''%2e%2e; filename*1=/x",
    b"filename*1=only-second",
    b"filename*=x-unknown''%e9",
    b"name*=utf-8''..%5C..%5Cboot.ini",
    b"charset*=utf-8''%ZZ",
    b"charset*=''",
)

# -- bodies ------------------------------------------------------------------


def _base64(data: bytes) -> bytes:
    return base64.encodebytes(data)


BROKEN_BASE64: tuple[bytes, ...] = (
    b"!!!!",
    b"abc",
    b"====",
    b"YW=Jj\n",
    b"Y\x00W\xffJj",
    b"QUJD\n-- not base64 at all --\nREVG\n",
    b"=",
    b"YWJjZA",
)

BROKEN_QP: tuple[bytes, ...] = (
    b"=ZZ",
    b"=\n",
    b"trailing =",
    b"=3",
    b"soft=\nbreak=\r\n and =C3=A9 and =c3=a9=",
    b"=00=00",
    b"=\xff",
)

# Files that look like what the forms reader opens, but are cut or corrupt.
MAGIC_FILES: tuple[bytes, ...] = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF",
    b"%PDF-",
    b"PK\x03\x04garbage",
    b"PK\x05\x06" + b"\x00" * 18,
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40,
    b"\x89PNG\r\n\x1a\n\x00\x00",
    b"\xff\xd8\xff\xe0",
    b"\x1f\x8b\x08\x00",
    b'<html><img src="http://127.0.0.1:9/x.png"></html>',
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """A leaf body: text, binary, valid or broken base64/QP, long lines, NULs."""
    kind = draw(
        st.sampled_from(
            ("text", "binary", "base64", "broken64", "qp", "long", "nul", "magic")
        )
    )
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    if kind == "binary":
        return draw(st.binary(max_size=300))
    if kind == "base64":
        return _base64(draw(st.binary(max_size=300)))
    if kind == "broken64":
        return draw(st.sampled_from(BROKEN_BASE64))
    if kind == "qp":
        return draw(st.sampled_from(BROKEN_QP))
    if kind == "long":
        # One line far beyond RFC 5322's 998 characters.
        size = draw(st.sampled_from((999, 5_000, 200_000)))
        return draw(st.sampled_from((b"a", b"=", b"\xe9", b"-"))) * size
    if kind == "nul":
        return b"before\x00after\x00\x00" + draw(st.binary(max_size=20))
    return draw(st.sampled_from(MAGIC_FILES))


# -- headers -----------------------------------------------------------------


@st.composite
def header_text(draw: st.DrawFn) -> bytes:
    """A header value built from tricky tokens and random text."""
    pieces = draw(
        st.lists(
            st.one_of(
                st.sampled_from(HEADER_TOKENS),
                st.text(max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass")),
                st.binary(max_size=10),
            ),
            max_size=6,
        )
    )
    # An encoded word first makes the decoder treat the rest as bytes too.
    prefix = draw(st.sampled_from((b"", b"", b"=?utf-8?q?x?= ")))
    return prefix + draw(st.sampled_from((b" ", b"", b"\n ", b"\n\t"))).join(pieces)


TOP_NAMES: tuple[bytes, ...] = (
    b"From",
    b"To",
    b"Cc",
    b"Reply-To",
    b"Subject",
    b"Date",
    b"Message-ID",
    b"In-Reply-To",
    b"References",
    b"Return-Path",
    b"Auto-Submitted",
    b"Precedence",
    b"List-Id",
    b"X-Spam-Flag",
    b"Authentication-Results",
    b"MIME-Version",
    b"Content-Type",
    b"Content-Transfer-Encoding",
    b"X-Autoreply",
    b"Subject ",
    b"Bad Header",
    b"X-\xff\xfe",
    b"",
)


@st.composite
def top_header(draw: st.DrawFn) -> bytes:
    """One header line (or something that only resembles one)."""
    name = draw(st.sampled_from(TOP_NAMES))
    lowered = name.strip().lower()
    if lowered in (b"from", b"to", b"cc", b"reply-to", b"return-path"):
        value = b", ".join(draw(st.lists(st.sampled_from(ADDRESSES), max_size=3)))
    elif lowered == b"date":
        value = draw(st.sampled_from(DATES))
    elif lowered == b"authentication-results":
        value = draw(
            st.sampled_from(
                (
                    b"mx.libmutov.be; dmarc=fail header.from=example.be",
                    b"evil.example; dmarc=fail",
                    b"mx.libmutov.be",
                    b";;;",
                )
            )
        )
    else:
        value = draw(header_text())
    if name == b"":
        return value + b"\n"  # a line without a colon in the header block
    return name + b": " + value + b"\n"


@st.composite
def huge_header(draw: st.DrawFn) -> bytes:
    """A 100 KB header field, folded or on one line."""
    folded = draw(st.booleans())
    unit = b"x" * 76 + (b"\n " if folded else b"")
    return b"X-Huge: " + unit * (100_000 // len(unit)) + b"\n"


# -- MIME parts --------------------------------------------------------------


def _param(name: bytes, value: bytes, quoted: bool) -> bytes:
    return b"; " + name + b"=" + (b'"' + value + b'"' if quoted else value)


@st.composite
def leaf(draw: st.DrawFn) -> bytes:
    """A non-multipart part: header lines, a blank line and the body."""
    ctype = draw(
        st.sampled_from(
            (
                b"text/plain",
                b"text/html",
                b"TEXT/PLAIN",
                b"application/octet-stream",
                b"application/pdf",
                b"application/zip",
                b"image/png",
                b"message/delivery-status",
                b"text/rfc822-headers",
                b"message/partial",
                b"text",
                b"/",
                b"",
            )
        )
    )
    header = b"Content-Type: " + ctype
    if draw(st.booleans()):
        header += _param(
            b"charset", draw(st.sampled_from(CHARSETS)), draw(st.booleans())
        )
    if draw(st.integers(0, 3)) == 0:
        header += b"; " + draw(st.sampled_from(RFC2231_PARAMS))
    lines = [header + b"\n"]
    encoding = draw(st.sampled_from(ENCODINGS))
    if encoding is not None:
        lines.append(b"Content-Transfer-Encoding: " + encoding + b"\n")
    disposition = draw(st.integers(0, 4))
    if disposition:
        kind = draw(st.sampled_from((b"attachment", b"inline", b"bogus", b"")))
        value = kind
        if disposition >= 2:
            name = draw(st.sampled_from(FILENAMES))
            value += _param(b"filename", name, draw(st.booleans()))
        if disposition == 4:
            value += b"; " + draw(st.sampled_from(RFC2231_PARAMS))
        lines.append(b"Content-Disposition: " + value + b"\n")
    lines += draw(st.lists(top_header(), max_size=2))
    return b"".join(lines) + b"\n" + draw(bodies())


BOUNDARY_CHARS = st.sampled_from(list("abcXYZ019'()+_,-./:=? "))


@st.composite
def multipart(draw: st.DrawFn, children: st.SearchStrategy[bytes]) -> bytes:
    """A multipart part whose boundary may be missing, wrong or never closed."""
    subtype = draw(
        st.sampled_from(
            (b"mixed", b"alternative", b"related", b"report", b"signed", b"digest",
             b"x-unknown")
        )
    )  # fmt: skip
    boundary = draw(
        st.one_of(
            st.text(BOUNDARY_CHARS, min_size=1, max_size=20).map(str.encode),
            st.sampled_from((b"", b"b" * 200, b"--", b"\xff\xfe", b'"x"')),
        )
    )
    header = b"Content-Type: multipart/" + subtype
    style = draw(st.sampled_from(("quoted", "plain", "missing", "other")))
    if style == "quoted":
        header += _param(b"boundary", boundary, True)
    elif style == "plain":
        header += _param(b"boundary", boundary, False)
    elif style == "other":
        header += _param(b"boundary", boundary + b"-not-used", True)
    if subtype == b"report":
        kind = draw(st.sampled_from((b"delivery-status", b"feedback-report", b"")))
        header += _param(b"report-type", kind, False)
    encoding = draw(st.sampled_from((None, None, b"base64", b"quoted-printable")))
    lines = [header + b"\n"]
    if encoding is not None:
        lines.append(b"Content-Transfer-Encoding: " + encoding + b"\n")
    parts = draw(st.lists(children, max_size=4))
    body = draw(st.sampled_from((b"", b"preamble\n", b"--\n")))
    for part in parts:
        body += b"--" + boundary + b"\n" + part + b"\n"
    if draw(st.booleans()):  # closed; left open otherwise
        body += b"--" + boundary + b"--\n"
    body += draw(st.sampled_from((b"", b"epilogue\n", b"--" + boundary + b"\n")))
    return b"".join(lines) + b"\n" + body


@st.composite
def rfc822(draw: st.DrawFn, children: st.SearchStrategy[bytes]) -> bytes:
    """A message/rfc822 part holding a whole message (maybe wrongly encoded)."""
    encoding = draw(st.sampled_from((None, b"7bit", b"base64", b"quoted-printable")))
    lines = [b"Content-Type: message/rfc822\n"]
    if encoding is not None:
        lines.append(b"Content-Transfer-Encoding: " + encoding + b"\n")
    if draw(st.booleans()):
        lines.append(b'Content-Disposition: attachment; filename="fwd.eml"\n')
    inner = b"".join(draw(st.lists(top_header(), max_size=4))) + draw(children)
    return b"".join(lines) + b"\n" + inner


def mime_parts(max_leaves: int = 12) -> st.SearchStrategy[bytes]:
    """A random MIME tree (one part, headers and body)."""
    return st.recursive(
        leaf(),
        lambda children: st.one_of(multipart(children), rfc822(children)),
        max_leaves=max_leaves,
    )


# -- whole messages ----------------------------------------------------------

FIRST_LINES: tuple[bytes, ...] = (
    b"Received: from mx.example.be by mx.libmutov.be\n",
    b"From: Jan Peeters <jan.peeters@example.be>\n",
    b"Subject: klacht\n",
    b"Message-ID: <fixed@example.be>\n",
)


def _line_endings(data: bytes, style: str, mix: list[bytes]) -> bytes:
    if style == "lf":
        return data
    if style == "crlf":
        return data.replace(b"\n", b"\r\n")
    if style == "cr":
        return data.replace(b"\n", b"\r")
    lines = data.split(b"\n")
    out = [line + mix[i % len(mix)] for i, line in enumerate(lines[:-1])]
    return b"".join(out) + lines[-1]


@st.composite
def messages(draw: st.DrawFn, max_leaves: int = 12) -> bytes:
    """A whole hostile message: a valid first field, then anything."""
    head = [draw(st.sampled_from(FIRST_LINES))]
    head += draw(st.lists(top_header(), max_size=8))
    if draw(st.integers(0, 9)) == 0:
        head.insert(draw(st.integers(1, len(head))), draw(huge_header()))
    if draw(st.booleans()):  # the same field twice or more
        head += [head[-1]] * draw(st.integers(1, 3))
    data = b"".join(head) + draw(mime_parts(max_leaves))
    if draw(st.integers(0, 9)) == 0:
        data = b"From MAILER-DAEMON Mon Feb  2 10:00:00 2026\n" + data
    if draw(st.integers(0, 9)) == 0:
        data = b"\n\n" + data
    style = draw(st.sampled_from(("lf", "crlf", "cr", "mixed")))
    mix = draw(
        st.lists(st.sampled_from((b"\n", b"\r\n", b"\r")), min_size=1, max_size=5)
    )
    return Raw(_line_endings(data, style, mix))


def not_a_message() -> st.SearchStrategy[bytes]:
    """Bytes that may or may not be a message at all."""
    return st.one_of(
        st.binary(max_size=500),
        st.sampled_from((b"", b"\n\n\n", b"\r\n", b"\x00" * 10, b"PK\x03\x04", b"abc")),
        st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    )


class Raw(bytes):
    """Message bytes whose repr stays short when hypothesis reports them."""

    def __repr__(self) -> str:
        if len(self) <= 600:
            return bytes.__repr__(self)
        head, tail = bytes.__repr__(self[:400]), bytes.__repr__(self[-100:])
        return f"<{len(self)} bytes: {head} ... {tail}>"
