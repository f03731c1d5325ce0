"""The key that signs session cookies: from a credential, else made once.

Order: `[web] secret_key_file`; `$CREDENTIALS_DIRECTORY/web.secret_key`
(systemd's LoadCredential=); a file `web-secret-key` in `$STATE_DIRECTORY`
(or beside the SQLite database), generated on first start with mode 0600.
A key that changes signs everybody out, nothing worse.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from config import ConfigError, Settings

FILENAME = "web-secret-key"
MIN_LENGTH = 32


def load_secret_key(settings: Settings, environ: Mapping[str, str]) -> str:
    """The signing key; ConfigError when none can be read or stored."""
    if settings.web.secret_key_file:
        return _read(Path(settings.web.secret_key_file))
    credentials = environ.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / "web.secret_key").is_file():
        return _read(Path(credentials) / "web.secret_key")
    directory = _state_directory(settings, environ)
    if directory is None:
        raise ConfigError(
            "config: [web] secret_key_file is needed (no state directory to keep"
            " a generated key in)"
        )
    return _read_or_create(directory / FILENAME)


def _state_directory(settings: Settings, environ: Mapping[str, str]) -> Path | None:
    if environ.get("STATE_DIRECTORY"):
        # systemd may list several, separated by colons: the first is ours.
        return Path(environ["STATE_DIRECTORY"].split(":")[0])
    url = settings.store.url
    if url.startswith("sqlite") and ":///" in url:
        database = url.split(":///", 1)[1]
        if database and database != ":memory:":
            return Path(database).resolve().parent
    return None


def _read(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(
            f"config: cannot read the web secret key {path}: {reason}"
        ) from None
    if len(text) < MIN_LENGTH:
        raise ConfigError(
            f"config: the web secret key {path} is shorter than {MIN_LENGTH} characters"
        )
    return text


def _read_or_create(path: Path) -> str:
    if path.exists():
        return _read(path)
    key = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return _read(path)
    except OSError as exc:
        raise ConfigError(
            f"config: cannot store a web secret key in {path.parent}: {exc.strerror}"
        ) from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(key + "\n")
    return key
