"""The installation's pseudonym secret and the keyed hashes made with it.

Erasure keeps no personal data, yet two things must still be recognised
afterwards: an erased mail arriving again from the mailbox (intake and
`reconcile` must not bring it back) and a member with more than one
complaint (the yearly report). Both are kept as HMAC-SHA256 with a random
secret generated once per installation and stored in `service_state`: the
hash cannot be reversed or confirmed by guessing without the store itself.

A store without the secret has erased nothing, so readers (`known_secret`)
never create it; only erasure does (`secret`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.orm import Session

from store.service_state import get_state, put_state_once

SECRET_KEY = "privacy:pseudonym_secret"
ERASED_PREFIX = "erased:"


def known_secret(session: Session) -> bytes | None:
    """The secret, or None when nothing was ever erased."""
    value = get_state(session, SECRET_KEY)
    return None if value is None else bytes.fromhex(value["secret"])


def secret(session: Session) -> bytes:
    """The secret, generated and stored the first time (two processes that
    race keep the one written first)."""
    found = known_secret(session)
    if found is not None:
        return found
    put_state_once(session, SECRET_KEY, {"secret": secrets.token_hex(32)})
    stored = known_secret(session)
    assert stored is not None
    return stored


def keyed(key: bytes, text: str) -> str:
    """HMAC-SHA256 of `text` under `key`, as 64 hex digits."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def erased_key(key: bytes, dedupe_key: str) -> str:
    """The dedupe key an erased message keeps in place of its own."""
    return ERASED_PREFIX + keyed(key, dedupe_key)
