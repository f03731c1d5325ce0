"""The reminder settings planning needs: who gets which case, in which
language, with which link, at which thresholds (from the configuration)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from config.schema import CasesSettings
from config.validate import is_loopback
from store.case_view import CaseView
from store.reminder_records import COORDINATOR_LANGUAGE

if TYPE_CHECKING:
    from config import Settings

ACK_THRESHOLDS = (3, 0)


@dataclass(frozen=True)
class Policy:
    """The reminder settings planning needs, in a form tests can build."""

    timezone: str = CasesSettings.timezone
    coordinators: tuple[str, ...] = ()
    escalation: tuple[str, ...] = ()
    answer_thresholds: tuple[int, ...] = (14, 7, 2, 0)
    ack_thresholds: tuple[int, ...] = ACK_THRESHOLDS
    day_kind: str = CasesSettings.day_kind
    # Office name (lower case) -> its coordinators ([cases] regional_offices).
    office_coordinators: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Address (lower case) -> nl | fr | de ([staff] languages).
    languages: Mapping[str, str] = field(default_factory=dict)
    # The workspace's public address; None: lines show the command instead.
    base_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        reminders = settings.reminders
        return cls(
            timezone=settings.cases.timezone,
            coordinators=unique_addresses(reminders.coordinators),
            escalation=unique_addresses(reminders.escalation),
            answer_thresholds=_thresholds(reminders.days_before_answer_deadline),
            day_kind=settings.cases.day_kind,
            office_coordinators={
                office.name.strip().lower(): unique_addresses(office.coordinators)
                for office in settings.cases.regional_offices
                if office.coordinators
            },
            languages={
                address.strip().lower(): language
                for address, language in settings.staff.languages.items()
            },
            base_url=link_base(settings.web.base_url),
        )

    def recipients(self, case: CaseView) -> tuple[str, ...]:
        """The assignee; else the coordinators of the case's office; else
        [reminders] coordinators."""
        # An assignee is an address (`case assign --to`); anything else
        # (a name typed long ago) cannot be mailed, so the case goes on.
        if case.assigned_to and "@" in case.assigned_to:
            return (case.assigned_to.strip(),)
        office = (case.regional_office or "").strip().lower()
        return self.office_coordinators.get(office) or self.coordinators

    def language(self, recipient: str) -> str:
        return self.languages.get(recipient.strip().lower(), COORDINATOR_LANGUAGE)


def link_base(base_url: str) -> str | None:
    """The workspace address for links in mails; None when it is loopback
    (the default 127.0.0.1 opens nothing on a coordinator's desk)."""
    host = urlsplit(base_url).hostname or ""
    if not host or is_loopback(host):
        return None
    return base_url.rstrip("/")


def _thresholds(days: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted({int(d) for d in days if int(d) >= 0} | {0}, reverse=True))


def unique_addresses(addresses: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a.strip() for a in addresses if a.strip()))
