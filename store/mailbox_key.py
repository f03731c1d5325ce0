"""The key under which the per-address limit counts an address.

Quotes, case and a `+tag` make no new mailbox: `"Target"@Example.be`,
`target+x@example.be` and `target@example.be` all reach the same person, so
they share one daily limit. Dots are left alone: only some providers ignore
them, and for the others `t.arget` is somebody else.
"""

from __future__ import annotations


def mailbox_key(address: str) -> str:
    """`address` trimmed, case-folded, quotes and a `+tag` removed."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return address.strip().casefold()
    local = local.replace('"', "").casefold()
    local = local.split("+", 1)[0] or local
    return f"{local}@{domain.casefold().rstrip('.')}"
