"""The local parts of addresses that belong to a machine, not a person.

One list, read by the classifier (bounces, no-reply non-delivery reports),
by the form merge (no contact address, web-form notifications) and by the
responder's default suppression list (never send to these).
"""

from __future__ import annotations

import re

# Mail servers reporting on delivery.
DAEMONS: tuple[str, ...] = (
    "mailer-daemon",
    "mailerdaemon",
    "mail-daemon",
    "postmaster",
    "post_master",
)
# Senders that say nobody reads the replies.
NO_REPLY: tuple[str, ...] = (
    "noreply",
    "no-reply",
    "no_reply",
    "donotreply",
    "do-not-reply",
    "nepasrepondre",
    "ne-pas-repondre",
    "nietantwoorden",
    "niet-antwoorden",
)
# Notifications of the website's forms and the e-Loket.
NOTIFIERS: tuple[str, ...] = (
    "webform",
    "eloket",
    "e-loket",
    "notification",
    "notifications",
)


def local_part_pattern(names: tuple[str, ...]) -> str:
    """A regular expression alternative matching any of `names` literally."""
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def suppression_defaults() -> list[str]:
    """The responder's default suppression patterns (fnmatch, `name@*`)."""
    return [f"{name}@*" for name in (*NO_REPLY, *DAEMONS)]
