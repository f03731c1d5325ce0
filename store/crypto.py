"""Encryption at rest: the keys of `[privacy] key_file` and what they do.

A key file holds one or more keys, newest first, one a line: 32 random bytes
in base64 (`klachten privacy new-key` prints one); blank lines and lines
starting with "#" are left aside. A value is sealed with AES-256-GCM under
the newest key and carries the id of that key (four bytes of a hash of it),
so it opens under any key the file still holds: a key is rotated by putting
a new one first, then running `klachten privacy rotate-key`, which seals
every value again under it; the old key can go once that is done.

Search cannot look into sealed values: national numbers, phone numbers and
e-mail addresses are indexed as keyed hashes instead (`Keyring.tokens`, an
HMAC-SHA256 under a key derived from each key of the file), and a query
that looks like one is hashed the same way under every key the file holds.

The keyring is installed on an engine at wiring time (`install`) and found
again from the engine's dialect by the column types (store/sealed.py): no
module-level state. An engine without one stores everything in clear.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from store.errors import UserError

KEY_BYTES = 32
NONCE_BYTES = 12
ID_BYTES = 4
# How often a running process looks whether its key file changed (seconds).
RELOAD_EVERY = 5.0
_ATTRIBUTE = "klachten_keyring"


class KeyProblem(UserError):
    """A key file that cannot be used, or a value no key here opens. Exit 2."""


def new_key() -> str:
    """A fresh key as a key file line."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"klachten key id\0" + key).hexdigest()[: ID_BYTES * 2]


def parse_keys(text: str, where: str) -> list[bytes]:
    """The keys of a key file's text, newest first; KeyProblem names `where`."""
    keys = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            key = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            raise KeyProblem(f"key file {where}: line {number} is not base64") from None
        if len(key) != KEY_BYTES:
            raise KeyProblem(
                f"key file {where}: line {number} is not a {KEY_BYTES}-byte key"
            )
        keys.append(key)
    if not keys:
        raise KeyProblem(f"key file {where} holds no key")
    return keys


def read_key_file(path: Path) -> list[bytes]:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not ASCII text"
        raise KeyProblem(f"key file {path}: {reason}") from None
    return parse_keys(text, str(path))


class _Key:
    def __init__(self, key: bytes) -> None:
        self.id = key_id(key)
        self.raw_id = bytes.fromhex(self.id)
        self.aead = AESGCM(key)
        self.mac_key = hmac.new(key, b"klachten search hash", "sha256").digest()


class Keyring:
    """The keys of one key file; the newest seals, any of them opens.

    `reload` (optional) reads the file again: done when a value names a key
    this keyring lacks, and every RELOAD_EVERY seconds when the file's
    modification time changed, so a daemon seals under a key put first in
    the file while it runs.
    """

    def __init__(
        self,
        keys: list[bytes],
        *,
        reload: Callable[[], list[bytes]] | None = None,
        changed: Callable[[], object] | None = None,
    ) -> None:
        self._reload = reload
        self._changed = changed
        self._seen = changed() if changed else None
        self._checked = time.monotonic()
        self._use(keys)

    @classmethod
    def from_file(cls, path: Path) -> Keyring:
        def stamp() -> object:
            try:
                info = os.stat(path)
            except OSError:
                return None
            return (info.st_mtime_ns, info.st_size, info.st_ino)

        keys = read_key_file(path)
        return cls(keys, reload=lambda: read_key_file(path), changed=stamp)

    def _use(self, keys: list[bytes]) -> None:
        self.keys = [_Key(k) for k in keys]
        self.by_id = {k.raw_id: k for k in self.keys}

    @property
    def newest(self) -> _Key:
        now = time.monotonic()
        if self._changed is not None and now - self._checked > RELOAD_EVERY:
            self._checked = now
            seen = self._changed()
            if seen != self._seen:
                self._seen = seen
                self._try_reload()
        return self.keys[0]

    @property
    def newest_id(self) -> str:
        return self.newest.id

    def _try_reload(self) -> bool:
        if self._reload is None:
            return False
        try:
            self._use(self._reload())
        except KeyProblem:
            return False  # a file being edited: keep the keys we have
        return True

    def seal(self, data: bytes) -> bytes:
        """key id, nonce, ciphertext and tag."""
        key = self.newest
        nonce = os.urandom(NONCE_BYTES)
        return key.raw_id + nonce + key.aead.encrypt(nonce, data, None)

    def open(self, sealed: bytes | memoryview) -> bytes:
        view = memoryview(sealed)
        raw_id = bytes(view[:ID_BYTES])
        key = self.by_id.get(raw_id)
        if key is None and self._try_reload():
            key = self.by_id.get(raw_id)
        if key is None:
            raise KeyProblem(
                f"the store holds data sealed under key {raw_id.hex()}, which the"
                " key file does not hold ([privacy] key_file)"
            )
        nonce = view[ID_BYTES : ID_BYTES + NONCE_BYTES]
        try:
            return key.aead.decrypt(nonce, view[ID_BYTES + NONCE_BYTES :], None)
        except InvalidTag:
            raise KeyProblem(
                f"a value sealed under key {key.id} does not authenticate:"
                " the store was altered"
            ) from None

    def tokens(self, kind: str, value: str) -> list[str]:
        """The search hashes of `value` under every key, newest first."""
        return [_token(k, kind, value) for k in self.keys]

    def token(self, kind: str, value: str) -> str:
        return _token(self.newest, kind, value)


def _token(key: _Key, kind: str, value: str) -> str:
    digest = hmac.new(key.mac_key, f"{kind}:{value}".encode(), "sha256").hexdigest()
    return f"#{kind}{digest[:24]}"


def keyed_engine(url: str, key_file: Path | None) -> Any:
    """The store's engine with the keys of `key_file` installed: what the
    daemon, the command line and the workspace each open."""
    from store.db import make_engine

    engine = make_engine(url)
    install_key_file(engine, key_file)
    return engine


def install_key_file(engine: Any, path: Path | None) -> None:
    """Install the keys of `path` on `engine` (None: the store stays in clear)."""
    install(engine, Keyring.from_file(path) if path is not None else None)


def install(engine: Any, keyring: Keyring | None) -> None:
    """Seal with `keyring` everything `engine` writes to sealed columns."""
    setattr(engine.dialect, _ATTRIBUTE, keyring)


def keyring_of(bind: Any) -> Keyring | None:
    """The keyring installed on the engine of `bind` (a dialect, an engine,
    a connection or a session), or None."""
    if hasattr(bind, "get_bind"):
        bind = bind.get_bind()
    dialect = getattr(bind, "dialect", bind)
    return getattr(dialect, _ATTRIBUTE, None)
