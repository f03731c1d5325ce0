"""Where the key of encryption at rest is: `[privacy] key_file`, else the
systemd credential `privacy.key` (LoadCredential=), else nowhere (the store
is not encrypted). The keys themselves are read by the store."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from config.schema import Settings

CREDENTIAL = "privacy.key"


def key_file_path(settings: Settings, environ: Mapping[str, str]) -> Path | None:
    if settings.privacy.key_file:
        return Path(settings.privacy.key_file)
    credentials = environ.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / CREDENTIAL).is_file():
        return Path(credentials) / CREDENTIAL
    return None
