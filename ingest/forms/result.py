"""What a form reader returns: typed, frozen results with provenance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class FieldValue:
    """One value read from a form, with where it came from.

    ``source`` is the reading technique ("pdf-acroform", "pdf-text",
    "docx-control", "docx-table", "docx-text", "webform", "ocr"); ``origin``
    is the file name, or "body" for the mail text.
    """

    key: str
    value: str
    source: str
    origin: str


@dataclass(frozen=True)
class FormResult:
    """The outcome of reading one attachment or mail body as a form."""

    kind: str
    language: str | None
    fields: Mapping[str, FieldValue] = field(
        default_factory=lambda: MappingProxyType({})
    )
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # The limit that stopped the reading ("cpu", "wall", "memory", ...), if any.
    limit: str | None = None


def flagged(kind: str, flags: tuple[str, ...], note: str) -> FormResult:
    """A result without fields that only says why the file was not read."""
    return FormResult(kind=kind, language=None, flags=flags, notes=(note,))


def make_result(
    kind: str,
    language: str | None,
    values: Mapping[str, str],
    *,
    source: str,
    origin: str,
    flags: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
) -> FormResult:
    """Build a FormResult from plain key/value pairs read with one technique."""
    fields = {
        key: FieldValue(key=key, value=value, source=source, origin=origin)
        for key, value in values.items()
        if value
    }
    return FormResult(
        kind=kind,
        language=language,
        fields=MappingProxyType(fields),
        flags=flags,
        notes=notes,
    )
