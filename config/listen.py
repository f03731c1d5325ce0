"""Listen addresses of the service's own listeners, checked once.

`[metrics] listen` serves counters without authentication, so only a
loopback address is allowed. The same check runs when the file is loaded,
so `check-config` refuses what `run` would refuse.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from config.errors import ConfigError


@dataclass(frozen=True)
class Listen:
    host: str
    port: int


def parse_listen(value: str) -> Listen | None:
    """ "127.0.0.1:9464" -> Listen; "" -> None. Only loopback addresses."""
    if not value:
        return None
    host, _, port = value.rpartition(":")
    host = host.strip("[]")
    try:
        number = int(port)
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        raise ConfigError(f"metrics.listen: not HOST:PORT: {value!r}") from None
    if not loopback or not 0 < number < 65536:
        raise ConfigError(f"metrics.listen: must be a loopback HOST:PORT: {value!r}")
    return Listen(host, number)
