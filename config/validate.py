"""Value checks that go beyond types: enums, ranges, URLs, time zones."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.errors import ConfigError
from config.listen import parse_listen
from config.offices import office_problems
from config.schema import Settings

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^[^@\s.]+(\.[^@\s.]+)+\.?$")
_STORE_URL = re.compile(r"^(sqlite(\+pysqlite)?|postgresql(\+psycopg)?)://")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LANGUAGES = ("nl", "fr", "de", "en")
# A form worker with its readers loaded takes about 70 MB of address space.
MIN_FORM_MEMORY_MB = 128


def check(settings: Settings) -> None:
    """Raise ConfigError for the first value that cannot work."""
    _one_of("imap", "security", settings.imap.security, ("ssl", "starttls", "none"))
    _one_of("smtp", "security", settings.smtp.security, ("ssl", "starttls", "none"))
    _one_of("source", "kind", settings.source.kind, ("imap", "maildir"))
    _one_of("cases", "day_kind", settings.cases.day_kind, ("calendar", "business"))
    _one_of("cases", "default_language", settings.cases.default_language, _LANGUAGES)
    _one_of("reminders", "digest_day", settings.reminders.digest_day, _DAYS)
    for section, key, value in (
        ("imap", "port", settings.imap.port),
        ("smtp", "port", settings.smtp.port),
    ):
        if not 0 < value < 65536:
            raise ConfigError(f"config: [{section}] {key} must be 1-65535")
    for section, key, value in (
        ("imap", "poll_interval", settings.imap.poll_interval),
        ("cases", "ack_days", settings.cases.ack_days),
        ("cases", "answer_days", settings.cases.answer_days),
        ("imap", "max_message_size", settings.imap.max_message_size),
        ("responder", "per_address_limit", settings.responder.per_address_limit),
        ("responder", "hourly_limit", settings.responder.hourly_limit),
        ("ingest", "form_workers", settings.ingest.form_workers),
        ("ingest", "form_cpu_seconds", settings.ingest.form_cpu_seconds),
        ("ingest", "form_seconds", settings.ingest.form_seconds),
        ("ingest", "form_memory_mb", settings.ingest.form_memory_mb),
        (
            "ingest",
            "message_form_cpu_seconds",
            settings.ingest.message_form_cpu_seconds,
        ),
        ("ingest", "message_form_seconds", settings.ingest.message_form_seconds),
        ("ingest", "max_unpacked_bytes", settings.ingest.max_unpacked_bytes),
    ):
        if value <= 0:
            raise ConfigError(f"config: [{section}] {key} must be positive")
    if settings.ingest.form_memory_mb < MIN_FORM_MEMORY_MB:
        raise ConfigError(
            f"config: [ingest] form_memory_mb must be at least {MIN_FORM_MEMORY_MB}"
        )
    if settings.service.outbox_lease < 120:
        raise ConfigError("config: [service] outbox_lease must be at least 120")
    if not _STORE_URL.match(settings.store.url):
        raise ConfigError(
            "config: [store] url must start with sqlite:/// or postgresql+psycopg://"
        )
    try:
        ZoneInfo(settings.cases.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"config: [cases] timezone {settings.cases.timezone!r} is unknown"
        ) from None
    _check_number_format(settings.cases.number_format)
    _check_offices(settings)
    _check_plaintext_auth(settings)
    _check_addresses(settings)
    for key in ("send_time", "digest_time"):
        if not _TIME.match(getattr(settings.reminders, key)):
            raise ConfigError(f"config: [reminders] {key} must be HH:MM")
    if any(d < 0 for d in settings.reminders.days_before_answer_deadline):
        raise ConfigError(
            "config: [reminders] days_before_answer_deadline must be >= 0"
        )
    if settings.source.kind == "maildir" and not settings.source.path:
        raise ConfigError('config: [source] path is required when kind = "maildir"')
    if not re.match(r"^[\w\- ]+$", settings.source.processed_folder):
        raise ConfigError(
            "config: [source] processed_folder must be a plain folder name"
            " (letters, digits, -, _ or spaces)"
        )
    parse_listen(settings.metrics.listen)  # the check `run` makes, made here
    _check_web(settings)
    if not 1 <= settings.privacy.retention_years <= 100:
        raise ConfigError("config: [privacy] retention_years must be from 1 to 100")
    _check_oauth(settings)
    _check_sent_mailbox(settings)


_OAUTH_NEEDS = {
    "microsoft": ("tenant", "client_id", "client_secret"),
    "google": ("service_account_file", "subject"),
    "generic": ("token_url", "client_id", "client_secret"),
}


def uses_oauth(settings: Settings) -> list[str]:
    """The sections ("imap", "smtp") that log in with an OAuth2 token."""
    found = []
    if settings.source.kind == "imap" and settings.imap.auth == "oauth2":
        found.append("imap")
    if settings.smtp.auth == "oauth2":
        found.append("smtp")
    return found


def _check_oauth(settings: Settings) -> None:
    _one_of("imap", "auth", settings.imap.auth, ("password", "oauth2"))
    _one_of("smtp", "auth", settings.smtp.auth, ("password", "oauth2"))
    if not uses_oauth(settings):
        return
    oauth = settings.oauth
    _one_of("oauth", "provider", oauth.provider, tuple(_OAUTH_NEEDS))
    for key in _OAUTH_NEEDS[oauth.provider]:
        if not getattr(oauth, key):
            raise ConfigError(
                f'config: [oauth] {key} is required with provider = "{oauth.provider}"'
            )
    url = oauth.token_url
    if url and not re.match(r"^https?://[^/\s]+(/\S*)?$", url):
        raise ConfigError("config: [oauth] token_url must be an http(s):// address")
    if url.startswith("http://") and not is_loopback(urlsplit(url).hostname or ""):
        raise ConfigError(
            "config: [oauth] token_url must use https:// (the client secret "
            "would cross the network in clear)"
        )


def _check_sent_mailbox(settings: Settings) -> None:
    """The sent folder is read without marking: it cannot be the folder
    intake marks and moves messages in (or out of)."""
    imap = settings.imap
    sent = imap.sent_mailbox.strip()
    if sent and sent.lower() in {imap.mailbox.lower(), imap.processed_mailbox.lower()}:
        raise ConfigError(
            "config: [imap] sent_mailbox must differ from mailbox and"
            " processed_mailbox"
        )


def _check_plaintext_auth(settings: Settings) -> None:
    """No password in clear across a network unless the operator says so."""
    for reason in plaintext_auth(settings, allowed_too=False):
        raise ConfigError(f"config: {reason}; set allow_plaintext_auth = true")


def plaintext_auth(settings: Settings, *, allowed_too: bool) -> list[str]:
    """Where credentials would cross the network in clear (security = "none"
    with a login toward a host other than loopback), per section; with
    `allowed_too` also where allow_plaintext_auth = true permits it."""
    found = []
    imap, smtp = settings.imap, settings.smtp
    uses_imap = settings.source.kind == "imap"
    for section, server, logs_in in (
        ("imap", imap, uses_imap and bool(imap.username)),
        ("smtp", smtp, bool(smtp.username) or smtp.auth == "oauth2"),
    ):
        if server.security != "none" or not logs_in or is_loopback(server.host):
            continue
        if server.allow_plaintext_auth and not allowed_too:
            continue
        secret = "OAuth2 token" if server.auth == "oauth2" else "password"
        found.append(
            f'[{section}] security = "none" sends the {secret} in clear '
            f"to {server.host}"
        )
    return found


def is_loopback(host: str) -> bool:
    """localhost or a loopback address (127.0.0.0/8, ::1); no DNS lookup."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _one_of(section: str, key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(
            f"config: [{section}] {key} must be one of {', '.join(allowed)}, "
            f"got {value!r}"
        )


