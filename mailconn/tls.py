"""The client TLS context of every connection to a mail server."""

from __future__ import annotations

import ssl


def tls_context(verify: bool, ca_file: str) -> ssl.SSLContext:
    """A client TLS context: verification on unless the operator turned it
    off; `ca_file` adds a private certificate authority."""
    context = ssl.create_default_context(cafile=ca_file or None)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
