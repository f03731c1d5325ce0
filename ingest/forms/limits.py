"""The limits form reading runs under, and the result of going over one.

Reading a form means running pypdf, python-docx, pdftoppm and Tesseract on
bytes a stranger chose. A PDF whose pages share one huge content stream takes
a minute to render; a DOCX whose zip headers lie inflates to gigabytes. So
every attachment is read in a worker process (ingest/forms/pool.py) with a
CPU-time, wall-time and memory limit, and all forms of one message share a
CPU-time and wall-time budget. What goes over a limit is not read: the
attachment is kept, the case is flagged for review and the reason recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.schema import IngestSettings
from ingest.forms.result import FormResult
from store.vocabulary import Flag

MIB = 1024 * 1024
# Flags of an attachment that was not read because of a limit.
TOO_SLOW = Flag.ATTACHMENT_TOO_SLOW
TOO_LARGE = Flag.ATTACHMENT_TOO_LARGE
_REVIEW = Flag.NEEDS_REVIEW


# The defaults are the configuration's, stated once in config/schema.py.
_DEFAULTS = IngestSettings()


@dataclass(frozen=True)
class FormLimits:
    """Limits per attachment and per message ([ingest] form_* keys)."""

    workers: int = _DEFAULTS.form_workers
    cpu_seconds: float = _DEFAULTS.form_cpu_seconds
    seconds: float = _DEFAULTS.form_seconds
    memory_bytes: int = _DEFAULTS.form_memory_mb * MIB
    message_cpu_seconds: float = _DEFAULTS.message_form_cpu_seconds
    message_seconds: float = _DEFAULTS.message_form_seconds
    max_unpacked_bytes: int = _DEFAULTS.max_unpacked_bytes


# Why an attachment was not read: the limit's name, its flag and a sentence.
_LIMITS = {
    "cpu": (TOO_SLOW, "its CPU time per attachment ran out ({:g} s)"),
    "wall": (TOO_SLOW, "its time per attachment ran out ({:g} s)"),
    "memory": (TOO_LARGE, "it needed more memory than allowed ({:g} MiB)"),
    "message_cpu": (TOO_SLOW, "the message's CPU time for forms ran out ({:g} s)"),
    "message_wall": (TOO_SLOW, "the message's time for forms ran out ({:g} s)"),
    "crashed": (TOO_SLOW, "the form reader stopped (exit status {:g})"),
}


def limit_value(limit: str, limits: FormLimits) -> float:
    """The configured value a limit's note names."""
    return {
        "cpu": limits.cpu_seconds,
        "wall": limits.seconds,
        "memory": limits.memory_bytes / MIB,
        "message_cpu": limits.message_cpu_seconds,
        "message_wall": limits.message_seconds,
    }.get(limit, 0.0)


def over_limit(limit: str, value: float) -> FormResult:
    """The result of an attachment not read because of `limit`."""
    flag, sentence = _LIMITS[limit]
    note = "not read: " + sentence.format(value)
    return FormResult(
        kind="none", language=None, flags=(flag, _REVIEW), notes=(note,), limit=limit
    )
