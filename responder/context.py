"""The template context of one mail: `case`, `org` and the row's own values.

Outbox rows keep extra values (an answer's text, a reminder's list of cases) as
JSON, where dates are ISO strings. The keys we know to be dates are turned back
into dates and aware datetimes here, so templates see the same types whether a
value came from a case or from the outbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from store.outbox import CaseFacts

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


def case_context(case: CaseFacts) -> dict[str, Any]:
    """The `case` dict the member templates use."""
    return {
        "number": case.number,
        "received_at": case.received_at,
        "ack_due": case.ack_due,
        "answer_due": case.answer_due,
        "subject": case.subject,
        "channel": case.channel,
        "language": case.language,
        "member": {key: case.member.get(key) for key in MEMBER_KEYS},
    }


class Terms(Protocol):
    """The procedure's terms as the settings give them (store CaseRules)."""

    ack_days: int
    answer_days: int
    day_kind: str


def mail_context(
    org: Org,
    case: CaseFacts | None,
    extra: Mapping[str, Any] | None = None,
    terms: Terms | None = None,
) -> dict[str, Any]:
    """`org`, `case` (when the mail belongs to one), `procedure` (the terms
    the texts promise) and the row's own values, which win over the rest."""
    context: dict[str, Any] = {"org": org.as_dict()}
    if terms is not None:
        context["procedure"] = {
            "ack_days": terms.ack_days,
            "answer_days": terms.answer_days,
            "day_kind": terms.day_kind,
        }
    if case is not None:
        context["case"] = case_context(case)
    context.update(revive_dates(dict(extra or {})))
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
