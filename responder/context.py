"""The template context of one mail: `case`, `org` and the row's own values.

What a complainant chose (the subject, their name and address) is only in the
context when the mail may quote it: an automatic mail to an address nobody
verified (a Reply-To, an address typed in a form) could reach a stranger, and
must not carry an attacker's words to them. Such a mail gets the case number,
the dates and the templates' fixed text. A quoted subject is cut to
SUBJECT_MAX characters, its control characters removed.

Outbox rows keep extra values (an answer's text, a reminder's list of cases) as
JSON, where dates are ISO strings. The keys we know to be dates are turned back
into dates and aware datetimes here, so templates see the same types whether a
value came from a case or from the outbox.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from store.case_view import CaseView
from store.registration_rows import COMPLAINT_KEY, VERIFIED_KEY
from store.vocabulary import MailKind

DATE_KEYS = frozenset(
    {
        "received_at",
        "ack_due",
        "answer_due",
        "acknowledged_at",
        "answered_at",
        "closed_at",
        "deadline",
        "as_of",
        "last_success",
        "sent_at",
        "letter_sent_at",
    }
)
MEMBER_KEYS = ("name", "email", "street", "postcode", "city")
SUBJECT_MAX = 150
NAME_MAX = 100
# C0, DEL and C1 controls, and the format characters that reorder text.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Org:
    """Who the mail is from ([responder] and [smtp] settings)."""

    name: str
    from_name: str
    from_address: str
    phone: str = ""

    def as_dict(self) -> dict[str, str]:
        # A copy of the fields (all strings): dataclasses.asdict would deep-copy.
        return dict(vars(self))


def case_context(case: CaseView, *, quote: bool = True) -> dict[str, Any]:
    """The `case` dict the member templates use; without `quote`, nothing of
    what the complainant wrote (subject, name, address) is in it."""
    member = {key: getattr(case.member, key) for key in MEMBER_KEYS}
    if quote:
        member["name"] = clean_text(member["name"], NAME_MAX)
    return {
        "number": case.number,
        "received_at": case.received_at,
        "ack_due": case.ack_due,
        "answer_due": case.answer_due,
        "subject": clean_text(case.subject, SUBJECT_MAX) if quote else None,
        "channel": case.channel,
        "language": case.language,
        "member": member if quote else dict.fromkeys(MEMBER_KEYS),
    }


def clean_text(value: str | None, limit: int) -> str | None:
    """One line without control characters, at most `limit` characters (the
    last one an ellipsis when cut); None when nothing is left."""
    if not value:
        return None
    text = " ".join(_CONTROLS.sub(" ", value).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or None


# Keys of an outbox row's context that shape the envelope, not the text.
_ENVELOPE_KEYS = frozenset((VERIFIED_KEY, COMPLAINT_KEY))


def may_quote(kind: str, extra: Mapping[str, Any] | None) -> bool:
    """Whether a mail may repeat what the complainant wrote: an acknowledgement
    (sent automatically, to whatever address a mail named) only when its
    recipient was verified; a person's mail (an answer) always."""
    verified = bool((extra or {}).get(VERIFIED_KEY))
    return kind != MailKind.ACKNOWLEDGEMENT or verified


class Terms(Protocol):
    """The procedure's terms as the settings give them (store CaseRules)."""

    ack_days: int
    answer_days: int
    day_kind: str


def mail_context(
    org: Org,
    case: CaseView | None,
    extra: Mapping[str, Any] | None = None,
    terms: Terms | None = None,
    *,
    quote: bool = True,
) -> dict[str, Any]:
    """`org`, `case` (when the mail belongs to one), `procedure` (the terms
    the texts promise) and the row's own values, which win over the rest.
    `quote`: see `case_context`."""
    context: dict[str, Any] = {"org": org.as_dict()}
    if terms is not None:
        context["procedure"] = {
            "ack_days": terms.ack_days,
            "answer_days": terms.answer_days,
            "day_kind": terms.day_kind,
        }
    if case is not None:
        context["case"] = case_context(case, quote=quote)
    values = {k: v for k, v in (extra or {}).items() if k not in _ENVELOPE_KEYS}
    context.update(revive_dates(values))
    return context


def revive_dates(value: Any, key: str | None = None) -> Any:
    """Turn ISO strings under DATE_KEYS back into dates, in nested dicts and
    lists as well; anything that does not parse stays as it was."""
    if isinstance(value, dict):
        return {k: revive_dates(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [revive_dates(item, key) for item in value]
    if key in DATE_KEYS and isinstance(value, str):
        return _parse_date(value)
    return value


def _parse_date(text: str) -> date | datetime | str:
    try:
        if "T" in text or " " in text.strip():
            return datetime.fromisoformat(text)
        return date.fromisoformat(text)
    except ValueError:
        return text
