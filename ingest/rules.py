"""Tiny yes/no checks on a parsed message, each answering with a reason or None.

A rule never decides what happens to a message; classify() runs the groups in
order and the first rule that answers decides the class. Rules only read the
message (and the settings), so each can be tested alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import Message
from typing import TYPE_CHECKING

from config.machine_addresses import DAEMONS, NO_REPLY, local_part_pattern
from ingest.parse import ParsedMessage

if TYPE_CHECKING:
    from ingest.classify import ClassifierSettings

Rule = Callable[[ParsedMessage, "ClassifierSettings"], str | None]

# --- bounce -------------------------------------------------------------------

_REPORT_TYPES = {"delivery-status": "delivery report", "feedback-report": "ARF report"}
_DAEMONS = frozenset(DAEMONS)
_DAEMON_NAMES = re.compile(r"^mail delivery (?:system|subsystem)$", re.IGNORECASE)
# Anchored at the start, so that a member who writes "my letter came back as
# undeliverable" in a subject is not taken for a mail server.
_BOUNCE_SUBJECT = re.compile(
    r"^(?:undelivered mail returned to sender|undeliver(?:able|ed)\b"
    r"|delivery status notification|(?:mail |message )?delivery (?:has )?fail"
    r"|delivery failure|mail delivery failure|returned mail|mail system error"
    r"|failure notice|warning: could not send message|non remis|non distribuable"
    r"|onbestelbaar|niet (?:afgeleverd|bezorgd)|unzustellbar|nicht zustellbar"
    r"|delivery notification: delivery has failed|(?:mail|message) could not be"
    r" delivered|mail delivery (?:warning|problem|report)|delivery (?:status )?warning"
    r"|delayed mail|(?:message |courrier |e-?mail )?non remis|retour de courrier"
    r"|(?:bericht |e-?mail )?(?:kon )?niet (?:worden )?(?:afgeleverd|bezorgd)"
    r"|unzustellbar|nicht zugestellt|zustellung fehlgeschlagen"
    r"|returned to sender|(?:mail )?delivery failed)",
    re.IGNORECASE,
)
# What servers append to the original subject: "Klacht non remis (delivery
# failed)". The bracketed English words are a server's, not a member's.
_BOUNCE_SUBJECT_TAIL = re.compile(
    r"\((?:delivery failed|failure|undeliverable|undelivered)\)\s*$", re.IGNORECASE
)


def report(msg: ParsedMessage, settings: ClassifierSettings) -> str | None:
    """multipart/report with a delivery-status (RFC 3464) or ARF feedback report."""
    value = msg.header("content-type")
    if not value:
        return None
    holder = Message()
    holder["Content-Type"] = value
    kind = str(holder.get_param("report-type") or "").lower()
    if holder.get_content_type() == "multipart/report" and kind in _REPORT_TYPES:
        return f"multipart/report; report-type={kind} ({_REPORT_TYPES[kind]})"
    return None


def daemon_sender(msg: ParsedMessage, settings: ClassifierSettings) -> str | None:
    """From is MAILER-DAEMON or postmaster, or named "Mail Delivery System"."""
    # A bare "From: mailer-daemon" has no addr-spec, so read the header too.
    sender = msg.from_address or (msg.header("from") or "").strip(" <>").lower()
    local = sender.partition("@")[0]
    if local in _DAEMONS:
        return f"From {local}"
    if msg.from_name and _DAEMON_NAMES.match(msg.from_name.strip()):
        return f"From name {msg.from_name.strip()!r}"
    return None


def null_return_path(msg: ParsedMessage, settings: ClassifierSettings) -> str | None:
    """Return-Path <> on a message that does not call itself an auto-reply.

    RFC 3464 reports and RFC 3834 auto-replies both use the null return path,
    so it is only evidence of a bounce when nothing marks an auto-reply.
    """
    if msg.return_path != "":
        return None
    if _auto_submitted(msg) or ooo_subject(msg, settings):
        return None
    return "Return-Path: <>"


def bounce_subject(msg: ParsedMessage, settings: ClassifierSettings) -> str | None:
    """A subject that mail servers use for non-delivery reports."""
    if _BOUNCE_SUBJECT.match(msg.subject) or _BOUNCE_SUBJECT_TAIL.search(msg.subject):
        return f"bounce subject {msg.subject[:60]!r}"
    return None


_NOREPLY = re.compile(rf"^(?:{local_part_pattern(NO_REPLY)})\b", re.IGNORECASE)
_NON_DELIVERY = re.compile(
    r"could not be delivered|delivery (?:has )?failed|undeliverable|mailbox is full"
    r"|user unknown|niet (?:worden )?afgeleverd|n'a pas pu être (?:remis|distribué)"
    r"|konnte nicht zugestellt",
    re.IGNORECASE,
)


def noreply_non_delivery(
    msg: ParsedMessage, settings: ClassifierSettings
) -> str | None:
    """A no-reply sender whose text reports a failed delivery.

    Some providers send non-delivery reports as plain mail from a no-reply
    address. A member never writes from such an address, so the text may be
    trusted here (a member forwarding a bounce is not matched).
    """
    if not _NOREPLY.match(msg.from_address or ""):
        return None
    found = _NON_DELIVERY.search(msg.text[:10_000])
    return f"no-reply sender reports {found.group(0)!r}" if found else None


# --- auto_reply ---------------------------------------------------------------

# Out-of-office and auto-reply subject prefixes in nl/fr/de/en. Anchored at the
# start and followed by a separator, so "Absence de remboursement" stays a
# complaint while "Absence: ..." or "Afwezig" alone is an auto-reply.
_AUTO_SUBJECT = re.compile(
    r"^\[?(?:automatisch(?:e)? (?:antwoord|beantwoording|bericht)|afwezig(?:heid)?"
    r"|niet aanwezig|out of (?:the )?office|automatic reply|auto[- ]?reply"
    r"|auto[- ]?response|autorespons|auto generated|réponse automatique"
    r"|message automatique|absence|absent(?:e)?|abwesenheitsnotiz|abwesend"
    r"|automatische antwort|automatische rückantwort|abwesenheit)"
    r"(?:\s*[:\]\-]|\s*$)"
    # Phrases that say it whatever follows: "Absent du bureau jusqu'au 5 janvier".
    r"|^\[?(?:je suis |ik ben |ich bin |i am |i'm )?(?:(?:absente?|absence|afwezig"
    r"|abwesend|away|out) (?:du bureau|de bureau|jusqu|tot |t/m |tem |bis |until )"
    r"|(?:absente?|afwezig|abwesend|away|out) (?:du|van|vom|from)"
    r" (?:\d|le |la |lundi|mardi|mercredi|jeudi|vendredi)"
    r"|message d'absence|r[ée]ponse automatique|en cong[ée]s? (?:jusqu|du )"
    r"|afwezigheids(?:bericht|melding)|(?:niet op|buiten) (?:het )?kantoor"
    r"|met verlof (?:tot|t/m|van)|nicht im b(?:ü|ue)ro|au(?:ß|ss)er haus"
    r"|abwesenheits(?:nachricht|meldung|notiz)|im urlaub bis|away from (?:the )?office"
    r"|on (?:vacation|holiday|leave) (?:until|till|from)|out of (?:the )?office)",
    re.IGNORECASE,
)
# The same words anywhere: only trusted together with Exchange's marker.
_AUTO_WORDS = re.compile(
    r"automatic reply|auto[- ]?reply|out of (?:the )?office|afwezig"
    r"|automatisch antwoord|réponse automatique|abwesenheit|automatische antwort",
    re.IGNORECASE,
)


def _auto_submitted(msg: ParsedMessage) -> str | None:
    value = (msg.header("auto-submitted") or "").strip().lower()
    if value and value.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {value[:40]}"
    return None


def own_address(msg: ParsedMessage, settings: ClassifierSettings) -> str | None:
    """Mail from one of our own addresses: answering it would start a loop."""
    own = {a.lower() for a in settings.own_addresses}
    if msg.from_address and msg.from_address in own:
        return "From is one of our own addresses"
    return None


def auto_submitted(msg: ParsedMessage, settings: ClassifierSettings) -> str | None:
    """RFC 3834 Auto-Submitted with any value other than "no"."""
    return _auto_submitted(msg)


def autoreply_headers(msg: ParsedMessage, settings: ClassifierSettings) -> str | None:
    """X-Autoreply or X-Autorespond, set by many vacation programs."""
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        if msg.header(name) is not None:
            return f"{name} header"
    return None


def precedence_auto(msg: ParsedMessage, settings: ClassifierSettings) -> str | None:
    """Precedence auto_reply, or bulk/junk on a message that is not from a list."""
    value = (msg.header("precedence") or "").strip().lower()
    if value == "auto_reply":
        return "Precedence: auto_reply"
    if value in ("bulk", "junk") and list_headers(msg, settings) is None:
        return f"Precedence: {value}"
    return None


def ooo_subject(msg: ParsedMessage, settings: ClassifierSettings) -> str | None:
    """An out-of-office or auto-reply subject in Dutch, French, German or English."""
    if _AUTO_SUBJECT.match(msg.subject):
        return f"auto-reply subject {msg.subject[:60]!r}"
    return None


def suppress_with_subject(
    msg: ParsedMessage, settings: ClassifierSettings
) -> str | None:
    """Exchange's X-Auto-Response-Suppress together with auto-reply words."""
    if msg.header("x-auto-response-suppress") and _AUTO_WORDS.search(msg.subject):
        return "X-Auto-Response-Suppress with auto-reply subject"
    return None


