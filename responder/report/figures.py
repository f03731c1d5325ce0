"""From database rows to the figures of the yearly report (pure, no I/O).

`Figures.to_dict()` is the JSON of `klachten report --format json`:

- ``year``, ``timezone``, ``generated_at``, ``cutoff`` (the earlier of the
  year's end and the moment the report was made), ``ack_days``,
  ``answer_days``, ``day_kind`` (the deadlines' kind of day: "calendar" or
  "business"), ``contains_personal_data`` (true with --with-cases).
- ``received``: ``total``; ``by_channel``, ``by_category``, ``by_language``,
  ``by_regional_office`` (name -> count, largest first; a case without a
  category counts under "unset"; cases without an office are left out);
  ``by_month`` ("1".."12", local time zone).
- ``outcomes``: founded, partly-founded, unfounded, withdrawn, not-admissible,
  and "none" (no outcome yet). ``by_status``: status -> count.
- ``open_at_year_end``: received in the year, neither answered nor closed by
  31 December 23:59:59 local time.
- ``acknowledgement`` and ``answer``: ``count`` (cases acknowledged/answered),
  ``median_days``, ``p90_days`` (local calendar days from receipt; nearest
  rank), ``within_days`` (10/45 from the settings), ``within`` (done by the
  case's own deadline), ``share_within`` (within / count). ``answer`` also has
  ``distribution``: "0-10", "11-20", "21-30", "31-45", ">45" -> count.
- ``overdue``: ``count`` = ``answered_late`` (answered or closed after the
  answer deadline) + ``open_late`` (neither by the cutoff, deadline before
  it); ``median_days_late``, ``max_days_late`` (open ones measured at the
  cutoff).
- ``follow_ups``: ``total`` follow-up messages on the year's cases,
  ``cases_with`` (cases with at least one), ``mean_per_case`` (total / cases
  received, two decimals), ``max_per_case``.
- ``repeat_members``: members with more than one case (a count, no names).
- ``ombudsdienst``: cases referred (``referred_at`` set or flag).
- ``acknowledgements_not_sent``: ``total``; ``by_reason`` ("skipped:<kind>",
  "failed:<kind>", "awaiting_letter", "closed_without_acknowledgement",
  "ack_bounced": sent, but a delivery report returned it; such a case no
  longer counts in ``acknowledgement``);
  ``acknowledged_without_mail`` ("letter_sent", "acknowledged_otherwise").
- ``non_complaint_messages``: auto_reply, bounce, list, spam, rejected,
  quarantined, staff -> messages received in the year; ``messages_by_class``: all.
- ``previous_year``: the same figures for the year before (null without
  cases then); ``deltas``: this year minus last year for the main counts.
- ``analysis``: causes by service, the share founded per service and per
  category, the measures taken (see `responder.report.analysis`).
- ``names``: how the configured categories, causes and services read in
  each language ([cases] labels), language -> name -> label.
- ``cases`` (only with --with-cases): number, received (local date), channel,
  category, status, outcome, member_name, days_to_answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from responder.report.analysis import analysis
from responder.report.stats import (
    ANSWER_BUCKETS,
    bucket_of,
    days_between,
    local_day,
    median,
    percentile,
    reason_kind,
    share,
)
from store.vocabulary import NON_COMPLAINT_CLASSES, Flag, Outcome, values

if TYPE_CHECKING:
    from store.report_data import CaseLine, CaseTiming, YearCounts, YearWindow

OUTCOMES = values(Outcome)
NON_COMPLAINTS = values(NON_COMPLAINT_CLASSES)
UNSET = "unset"
WITHOUT_MAIL = ("letter_sent", "acknowledged_otherwise")


@dataclass(frozen=True)
class Durations:
    count: int
    median_days: float | None
    p90_days: int | None
    within_days: int
    within: int
    share_within: float | None
    distribution: dict[str, int] | None = None


@dataclass(frozen=True)
class Overdue:
    count: int
    answered_late: int
    open_late: int
    median_days_late: float | None
    max_days_late: int | None


@dataclass(frozen=True)
class YearFigures:
    year: int
    received: dict[str, Any]
    outcomes: dict[str, int]
    by_status: dict[str, int]
    open_at_year_end: int
    acknowledgement: Durations
    answer: Durations
    overdue: Overdue
    follow_ups: dict[str, Any]
    repeat_members: int
    ombudsdienst: int
    acknowledgements_not_sent: dict[str, Any]
    non_complaint_messages: dict[str, int]
    messages_by_class: dict[str, int]
    analysis: dict[str, Any] = field(default_factory=dict)

    def main_counts(self) -> dict[str, int]:
        """The counts compared with the year before."""
        return {
            "received": self.received["total"],
            "open_at_year_end": self.open_at_year_end,
            "overdue": self.overdue.count,
            "repeat_members": self.repeat_members,
            "ombudsdienst": self.ombudsdienst,
            "acknowledgements_not_sent": self.acknowledgements_not_sent["total"],
            "follow_ups": self.follow_ups["total"],
        }


@dataclass(frozen=True)
class CaseEntry:
    number: str
    received: str
    channel: str
    category: str | None
    status: str
    outcome: str | None
    member_name: str | None
    days_to_answer: int | None


@dataclass(frozen=True)
class Figures:
    year: int
    timezone: str
    generated_at: str
    cutoff: str
    ack_days: int
    answer_days: int
    current: YearFigures
    previous: YearFigures | None
    cases: list[CaseEntry] | None = None
    # How configured names (categories, causes, services) read per language:
    # language -> name -> label ([cases] labels); a name without one is shown
    # as configured.
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    # The kind of day the deadlines count ([cases] day_kind): "calendar" or
    # "business"; the durations (median, p90) are always calendar days.
    day_kind: str = "calendar"

    def label(self, language: str, name: str) -> str:
        """A configured name in `language`, else as configured."""
        return self.names.get(language, {}).get(name, name)

    @property
    def deltas(self) -> dict[str, int] | None:
        if self.previous is None:
            return None
        before = self.previous.main_counts()
        return {k: v - before[k] for k, v in self.current.main_counts().items()}

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (see the module docstring for every key)."""
        body: dict[str, Any] = {
            "year": self.year,
            "timezone": self.timezone,
            "generated_at": self.generated_at,
            "cutoff": self.cutoff,
            "ack_days": self.ack_days,
            "answer_days": self.answer_days,
            "day_kind": self.day_kind,
            "contains_personal_data": self.cases is not None,
        }
        body.update(_year_dict(self.current))
        body["previous_year"] = (
            None if self.previous is None else _year_dict(self.previous)
        )
        body["deltas"] = self.deltas
        body["names"] = self.names
        if self.cases is not None:
            body["cases"] = [asdict(entry) for entry in self.cases]
        return body


