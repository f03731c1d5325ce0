"""NUL characters never reach a text column, on either engine.

PostgreSQL refuses a NUL in text (psycopg raises DataError), SQLite stores
it. Mail carries NULs now and then (a PDF's text layer, a broken header),
and a complaint must not go to quarantine for one: so every statement's
parameters lose their NULs on the way to the database (store/db.py installs
`without_nul` as a hook of every engine). One place, both engines, every
table; bytes (raw messages, attachments) are left as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NUL = "\x00"


def without_nul(parameters: Any) -> Any:
    """`parameters` as given to the driver, with NUL removed from every string.

    Handles one parameter set (a tuple, list or mapping) or a list of them
    (executemany). Returns the very same object when there is no NUL, so the
    common case costs one scan per string and no copy.
    """
    return _strip(parameters) if _has_nul(parameters) else parameters


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, Mapping):
        return any(_has_nul(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


def _strip(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, Mapping):
        return {key: _strip(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_strip(item) for item in value)
    return value