# --- list ---------------------------------------------------------------------


def list_headers(msg: ParsedMessage, settings: ClassifierSettings) -> str | None:
    """RFC 2369/2919 List-* headers, or the older Mailing-List header."""
    for name in ("list-id", "list-unsubscribe", "list-post", "mailing-list"):
        if msg.header(name) is not None:
            return f"{name} header"
    return None


def precedence_list(msg: ParsedMessage, settings: ClassifierSettings) -> str | None:
    """Precedence: list (Mailman, ezmlm and friends)."""
    if (msg.header("precedence") or "").strip().lower() == "list":
        return "Precedence: list"
    return None


# --- spam ---------------------------------------------------------------------


def spam_header(msg: ParsedMessage, settings: ClassifierSettings) -> str | None:
    """An upstream filter's verdict, per the configured (header, value) rules."""
    for name, expected in settings.spam_headers:
        for value in msg.headers.get(name.lower(), ()):
            if value.strip().lower() == expected.strip().lower():
                return f"{name}: {value.strip()}"
    return None


BOUNCE: tuple[Rule, ...] = (
    report,
    daemon_sender,
    null_return_path,
    bounce_subject,
    noreply_non_delivery,
)
AUTO_REPLY: tuple[Rule, ...] = (
    own_address,
    auto_submitted,
    autoreply_headers,
    precedence_auto,
    ooo_subject,
    suppress_with_subject,
)
LIST: tuple[Rule, ...] = (list_headers, precedence_list)
SPAM: tuple[Rule, ...] = (spam_header,)
