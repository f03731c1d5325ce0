"""Logging for the klachten service: structlog, masked, one line per event.

Under systemd stdout goes to the journal, so there every event is one JSON
object per line (``journalctl -u klachten -o cat | jq``); on a terminal the
same events are printed readably.  Standard-library loggers (SQLAlchemy,
APScheduler, IMAPClient, ...) go through the same formatter, so every line,
whoever wrote it, is masked by `service.masking` before it leaves the
process: the event string, the bound values and the traceback text.

Event names say the concern first and what happened second, in snake case:
``intake.message_registered``, ``intake.message_quarantined``,
``smtp.delivery_failed``, ``scheduler.job_failed``, ``systemd.notify_failed``.
Context that holds for a whole message (mailbox, uid, message_id, case
number) is bound with `structlog.contextvars.bound_contextvars`.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from service.masking import mask_value

# Loggers that say too much at INFO; IMAPClient even logs the protocol,
# LOGIN included, at DEBUG.
# urllib3 and authlib: the token requests (debug lines name the endpoint only,
# but the token exchange is nobody's business at debug level either).
NOISY_LOGGERS = ("sqlalchemy", "imapclient", "asyncio", "alembic", "urllib3", "authlib")
# mail-parser logs undecodable header values (names, addresses) at ERROR level;
# flufl.bounce logs every detector it runs at INFO and the traceback of one
# that trips on a malformed report at ERROR (ingest/bounce_report.py reads
# such a report as naming nobody); APScheduler warns whenever a job is still
# running at its next turn (our jobs log their own failures as
# scheduler.job_failed).
SILENCED_LOGGERS = ("mailparser", "flufl.bounce")
QUIET_LOGGERS = ("apscheduler",)

# Keys the processors add themselves: nothing personal, and masking them
# would only cost time.
_UNMASKED_KEYS = frozenset({"timestamp", "level", "logger"})
_PLAIN_TYPES = (str, int, float, bool, type(None))
_HANDLER_NAME = "klachten"


def _loggable(value: Any) -> Any:
    """Turn objects the renderer would repr() into masked-able strings."""
    if isinstance(value, _PLAIN_TYPES):
        return value
    if isinstance(value, dict):
        return {key: _loggable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_loggable(item) for item in value]
    # An exception, a Path, a dataclass: its text may carry personal data,
    # so it is turned into text here, where the masking still sees it.
    return str(value)


def mask_event(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    """structlog processor: mask personal data and secrets in *event_dict*."""
    own = {k: v for k, v in event_dict.items() if k in _UNMASKED_KEYS}
    rest = {k: _loggable(v) for k, v in event_dict.items() if k not in own}
    return {**mask_value(rest), **own}


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _drop_formatter_leftovers(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    # When another handler formatted the record first, it left "message" and
    # "asctime" on it, which ExtraAdder would copy as if they were extras.
    event_dict.pop("message", None)
    event_dict.pop("asctime", None)
    return event_dict


def _masking_processors() -> list[Processor]:
    # The traceback becomes text before the masking, so that an exception
    # message with an address in it is masked too; the console renderer
    # prints that text as it is.
    return [structlog.processors.format_exc_info, mask_event]


def _wants_json(stream: TextIO) -> bool:
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return True


def _formatter(as_json: bool, colors: bool) -> structlog.stdlib.ProcessorFormatter:
    renderer: Processor
    if as_json:
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=colors)
    return structlog.stdlib.ProcessorFormatter(
        # Records of standard-library loggers are masked here; structlog's
        # own events were masked before they became records.
        foreign_pre_chain=[
            *_shared_processors(),
            structlog.stdlib.ExtraAdder(),
            _drop_formatter_leftovers,
            *_masking_processors(),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
    )


def _level_number(level: str) -> int:
    number = logging.getLevelName(level.upper())
    if not isinstance(number, int):
        raise ValueError(f"unknown log level {level!r}")
    return number


def configure_logging(
    *, level: str = "INFO", json: bool | None = None, stream: TextIO | None = None
) -> None:
    """Send structlog and standard-library logging, masked, to *stream*.

    *stream* defaults to standard output (the journal under systemd).
    *json* None means: JSON lines unless *stream* is a terminal.  Calling
    this again replaces the previous configuration (tests do).
    """
    level_number = _level_number(level)  # before anything is changed
    stream = sys.stdout if stream is None else stream
    as_json = _wants_json(stream) if json is None else json
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(_formatter(as_json, colors=not _wants_json(stream)))

    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level_number)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in SILENCED_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            # Masked before the event becomes a log record, so that no
            # handler, ours or another, ever sees it in clear.
            *_masking_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached, so that a second call (tests) reaches loggers that
        # modules created at import time.
        cache_logger_on_first_use=False,
    )
