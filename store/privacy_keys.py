"""The installation's pseudonym secret and the keyed hashes made with it.

Erasure keeps no personal data, yet two things must still be recognised
afterwards: an erased mail arriving again from the mailbox (intake and
`reconcile` must not bring it back) and a member with more than one
complaint (the yearly report). Both are kept as HMAC-SHA256 with a random
secret generated once per installation and stored in `service_state`: the
hash cannot be reversed or confirmed by guessing without the store itself.

A store without the secret has erased nothing, so readers (`known_secret`)
never create it; only erasure does (`secret`).

In an encrypted store the secret is sealed like the national numbers: beside
it in clear, a pseudonym would give an erased member's national number back
to whoever holds a copy of the database (there are only some 40 million valid
ones to try). `privacy rotate-key` seals it anew (`reseal_secret`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.orm import Session

from store.sealed import key_of_stored, open_text, seal_text
from store.service_state import get_state, put_state, put_state_once

SECRET_KEY = "privacy:pseudonym_secret"
ERASED_PREFIX = "erased:"


def known_secret(session: Session) -> bytes | None:
    """The secret, or None when nothing was ever erased."""
    value = get_state(session, SECRET_KEY)
    if value is None:
        return None
    opened = open_text(session.get_bind().dialect, value["secret"])
    assert opened is not None
    return bytes.fromhex(opened)


def secret(session: Session) -> bytes:
    """The secret, generated and stored the first time (two processes that
    race keep the one written first)."""
    found = known_secret(session)
    if found is not None:
        return found
    put_state_once(session, SECRET_KEY, _stored(session, secrets.token_hex(32)))
    stored = known_secret(session)
    assert stored is not None
    return stored


def _stored(session: Session, secret_hex: str) -> dict[str, str | None]:
    return {"secret": seal_text(session.get_bind().dialect, secret_hex)}


def secret_is_stale(session: Session, newest_key: str | None) -> bool:
    """Whether the stored secret is not sealed under `newest_key` (None: in
    clear); False when there is none."""
    value = get_state(session, SECRET_KEY)
    return value is not None and key_of_stored(value["secret"]) != newest_key


def reseal_secret(session: Session, newest_key: str) -> bool:
    """Seal the secret anew under the installed keyring; whether it changed."""
    if not secret_is_stale(session, newest_key):
        return False
    found = known_secret(session)
    assert found is not None
    put_state(session, SECRET_KEY, _stored(session, found.hex()))
    return True


def keyed(key: bytes, text: str) -> str:
    """HMAC-SHA256 of `text` under `key`, as 64 hex digits."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def erased_key(key: bytes, dedupe_key: str) -> str:
    """The dedupe key an erased message keeps in place of its own."""
    return ERASED_PREFIX + keyed(key, dedupe_key)