def _year_dict(figures: YearFigures) -> dict[str, Any]:
    body = asdict(figures)
    body["received"]["by_month"] = {
        str(month): n for month, n in figures.received["by_month"].items()
    }
    del body["acknowledgement"]["distribution"]  # only answers have one
    return body


def _ranked(counts: dict[Any, int], unset: str | None = UNSET) -> dict[str, int]:
    """Largest first, then by name; None becomes `unset` or is left out."""
    named = Counter[str]()
    for key, n in counts.items():
        if key is None and unset is None:
            continue
        named[UNSET if key is None else str(key)] += n
    return dict(sorted(named.items(), key=lambda item: (-item[1], item[0])))


class _Clocks:
    """One pass over the year's case timings, collecting what figures need."""

    def __init__(self, window: YearWindow, cutoff: datetime) -> None:
        self.zone = ZoneInfo(window.timezone)
        self.year_end = window.year_end
        self.cutoff = cutoff
        self.months = dict.fromkeys(range(1, 13), 0)
        self.ack_days: list[int] = []
        self.ack_within = 0
        self.answer_days: list[int] = []
        self.answer_within = 0
        self.open_at_year_end = 0
        self.answered_late: list[int] = []
        self.open_late: list[int] = []

    def add(self, t: CaseTiming) -> None:
        zone = self.zone
        self.months[local_day(t.received_at, zone).month] += 1
        # An acknowledgement that came back never reached the member.
        if t.acknowledged_at is not None and Flag.ACK_BOUNCED not in (t.flags or ()):
            self.ack_days.append(days_between(t.received_at, t.acknowledged_at, zone))
            self.ack_within += t.acknowledged_at <= t.ack_due
        if t.answered_at is not None:
            self.answer_days.append(days_between(t.received_at, t.answered_at, zone))
            self.answer_within += t.answered_at <= t.answer_due
        done = min(
            (x for x in (t.answered_at, t.closed_at) if x is not None), default=None
        )
        if done is None or done > self.year_end:
            self.open_at_year_end += 1
        if done is not None and done > t.answer_due:
            self.answered_late.append(days_between(t.answer_due, done, zone))
        elif done is None and t.answer_due < self.cutoff:
            self.open_late.append(days_between(t.answer_due, self.cutoff, zone))


