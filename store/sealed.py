"""Column types whose values are sealed when the engine has a keyring.

A sealed value starts with "kc1$" (bytes b"kc1$"), then the sealed bytes
(store/crypto.py; base64 in text columns). A value in clear is stored as
given, except that one which itself starts with "kc0$" or "kc1$" gets "kc0$"
in front, so no mail can pass for a sealed value. Values stored before a key
was configured stay readable; `klachten privacy rotate-key` seals them.

The SQLite blob path (store/blobs.py) writes bytes past the column type: it
calls `seal_bytes` itself.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import LargeBinary, Text, TypeDecorator

from store.crypto import KeyProblem, keyring_of

SEALED = "kc1$"
ESCAPED = "kc0$"
_SEALED_B = SEALED.encode()
_ESCAPED_B = ESCAPED.encode()
_MARKERS = (SEALED, ESCAPED)
_MARKERS_B = (_SEALED_B, _ESCAPED_B)
_NO_KEY = "the store is encrypted: [privacy] key_file is needed to read it"


def seal_bytes(dialect: Any, data: bytes | None) -> bytes | None:
    if data is None:
        return None
    keyring = keyring_of(dialect)
    if keyring is not None:
        return _SEALED_B + keyring.seal(data)
    if data[:4] in _MARKERS_B:
        return _ESCAPED_B + data
    return data


def open_bytes(dialect: Any, stored: Any) -> bytes | None:
    if stored is None:
        return None
    head = bytes(stored[:4])
    if head == _SEALED_B:
        keyring = keyring_of(dialect)
        if keyring is None:
            raise KeyProblem(_NO_KEY)
        return keyring.open(memoryview(stored)[4:])
    if head == _ESCAPED_B:
        return bytes(stored[4:])
    return bytes(stored)


def seal_text(dialect: Any, text: str | None) -> str | None:
    if text is None:
        return None
    keyring = keyring_of(dialect)
    if keyring is not None:
        # NUL would be dropped on the way to the database (store/nul.py).
        plain = text.replace("\x00", "").encode("utf-8")
        return SEALED + base64.b64encode(keyring.seal(plain)).decode("ascii")
    if text.startswith(_MARKERS):
        return ESCAPED + text
    return text


def open_text(dialect: Any, stored: str | None) -> str | None:
    if stored is None:
        return None
    if stored.startswith(SEALED):
        keyring = keyring_of(dialect)
        if keyring is None:
            raise KeyProblem(_NO_KEY)
        return keyring.open(base64.b64decode(stored[4:])).decode("utf-8")
    if stored.startswith(ESCAPED):
        return stored[4:]
    return stored


def key_of_stored(stored: Any) -> str | None:
    """The key id a stored value is sealed under; None for a value in clear."""
    if stored is None:
        return None
    if isinstance(stored, str):
        if not stored.startswith(SEALED):
            return None
        return base64.b64decode(stored[4:12]).hex()[:8]
    if bytes(stored[:4]) != _SEALED_B:
        return None
    return bytes(stored[4:8]).hex()


class SealedText(TypeDecorator[str]):
    """Text, sealed when the engine has a keyring.

    `length` is the limit of the value in clear (store.member clips to it);
    the column itself is TEXT, which a sealed value needs.
    """

    impl = Text
    cache_ok = True

    def __init__(self, length: int | None = None) -> None:
        super().__init__()
        self.length = length

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return seal_text(dialect, value)

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        return open_text(dialect, value)


class SealedBytes(TypeDecorator[bytes]):
    """Bytes (raw mail, attachments), sealed when the engine has a keyring."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Any) -> bytes | None:
        return seal_bytes(dialect, value)

    def process_result_value(self, value: Any, dialect: Any) -> bytes | None:
        return open_bytes(dialect, value)
