"""Decide what a parsed message is: a new complaint, a follow-up, or machine mail.

The decision is separate from the action: classify() only returns a Verdict with
a reason a person can read; registering, answering or ignoring is done elsewhere.
Rule groups run in a fixed order and the first rule that answers wins: bounce,
auto_reply, list, spam, staff, follow_up, and complaint for everything else.

Staff mail (From one of `[staff] addresses` or a domain of `[staff] domains`)
is never a complaint: it is classed "staff" and joins the case it refers to.
A no-reply or form-notification sender, or a mail whose own text is a form
notification naming a member's address, is never staff (it names a member),
and a trusted dmarc=fail makes a staff From a stranger's forgery: a member's
mail as before. Staff mail is *believed* only with a trusted dmarc=pass for
its domain, or when the operator trusts unauthenticated staff mail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from ingest import rules
from ingest.forms.merge import is_no_reply
from ingest.forms.webform import read_webform
from ingest.parse import ParsedMessage
from store.numbering import number_regex
from store.vocabulary import CASE_CLASSES, MessageClass, OwnHeader


class CaseLookup(Protocol):
    """What the classifier needs to know about existing cases (the store has it)."""

    def case_for_message_ids(self, message_ids: Sequence[str]) -> str | None:
        """The number of the case that owns any of these Message-IDs, or None."""
        ...

    def case_exists(self, number: str) -> bool:
        """Whether a case with this number exists."""
        ...

    def member_email(self, number: str) -> str | None:
        """The e-mail address of the member of case ``number`` (None: unknown)."""
        ...


@dataclass(frozen=True)
class ClassifierSettings:
    """Site settings for the classifier (from the [cases] and [responder] config)."""

    number_pattern: re.Pattern[str]
    # (header name, value) pairs; a message with any of them is spam.
    spam_headers: tuple[tuple[str, str], ...] = (("x-spam-flag", "yes"),)
    # Authentication-Results from these authserv-ids (and subdomains) are believed.
    trusted_authserv_ids: tuple[str, ...] = ()
    # Our own addresses: mail from them is a loop, never a complaint.
    own_addresses: tuple[str, ...] = ()
    # Messages larger than this many bytes are rejected; None means no limit.
    max_message_bytes: int | None = None
    # The fund's own mail domains: its people may write about any case.
    staff_domains: tuple[str, ...] = ()
    # The fund's people by address ([staff] addresses), besides the domains.
    staff_addresses: tuple[str, ...] = ()
    # Believe staff mail without a trusted dmarc=pass ([staff] trust_unauthenticated).
    trust_unauthenticated_staff: bool = False
    # Believe the topmost Authentication-Results without an authserv-id
    # (Exchange Online's; config.Settings.trust_topmost_authentication_results).
    trust_topmost_results: bool = False

    @property
    def authentication(self) -> tuple[tuple[str, ...], bool]:
        """The arguments of dmarc_failed and dmarc_passed after the message."""
        return self.trusted_authserv_ids, self.trust_topmost_results


@dataclass(frozen=True)
class Verdict:
    """The class of a message, why, and whether its sender is unverified."""

    klass: str
    reason: str
    case_number: str | None = None
    sender_unverified: bool = False
    sender_unverified_reason: str | None = None
    # A trusted server saw DMARC pass for the From domain: the From address
    # is the sender's own (see `dmarc_passed`).
    sender_verified: bool = False
    # A follow-up that names a case from an address that is neither the
    # member's nor the fund's: linked to that case, but for a person to judge.
    stranger: bool = False
    # Staff mail that is not believed (no trusted dmarc=pass): it acts on
    # nothing and a person looks at it.
    staff_unverified: bool = False
    # A web-form or e-Loket notification sent from one of the fund's ordinary
    # addresses ("website@"): never staff, and a notification channel, as
    # one from a no-reply address (ingest/inbound_builder.py `channel_for`).
    form_notification: bool = False


def number_pattern_from_format(number_format: str) -> re.Pattern[str]:
    """Build the regex that finds case numbers, e.g. "KL-{year}-{seq:05d}"
    (store.numbering.number_regex). Word boundaries keep "XKL-2026-00042"
    or "KL-2026-000421" from matching partly."""
    number = number_regex(number_format)
    return re.compile(rf"(?<![\w-])(?:{number})(?![\w-])", re.IGNORECASE)


def classify(
    msg: ParsedMessage,
    settings: ClassifierSettings,
    lookup: CaseLookup,
    *,
    sent_folder: bool = False,
) -> Verdict:
    """Classify ``msg``; the first rule group that answers decides the class.

    `sent_folder`: the mail lies in the shared mailbox's sent folder, where
    only the fund's people put mail. It is never a member's mail: it is staff
    mail (our own addresses included, sent "as" klachten@), and believed.
    """
    if sent_folder and msg.header(OwnHeader.CASE) is not None:
        # Our own copy ([imap] sent_copy_mailbox may be this folder): kept,
        # joined to nothing.
        return Verdict(MessageClass.STAFF, "in the sent folder: the service's own mail")
    if sent_folder:
        settings = replace(
            settings,
            own_addresses=(),
            staff_addresses=(*settings.staff_addresses, *settings.own_addresses),
        )
    klass, reason, number = _decide(msg, settings, lookup)
    if sent_folder and klass in CASE_CLASSES:
        klass = MessageClass.STAFF
        reason = f"in the sent folder; {reason if number else 'refers to no case'}"
    failure = dmarc_failed(msg, *settings.authentication)
    passed = failure is None and dmarc_passed(msg, *settings.authentication)
    staff_unverified = False
    if klass == MessageClass.STAFF and not (
        passed or settings.trust_unauthenticated_staff or sent_folder
    ):
        staff_unverified = True
        reason += "; not verified (no trusted dmarc=pass): for a person to check"
    stranger = (
        klass == MessageClass.FOLLOW_UP
        and number is not None
        and reason.startswith(_BY_NUMBER)
        and not _may_write_about(msg, settings, lookup.member_email(number))
    )
    if stranger:
        reason = f"says it concerns {number}; not the member's address: needs review"
    return Verdict(
        klass=klass,
        reason=reason,
        case_number=number,
        sender_unverified=failure is not None,
        sender_unverified_reason=failure,
        sender_verified=passed,
        stranger=stranger,
        staff_unverified=staff_unverified,
        form_notification=klass == MessageClass.COMPLAINT
        and _notification_from_staff_address(msg, settings),
    )


_BY_NUMBER = "case number "


def _may_write_about(
    msg: ParsedMessage, settings: ClassifierSettings, member_email: str | None
) -> bool:
    """The member's own address, or one of the fund's people.

    Anybody can quote a case number: a stranger's mail must not confirm an
    oral complaint or pass for the member's reply.
    """
    sender = (msg.from_address or "").lower()
    if not sender:
        return False
    if member_email and sender == member_email.lower():
        return True
    if dmarc_failed(msg, *settings.authentication):
        return False  # a forged staff From: not the fund's
    return _staff_sender(msg, settings) is not None


def _staff_sender(msg: ParsedMessage, settings: ClassifierSettings) -> str | None:
    if _notification_from_staff_address(msg, settings):
        return None
    return staff_reason(msg.from_address or "", settings)


def _notification_from_staff_address(
    msg: ParsedMessage, settings: ClassifierSettings
) -> bool:
    sender = msg.from_address or ""
    return staff_reason(sender, settings) is not None and _form_notification(msg)


def _form_notification(msg: ParsedMessage) -> bool:
    """The mail's own text is a web-form or e-Loket notification naming a
    member's address: it speaks for that member, whatever address the website
    sends from ("website@", "info@" of the staff domain included)."""
    form = read_webform(msg.new_text)
    typed = form.fields.get("email") if form is not None else None
    if typed is None or "@" not in typed.value:
        return False
    return typed.value.strip().lower() != (msg.from_address or "").strip().lower()


def staff_reason(address: str, settings: ClassifierSettings) -> str | None:
    """Why `address` is one of the fund's people, or None.

    A no-reply sender or a form / e-Loket notification is never staff, built
    in: it speaks for the member it names.
    """
    sender = address.strip().lower()
    if "@" not in sender or is_no_reply(sender):
        return None
    if sender in {a.strip().lower() for a in settings.staff_addresses}:
        return "sender is a staff address"
    domain = sender.rpartition("@")[2].rstrip(".")
    domains = {d.strip().lower().rstrip(".") for d in settings.staff_domains}
    if domain in domains:
        return f"sender in staff domain {domain}"
    return None


def _decide(
    msg: ParsedMessage, settings: ClassifierSettings, lookup: CaseLookup
) -> tuple[str, str, str | None]:
    limit = settings.max_message_bytes
    if limit is not None and len(msg.raw) > limit:
        return (
            MessageClass.REJECTED,
            f"message of {len(msg.raw)} bytes exceeds {limit}",
            None,
        )
    groups = (
        (MessageClass.BOUNCE, rules.BOUNCE),
        (MessageClass.AUTO_REPLY, rules.AUTO_REPLY),
        (MessageClass.LIST, rules.LIST),
        (MessageClass.SPAM, rules.SPAM),
    )
    for klass, group in groups:
        for rule in group:
            reason = rule(msg, settings)
            if reason:
                return klass, reason, None
    staff = _staff_sender(msg, settings)
    if staff is not None and not dmarc_failed(msg, *settings.authentication):
        number, joined = _follow_up(msg, settings, lookup)
        if number is not None:
            return MessageClass.STAFF, f"{staff}; {joined}", number
        return MessageClass.STAFF, f"{staff}; refers to no case", None
    number, reason = _follow_up(msg, settings, lookup)
    if number is not None:
        return MessageClass.FOLLOW_UP, reason, number
    return MessageClass.COMPLAINT, "no rule matched: a new complaint", None


def _follow_up(
    msg: ParsedMessage, settings: ClassifierSettings, lookup: CaseLookup
) -> tuple[str | None, str]:
    """The existing case this message belongs to, with the reason."""
    for match in settings.number_pattern.finditer(msg.subject):
        for number in dict.fromkeys((match.group(0), match.group(0).upper())):
            if lookup.case_exists(number):
                return number, f"{_BY_NUMBER}{number} in subject"
    for header, ids in (
        ("In-Reply-To", msg.in_reply_to),
        ("References", msg.references),
    ):
        if ids:
            number = lookup.case_for_message_ids(ids)
            if number is not None:
                return number, f"{header} names a message of case {number}"
    return None, ""


_RESULT = re.compile(r"\bdmarc\s*=\s*([a-z]+)", re.IGNORECASE)
_HEADER_FROM = re.compile(r"\bheader\.from\s*=\s*([^\s;]+)", re.IGNORECASE)


def _trusted(authserv_id: str, trusted: Sequence[str]) -> bool:
    host = authserv_id.lower().rstrip(".")
    for domain in trusted:
        domain = domain.lower().strip().rstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def trusted_results(
    msg: ParsedMessage, trusted_authserv_ids: Sequence[str], trust_topmost: bool
) -> Iterator[tuple[str, list[str]]]:
    """(authserv-id, result clauses) of each Authentication-Results we believe.

    Only headers whose authserv-id (RFC 8601) is a trusted domain or one of
    its subdomains count; anybody can write an Authentication-Results header.
    With `trust_topmost`, the topmost header also counts when it has no
    authserv-id: Exchange Online writes its own so ("spf=pass (sender IP is
    ...) ...;dmarc=pass action=none header.from=..."), and being topmost it
    was added by the last server, the mailbox's own.
    """
    for index, value in enumerate(msg.headers.get("authentication-results", ())):
        head, _, rest = value.partition(";")
        words = head.strip().split()
        if index == 0 and trust_topmost and (not words or "=" in words[0]):
            yield "the mailbox's server", value.split(";")
            continue
        if words and "=" not in words[0] and _trusted(words[0], trusted_authserv_ids):
            yield words[0], rest.split(";")


def dmarc_failed(
    msg: ParsedMessage,
    trusted_authserv_ids: Sequence[str],
    trust_topmost: bool = False,
) -> str | None:
    """Why the sender is unverified: a trusted Authentication-Results dmarc=fail."""
    for who, clauses in trusted_results(msg, trusted_authserv_ids, trust_topmost):
        for clause in clauses:
            result = _RESULT.search(clause)
            if result and result.group(1).lower() == "fail":
                return f"DMARC failed according to {who}"
    return None


def dmarc_passed(
    msg: ParsedMessage,
    trusted_authserv_ids: Sequence[str],
    trust_topmost: bool = False,
) -> bool:
    """True when a trusted Authentication-Results says dmarc=pass for the
    domain of the From address (header.from, when given, must name it).

    Only then is the From address known to be the sender's: mail to any other
    address (Reply-To, an address typed in a form) may reach a stranger.
    """
    domain = (msg.from_address or "").rpartition("@")[2].lower()
    if not domain:
        return False
    for _who, clauses in trusted_results(msg, trusted_authserv_ids, trust_topmost):
        for clause in clauses:
            result = _RESULT.search(clause)
            if not result or result.group(1).lower() != "pass":
                continue
            named = _HEADER_FROM.search(clause)
            if named is None or named.group(1).lower().rstrip(".") == domain:
                return True
    return False