def _check_number_format(fmt: str) -> None:
    if "{seq" not in fmt or "{year" not in fmt:
        raise ConfigError("config: [cases] number_format must contain {year} and {seq}")
    try:
        fmt.format(year=2026, seq=1)
    except (KeyError, ValueError, IndexError) as exc:
        raise ConfigError(f"config: [cases] number_format is invalid: {exc}") from None


def _check_addresses(settings: Settings) -> None:
    if not _ADDRESS.match(settings.smtp.from_address):
        raise ConfigError("config: [smtp] from_address is not an e-mail address")
    for section, key, values in (
        ("reminders", "coordinators", settings.reminders.coordinators),
        ("reminders", "escalation", settings.reminders.escalation),
        ("service", "operators", settings.service.operators),
        ("staff", "addresses", settings.staff.addresses),
    ):
        for value in values:
            if not _ADDRESS.match(value):
                raise ConfigError(f"config: [{section}] {key} holds an invalid address")
    for address, language in settings.staff.languages.items():
        if not _ADDRESS.match(address):
            raise ConfigError("config: [staff] languages holds an invalid address")
        if language not in ("nl", "fr", "de"):
            raise ConfigError(
                f"config: [staff] languages: {language!r} for {address} must be"
                " one of nl, fr, de"
            )
    for domain in settings.staff.domains:
        if not _DOMAIN.match(domain.strip()):
            raise ConfigError("config: [staff] domains holds an invalid domain")


def _check_offices(settings: Settings) -> None:
    """Every bad office key, one line each (an operator fixes them at once)."""
    problems = office_problems(settings.cases.regional_offices)
    for index, office in enumerate(settings.cases.regional_offices, start=1):
        if any(not _ADDRESS.match(a) for a in office.coordinators):
            problems.append(
                f"config: [cases] regional_offices[{index}] ({office.name}) "
                "coordinators holds an invalid address"
            )
    if problems:
        raise ConfigError("\n".join(problems))


def _check_web(settings: Settings) -> None:
    web = settings.web
    if not re.match(r"^[\w.\-\[\]:]+:\d+$", web.listen):
        raise ConfigError("config: [web] listen must be HOST:PORT")
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", web.base_url):
        raise ConfigError("config: [web] base_url must be an http(s):// address")
    if web.session_idle_minutes <= 0:
        raise ConfigError("config: [web] session_idle_minutes must be positive")
    if web.trusted_user_header and not re.match(
        r"^[A-Za-z0-9-]+$", web.trusted_user_header
    ):
        raise ConfigError("config: [web] trusted_user_header must be a header name")
    for proxy in web.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"config: [web] trusted_proxies holds {proxy!r}, not an address"
            ) from None
