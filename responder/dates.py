"""Dates as members and coordinators read them, in Dutch, French, German or English.

These are the Jinja2 filters of the responder (registered in ``render.py``), kept
free of Jinja2 so that other code (the letter, the CLI) can use them as well.

Every datetime is shown in the fund's local time (Europe/Brussels by default): a
deadline stored as 2026-03-29T21:59:59Z is "29 maart 2026" for a member, not the
30th. We deliberately refuse naive datetimes: guessing their zone is how a
deadline silently shifts by a day.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Europe/Brussels"

MONTHS: dict[str, tuple[str, ...]] = {
    "nl": (
        "januari", "februari", "maart", "april", "mei", "juni",
        "juli", "augustus", "september", "oktober", "november", "december",
    ),
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
    "de": (
        "Januar", "Februar", "März", "April", "Mai", "Juni",
        "Juli", "August", "September", "Oktober", "November", "Dezember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip

# How a time of day follows the date: "om 14:05", "à 14:05", "um 14:05 Uhr".
_TIME_PATTERNS = {
    "nl": "{date} om {time}",
    "fr": "{date} à {time}",
    "de": "{date} um {time} Uhr",
    "en": "{date} at {time}",
}

Temporal = date | datetime | str


def local_date(value: Temporal, tz: str | ZoneInfo = DEFAULT_TIMEZONE) -> date:
    """The calendar date of ``value`` in the zone ``tz``.

    ``value`` is an aware datetime, a date, or an ISO 8601 string of either.
    """
    moment = _as_temporal(value)
    if isinstance(moment, datetime):
        return _to_zone(moment, tz).date()
    return moment


def date_long(
    value: Temporal, lang: str = "nl", tz: str | ZoneInfo = DEFAULT_TIMEZONE
) -> str:
    """The date written out: "28 november 2026", "1er décembre 2026",
    "28. November 2026", "28 November 2026"."""
    day = local_date(value, tz)
    month = _months(lang)[day.month - 1]
    if lang == "de":
        return f"{day.day}. {month} {day.year}"
    if lang == "fr" and day.day == 1:
        # French writes the first of the month as an ordinal: "1er mars".
        return f"1er {month} {day.year}"
    return f"{day.day} {month} {day.year}"


def date_short(value: Temporal, tz: str | ZoneInfo = DEFAULT_TIMEZONE) -> str:
    """The date as Belgians write it in tables: "28/11/2026"."""
    day = local_date(value, tz)
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def datetime_local(
    value: Temporal, lang: str = "nl", tz: str | ZoneInfo = DEFAULT_TIMEZONE
) -> str:
    """Date and local time of day: "28 november 2026 om 14:05"."""
    moment = _as_temporal(value)
    if not isinstance(moment, datetime):
        return date_long(moment, lang, tz)
    local = _to_zone(moment, tz)
    pattern = _TIME_PATTERNS[lang]
    return pattern.format(date=date_long(local, lang, tz), time=f"{local:%H:%M}")


def _months(lang: str) -> tuple[str, ...]:
    try:
        return MONTHS[lang]
    except KeyError:
        raise ValueError(f"no month names for language {lang!r}") from None


def _as_temporal(value: Temporal) -> date | datetime:
    if isinstance(value, str):
        return (
            datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        )
    if isinstance(value, date):  # datetime is a subclass of date
        return value
    raise TypeError(f"expected a date or datetime, got {type(value).__name__}")


def _to_zone(moment: datetime, tz: str | ZoneInfo) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: give deadlines and timestamps a time zone")
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    return moment.astimezone(zone)


# A number of days as the procedure counts them: "45 dagen", "45 werkdagen".
_DAY_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "calendar": {
        "nl": ("dag", "dagen"),
        "fr": ("jour", "jours"),
        "de": ("Tag", "Tagen"),
        "en": ("day", "days"),
    },
    "business": {
        "nl": ("werkdag", "werkdagen"),
        "fr": ("jour ouvrable", "jours ouvrables"),
        "de": ("Werktag", "Werktagen"),
        "en": ("working day", "working days"),
    },
}


def period(days: int, lang: str = "nl", day_kind: str = "calendar") -> str:
    """``days`` with the word for the kind of day the settings count in.

    The German form is the dative ("innerhalb von 45 Tagen"), the one the
    templates need after "von" and "nach".
    """
    words = _DAY_WORDS.get(day_kind, _DAY_WORDS["calendar"])
    one, many = words.get(lang, words["nl"])
    return f"{days} {one if days == 1 else many}"
