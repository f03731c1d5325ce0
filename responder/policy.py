"""Whether a mail may leave: never reply to a machine, never flood an address.

Pure functions. The delivery worker gathers the facts from the store (case
flags, how many acknowledgements an address got lately) and asks `decide`;
each rule is a small yes/no check that returns the reason it says no, which
ends up on the outbox row and as an event on the case.
"""

from __future__ import annotations

import fnmatch
import random
from collections.abc import Callable
from dataclasses import dataclass

from config.backoff import backoff_delay
from config.schema import ResponderSettings
from store.mailbox_key import mailbox_key
from store.vocabulary import Flag, MailKind


@dataclass(frozen=True)
class PolicyRules:
    """The configured limits (from [smtp], [responder] and [reminders])."""

    own_address: str
    coordinators: tuple[str, ...] = ()
    suppression: tuple[str, ...] = ()
    per_address_limit: int = ResponderSettings.per_address_limit


@dataclass(frozen=True)
class MailFacts:
    """What is known about one outbox row when it is about to be sent."""

    kind: str
    audience: str
    recipients: tuple[str, ...]
    case_flags: tuple[str, ...] = ()
    # Acknowledgements this address got in the last 24 hours (before this one).
    recent_acknowledgements: int = 0
    # The case was answered (a coordinator's mail from Outlook, say) while
    # its acknowledgement still waited in the outbox.
    case_answered: bool = False


Rule = Callable[[PolicyRules, MailFacts], str | None]


def normalise(address: str) -> str:
    """The mailbox an address reaches, as the per-address limit counts it."""
    return mailbox_key(address)


def no_recipient(rules: PolicyRules, facts: MailFacts) -> str | None:
    """A mail without an address has nowhere to go."""
    return None if any(r.strip() for r in facts.recipients) else "no recipient"


def own_address(rules: PolicyRules, facts: MailFacts) -> str | None:
    """Replying to ourselves would start a loop with our own intake."""
    own = normalise(rules.own_address)
    hit = any(normalise(r) == own for r in facts.recipients)
    return "own address" if hit else None


def suppressed(rules: PolicyRules, facts: MailFacts) -> str | None:
    """No-reply, MAILER-DAEMON and the like: nobody reads what we send there."""
    for recipient in facts.recipients:
        pattern = matching_pattern(recipient, rules.suppression)
        if pattern is not None:
            return f"suppressed address (pattern {pattern})"
    return None


def coordinator(rules: PolicyRules, facts: MailFacts) -> str | None:
    """A coordinator who files a complaint needs no member acknowledgement."""
    coordinators = {normalise(c) for c in rules.coordinators}
    hit = any(normalise(r) in coordinators for r in facts.recipients)
    return "coordinator address" if hit else None


ANSWERED_FIRST = "answered before the acknowledgement"


def answered_already(rules: PolicyRules, facts: MailFacts) -> str | None:
    """An answer went out first: "we will answer within 45 days" would come
    after the answer itself (a backlog after an outage, a quick coordinator).
    The store counts the answer as the acknowledgement."""
    if facts.kind == MailKind.ACKNOWLEDGEMENT and facts.case_answered:
        return ANSWERED_FIRST
    return None


def sender_unverified(rules: PolicyRules, facts: MailFacts) -> str | None:
    """DMARC failed: do not answer an address that may be forged."""
    # DMARC failed on the complaint: the From address may be forged, and an
    # automatic reply would go to whoever was impersonated.
    if (
        facts.kind == MailKind.ACKNOWLEDGEMENT
        and Flag.SENDER_UNVERIFIED in facts.case_flags
    ):
        return "sender not verified (DMARC failed)"
    return None


def over_limit(rules: PolicyRules, facts: MailFacts) -> str | None:
    """At most N acknowledgements per address per 24 hours."""
    if facts.kind != MailKind.ACKNOWLEDGEMENT:
        return None
    if facts.recent_acknowledgements < rules.per_address_limit:
        return None
    return (
        f"per-address limit reached ({rules.per_address_limit} "
        "acknowledgements in 24 hours)"
    )


# Address rules hold for every mail to a member; the others for acknowledgements
# only (a coordinator's answer is a deliberate act, not an automatic reply).
MEMBER_RULES: tuple[Rule, ...] = (
    no_recipient,
    own_address,
    suppressed,
    coordinator,
    answered_already,
    sender_unverified,
    over_limit,
)


def decide(rules: PolicyRules, facts: MailFacts) -> str | None:
    """The reason not to send this mail, or None to send it.

    Mail to coordinators and operators is not filtered: those addresses come
    from the configuration, not from an incoming message.
    """
    if facts.audience != "member":
        return no_recipient(rules, facts)
    for rule in MEMBER_RULES:
        reason = rule(rules, facts)
        if reason is not None:
            return reason
    return None


def matching_pattern(address: str, patterns: tuple[str, ...]) -> str | None:
    """The first suppression pattern (fnmatch, case-insensitive) `address` hits."""
    lowered = normalise(address)
    for pattern in patterns:
        if fnmatch.fnmatchcase(lowered, pattern.strip().lower()):
            return pattern
    return None


# A mail waits at least its whole step, plus up to 10% (the cap may be passed).
MAIL_JITTER = (1.0, 1.1)


def retry_delay(
    attempts: int, base: int, cap: int, *, jitter: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after the `attempts`-th failure: base * 2^(attempts-1),
    at most `cap`, plus up to 10% jitter (the shared `config.backoff`)."""
    return backoff_delay(
        max(attempts - 1, 0), base=base, cap=cap, jitter=MAIL_JITTER, rand=jitter
    )
