"""What the service and a form worker say to each other over a pipe.

Frames are a 4-byte big-endian length and the bytes. A request is two
frames (a JSON header, the attachment's bytes); the answer is one JSON frame.
JSON rather than pickle: the worker parses hostile files, and what comes back
from it must never be able to run code in the service.
"""

from __future__ import annotations

import json
import struct
from types import MappingProxyType
from typing import Any, BinaryIO

from ingest.forms.result import FieldValue, FormResult

_LENGTH = struct.Struct(">I")
HEADER_BYTES = _LENGTH.size
# An answer is field values and notes: a few kilobytes. More is a broken worker.
MAX_ANSWER_BYTES = 16 * 1024 * 1024


class WireError(Exception):
    """The other side sent something that is not a frame, or hung up."""


def frame(payload: bytes) -> bytes:
    """`payload` with its length in front."""
    return _LENGTH.pack(len(payload)) + payload


def frame_length(header: bytes) -> int:
    """The payload length announced by the first HEADER_BYTES of a frame."""
    return int(_LENGTH.unpack(header)[0])


def read_frame(stream: BinaryIO, limit: int | None = None) -> bytes:
    """One frame's payload from a blocking stream; WireError on EOF."""
    header = _read_exactly(stream, HEADER_BYTES)
    length = frame_length(header)
    if limit is not None and length > limit:
        raise WireError(f"frame of {length} bytes is over {limit}")
    return _read_exactly(stream, length)


def _read_exactly(stream: BinaryIO, count: int) -> bytes:
    parts, left = [], count
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise WireError("the other side hung up")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def decode(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError as exc:
        raise WireError("not JSON") from exc


def result_to_json(result: FormResult | None) -> dict[str, Any] | None:
    """A FormResult as plain JSON values."""
    if result is None:
        return None
    return {
        "kind": result.kind,
        "language": result.language,
        "fields": [
            [f.key, f.value, f.source, f.origin] for f in result.fields.values()
        ],
        "flags": list(result.flags),
        "notes": list(result.notes),
        "limit": result.limit,
    }


def result_from_json(value: Any) -> FormResult | None:
    """The FormResult `result_to_json` made; WireError when it is not one."""
    if value is None:
        return None
    try:
        fields = {
            str(key): FieldValue(str(key), str(text), str(source), str(origin))
            for key, text, source, origin in value["fields"]
        }
        language = value["language"]
        return FormResult(
            kind=str(value["kind"]),
            language=None if language is None else str(language),
            fields=MappingProxyType(fields),
            flags=tuple(str(flag) for flag in value["flags"]),
            notes=tuple(str(note) for note in value["notes"]),
            limit=None if value.get("limit") is None else str(value["limit"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError("not a form result") from exc
