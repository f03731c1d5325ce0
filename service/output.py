"""Printing for the CLI: stable JSON, plain tables, private files.

Whatever a complaint brought in (a subject, a name, a body) is shown with its
control characters as escapes: ESC or CSI (U+009B) printed as they are would
let a mail drive the coordinator's terminal, and a newline in a name would
print a line that is not there. See `printable`.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# C0 and DEL, C1, and the format characters that reorder or hide text (bidi
# overrides and isolates, zero-width ones, the BOM, the line separators).
_OTHERS = (
    r"\x7f-\x9f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e"
    r"\u2060-\u206f\ufeff\ufff9-\ufffb"
)
_CONTROL = re.compile(rf"[\x00-\x1f{_OTHERS}]")
_CONTROL_NOT_NEWLINE = re.compile(rf"[\x00-\x09\x0b-\x1f{_OTHERS}]")
# The same outside C0 (which json escapes already), for JSON text.
_JSON_UNSAFE = re.compile(rf"[{_OTHERS}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control character shown as an escape (ESC as \\x1b,
    CSI as \\x9b, a newline as \\n unless `keep_newlines`)."""
    pattern = _CONTROL_NOT_NEWLINE if keep_newlines else _CONTROL
    return pattern.sub(_escape, text)


def printable_tree(value: Any) -> Any:
    """`value` with `printable` applied to every string in it (dicts, lists)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {key: printable_tree(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [printable_tree(item) for item in value]
    return value


def print_json(value: Any) -> None:
    """Indented JSON; C1 and format characters as \\u escapes too (json
    escapes only C0), so the text is safe on a terminal and still the same
    JSON to a program."""
    text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text))
    sys.stdout.write("\n")


def write_private(target: Path, data: bytes) -> None:
    """Write `data` to `target` readable by the service's user only (0600),
    whatever the umask; replaced atomically, so a reader never sees half.

    Raises OSError as `open` would.
    """
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Left-aligned columns sized to their content; '(none)' when empty."""
    if not rows:
        print("(none)")
        return
    cells = [[str(h) for h in headers]] + [
        ["" if v is None else printable(str(v)) for v in row] for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))
