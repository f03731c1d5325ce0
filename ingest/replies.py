"""Separate the new text of a reply from the quoted message and the signature.

mail-parser-reply was tried first: it does not know the Dutch "Op ... schreef"
header and cuts at "Best regards", which would drop the member's own words about
their complaint. A line-based splitter is predictable, linear in the input and
easy to extend, so that is what we use.
"""

from __future__ import annotations

import re

# A line that starts the quoted previous message; everything from it on is cut.
_QUOTE_HEADERS = [
    r"Op .{1,300}(?:schreef|het volgende geschreven).{0,200}:",  # Dutch
    r"Le .{1,200} a écrit\s?:",  # French
    r"Am .{1,200} schrieb.{0,200}:",  # German
    r"On .{1,200} wrote:",  # English
    r"-{2,}\s*(?:Original Message|Oorspronkelijk bericht|Message d'origine"
    r"|Ursprüngliche Nachricht|Forwarded message|Doorgestuurd bericht"
    r"|Message transféré|Weitergeleitete Nachricht)\s*-{2,}",
    r"_{20,}",  # Outlook's separator above the From:/Sent: block
    r"(?:From|Van|De|Von)\s*:.{1,300}",  # Outlook header block, see _is_header_block
]
_QUOTE_HEADER = re.compile("|".join(f"(?:{p})" for p in _QUOTE_HEADERS), re.IGNORECASE)
_HEADER_FIELD = re.compile(
    r"(?:Sent|Verzonden|Envoyé|Gesendet|Date|Datum|To|Aan|À|An|Subject|Onderwerp"
    r"|Objet|Betreff)\s*:",
    re.IGNORECASE,
)
# The standard signature separator (RFC 3676 section 4.3) and its common
# mangled forms, and the mobile "Sent from my ..." lines.
_SIGNATURE = re.compile(
    r"^(?:-- ?|Sent from my .*|Verzonden (?:vanaf|met) .*|Envoyé de mon .*"
    r"|Gesendet von .*)$",
    re.IGNORECASE,
)
# Reply headers can be wrapped over two lines by the sender's client.
_JOIN_LINES = 2


def _is_header_block(lines: list[str], index: int) -> bool:
    """True when a "From:" line is followed by another header field line."""
    following = lines[index + 1 : index + 4]
    return any(_HEADER_FIELD.match(line.strip()) for line in following)


def _starts_quote(lines: list[str], index: int) -> bool:
    """True when the line at ``index`` (maybe joined with the next) opens a quote."""
    line = lines[index].strip()
    if line.startswith(">"):
        return True
    joined = " ".join(x.strip() for x in lines[index : index + _JOIN_LINES])
    for candidate in (line, joined):
        match = _QUOTE_HEADER.fullmatch(candidate)
        if match is None:
            continue
        if re.match(r"(?:From|Van|De|Von)\s*:", candidate, re.IGNORECASE):
            return _is_header_block(lines, index)
        return True
    return False


def split_reply(text: str) -> str:
    """Return the new text of a message: above the quoted reply and signature.

    When the whole text would be cut (a message that is only a quote), the text
    is returned unchanged, because losing a member's words is worse than keeping
    a quote.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    end = len(lines)
    for index, line in enumerate(lines):
        if _SIGNATURE.match(line) or _starts_quote(lines, index):
            end = index
            break
    new_text = "\n".join(lines[:end]).strip()
    return new_text if new_text else text.strip()
