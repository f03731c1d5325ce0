"""`klachten web`: the coordinator workspace, served by uvicorn.

Wiring only: the settings, outbox delivery after an answer, uvicorn. The
workspace itself lives in web/.
"""

from __future__ import annotations

import argparse

from service.app import App
from store.errors import UserError


def web(app: App, args: argparse.Namespace) -> int:
    """Serve until SIGTERM or Ctrl-C."""
    import uvicorn

    from web.app import create_app

    app.require_schema()
    host, port = split_listen(args.listen or app.settings.web.listen)
    workspace = create_app(app.settings, deliver=app.delivery.deliver_pending)
    uvicorn.run(
        workspace,
        host=host,
        port=port,
        # The peer address decides whether the sign-on header counts: never
        # replace it with what a client writes in X-Forwarded-For. The
        # workspace reads that header itself, and only from trusted proxies
        # (web.auth.client_address).
        proxy_headers=False,
        server_header=False,
        log_level=app.settings.service.log_level.lower(),
        access_log=False,  # URLs carry searches: names, national numbers
        timeout_graceful_shutdown=10,
    )
    return 0


def split_listen(listen: str) -> tuple[str, int]:
    """HOST:PORT (IPv6 in brackets) as a host and a port number."""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"listen {listen!r} is not HOST:PORT")
    return host.strip("[]"), int(port)
