"""The member's mail inside a staff member's forward ("Fwd:"): pure reading.

A coordinator who receives a complaint in their own mailbox forwards it to
klachten@. The member's mail is then either attached whole (message/rfc822,
"forward as attachment") or quoted inline under a header block that mail
programs write in the sender's language:

    ---------- Forwarded message ---------          (Gmail)
    From: Jan Peeters <jan.peeters@example.be>
    ________________________________                (Outlook)
    Van: Jan Peeters <jan.peeters@example.be>
    Verzonden: maandag 2 maart 2026 09:30
    Onderwerp: Klacht over mijn terugbetaling

`forwarded_mail` returns the member's address, name, subject and text, or
None when the mail holds no forwarded mail with a usable sender address.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass, replace

from ingest.addresses import usable_address
from ingest.classify import ClassifierSettings, Verdict, staff_reason
from ingest.language import guess_language
from ingest.parse import ParsedMessage, UnparseableMessage, parse_message
from store.vocabulary import MessageClass

_PREFIX = re.compile(r"^\s*(?:(?:fwd?|fw|tr|wg|doorst|doorgestuurd)\s*:\s*)+", re.I)
_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:Forwarded message|Doorgestuurd bericht|Message transf[ée]r[ée]"
    r"|Weitergeleitete Nachricht|Original Message|Oorspronkelijk bericht"
    r"|Message d'origine|Urspr[üu]ngliche Nachricht)\s*-{2,}|_{20,})\s*$",
    re.I,
)
_FROM = re.compile(r"^\s*\**(?:From|Van|De|Von)\s*:\**\s*(.+?)\s*$", re.I)
_SUBJECT = re.compile(
    r"^\s*\**(?:Subject|Onderwerp|Objet|Betreff)\s*:\**\s*(.*?)\s*$", re.I
)
_MAILTO = re.compile(r"\[mailto:([^\]\s]+)\]", re.I)
# Header lines of the block: read until the first blank line.
_BLOCK_LINES = 12


@dataclass(frozen=True)
class Forwarded:
    """The forwarded member's mail, as far as the forward shows it."""

    address: str
    name: str | None
    subject: str
    text: str


def as_members_complaint(
    msg: ParsedMessage, verdict: Verdict, settings: ClassifierSettings
) -> tuple[ParsedMessage, Verdict] | None:
    """A believed staff mail that refers to no case and forwards a member's
    mail: that mail, as the member's complaint (None: anything else).

    The member's address comes from inside the forward, which nobody
    verified: the acknowledgement to it quotes nothing (`sender_verified`
    stays false). A forwarded colleague's or our own mail is no complaint.
    """
    if verdict.klass != MessageClass.STAFF or verdict.case_number is not None:
        return None
    if verdict.staff_unverified:
        return None
    found = forwarded_mail(msg)
    if found is None or found.address in settings.own_addresses:
        return None
    if staff_reason(found.address, settings) is not None:
        return None
    member = replace(
        msg,
        from_address=found.address,
        from_name=found.name,
        reply_to=None,
        subject=found.subject,
        text=found.text,
        new_text=found.text,
        language=guess_language(found.text) or guess_language(found.subject),
    )
    reason = f"forwarded by staff ({verdict.reason.split(';')[0]}): a new complaint"
    return member, Verdict(klass=MessageClass.COMPLAINT, reason=reason)


def forwarded_mail(msg: ParsedMessage) -> Forwarded | None:
    """The member's mail a "Fwd:" carries, attached or quoted, or None."""
    for attachment in msg.attachments:
        if attachment.content_type.lower() == "message/rfc822":
            found = _attached(attachment.data)
            if found is not None:
                return found
    if not _PREFIX.match(msg.subject) and not any(
        _MARKER.match(line) for line in msg.text.splitlines()
    ):
        return None
    return _inline(msg.text, strip_prefix(msg.subject))


def strip_prefix(subject: str) -> str:
    """The subject without its "Fwd:"/"FW:"/"TR:"/"WG:" prefixes."""
    return _PREFIX.sub("", subject).strip()


def _attached(data: bytes) -> Forwarded | None:
    try:
        inner = parse_message(data)
    except UnparseableMessage:
        return None
    if not inner.from_address or not usable_address(inner.from_address):
        return None
    return Forwarded(
        address=inner.from_address,
        name=inner.from_name,
        subject=inner.subject,
        text=inner.new_text or inner.text,
    )


def _inline(text: str, subject: str) -> Forwarded | None:
    lines = text.splitlines()
    for index, line in enumerate(lines):
        found = _FROM.match(line)
        if found is None:
            continue
        address, name = _sender(found.group(1))
        if address is None:
            continue
        block_end = index + 1
        inner_subject = subject
        while block_end < len(lines) and block_end < index + _BLOCK_LINES:
            if not lines[block_end].strip():
                break
            named = _SUBJECT.match(lines[block_end])
            if named is not None:
                inner_subject = named.group(1) or subject
            block_end += 1
        body = "\n".join(lines[block_end:]).strip()
        return Forwarded(address, name, strip_prefix(inner_subject), body)
    return None


def _sender(value: str) -> tuple[str | None, str | None]:
    """(address, name) of a quoted From line; Outlook writes
    "Jan Peeters [mailto:jan@example.be]"."""
    mailto = _MAILTO.search(value)
    if mailto is not None:
        name = value[: mailto.start()].strip().strip('"') or None
        address = mailto.group(1)
    else:
        name, address = email.utils.parseaddr(value)
        name = name or None
    address = address.strip().lower()
    if not address or not usable_address(address):
        return None, None
    return address, name