def _durations(days: list[int], within: int, limit: int) -> Durations:
    days.sort()
    return Durations(
        count=len(days),
        median_days=median(days),
        p90_days=percentile(days, 90),
        within_days=limit,
        within=within,
        share_within=share(within, len(days)),
    )


def _overdue(clocks: _Clocks) -> Overdue:
    late = sorted(clocks.answered_late + clocks.open_late)
    return Overdue(
        count=len(late),
        answered_late=len(clocks.answered_late),
        open_late=len(clocks.open_late),
        median_days_late=median(late),
        max_days_late=late[-1] if late else None,
    )


def _acks_not_sent(counts: YearCounts) -> dict[str, Any]:
    reasons = Counter[str]()
    for status, text, n in counts.acks_unsent:
        reasons[f"{status}:{reason_kind(text)}"] += n
    for reason, n in counts.acks_missing.items():
        if reason not in WITHOUT_MAIL:
            reasons[reason] += n
    if counts.acks_bounced:
        reasons[Flag.ACK_BOUNCED.value] += counts.acks_bounced
    return {
        "total": sum(reasons.values()),
        "by_reason": _ranked(dict(reasons)),
        "acknowledged_without_mail": {
            key: counts.acks_missing.get(key, 0) for key in WITHOUT_MAIL
        },
    }


def compute_year(
    counts: YearCounts,
    timings: Iterable[CaseTiming],
    window: YearWindow,
    *,
    cutoff: datetime,
    ack_days: int,
    answer_days: int,
) -> YearFigures:
    """The figures of one year from its counts and its streamed case timings."""
    clocks = _Clocks(window, cutoff)
    for timing in timings:
        clocks.add(timing)
    answer = _durations(clocks.answer_days, clocks.answer_within, answer_days)
    histogram = Counter(bucket_of(d) for d in clocks.answer_days)
    distribution = {key: histogram.get(key, 0) for key, _, _ in ANSWER_BUCKETS}
    received = {
        "total": counts.total,
        "by_channel": _ranked(counts.by_channel),
        "by_category": _ranked(counts.by_category),
        "by_language": _ranked(counts.by_language),
        "by_month": clocks.months,
        "by_regional_office": _ranked(counts.by_regional_office, unset=None),
    }
    outcomes = {key: counts.by_outcome.get(key, 0) for key in OUTCOMES}
    outcomes["none"] = counts.total - sum(outcomes.values())
    return YearFigures(
        year=window.year,
        received=received,
        outcomes=outcomes,
        by_status=_ranked(counts.by_status),
        open_at_year_end=clocks.open_at_year_end,
        acknowledgement=_durations(clocks.ack_days, clocks.ack_within, ack_days),
        answer=Durations(**{**asdict(answer), "distribution": distribution}),
        overdue=_overdue(clocks),
        follow_ups={
            "total": counts.follow_up_total,
            "cases_with": counts.follow_up_cases,
            "mean_per_case": (
                round(counts.follow_up_total / counts.total, 2) if counts.total else 0
            ),
            "max_per_case": counts.follow_up_max,
        },
        repeat_members=counts.repeat_members,
        ombudsdienst=counts.ombudsdienst,
        acknowledgements_not_sent=_acks_not_sent(counts),
        non_complaint_messages={
            k: counts.messages_by_class.get(k, 0) for k in NON_COMPLAINTS
        },
        messages_by_class=_ranked(counts.messages_by_class),
        analysis=analysis(counts),
    )


def case_entries(lines: Iterable[CaseLine], timezone: str) -> list[CaseEntry]:
    """The internal case list: one entry per case, dates in local time."""
    zone = ZoneInfo(timezone)
    return [
        CaseEntry(
            number=line.number,
            received=local_day(line.received_at, zone).isoformat(),
            channel=line.channel,
            category=line.category,
            status=line.status,
            outcome=line.outcome,
            member_name=line.member_name,
            days_to_answer=(
                None
                if line.answered_at is None
                else days_between(line.received_at, line.answered_at, zone)
            ),
        )
        for line in lines
    ]
