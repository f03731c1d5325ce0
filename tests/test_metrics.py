"""Prometheus metrics: the listener setting, and the endpoint of a real daemon."""

from __future__ import annotations

import re
import urllib.request

import pytest

from config import ConfigError
from service.metrics import Listen, parse_listen
from tests.conftest import base_sections, write_config
from tests.daemonproc import DaemonProcess, complaint, daemon_sections
from tests.servers import free_port, wait_until


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", None),
        ("127.0.0.1:9464", Listen("127.0.0.1", 9464)),
        ("localhost:9000", Listen("localhost", 9000)),
        ("[::1]:9464", Listen("::1", 9464)),
    ],
)
def test_listen_values(value, expected) -> None:
    assert parse_listen(value) == expected


@pytest.mark.parametrize("value", ["0.0.0.0:9464", "10.0.0.1:9464", "127.0.0.1:x"])
def test_listen_refuses_anything_but_loopback(value) -> None:
    with pytest.raises(ConfigError, match=r"metrics\.listen"):
        parse_listen(value)


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


def _value(text: str, name: str) -> float | None:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def test_daemon_serves_the_counters(imap, smtp_server, sqlite_url, tmp_path) -> None:
    port = free_port()
    sections = base_sections(sqlite_url)
    for name, values in daemon_sections(imap, smtp_server).items():
        sections.setdefault(name, {}).update(values)
    sections["metrics"] = {"listen": f"127.0.0.1:{port}"}
    config = write_config(tmp_path / "metrics.toml", sections)
    daemon = DaemonProcess(config, tmp_path / "daemon.log")
    try:
        daemon.wait_for_event("service.ready", timeout=15)
        imap.append(complaint())
        smtp_server.wait_for(1, timeout=30)  # a loaded 2-core machine
        wanted = 'klachten_acknowledgements{status="sent"}'
        wait_until(lambda: _value(_scrape(port), wanted) == 1.0, 10, "ack gauge")
        text = _scrape(port)
        assert _value(text, 'klachten_messages_total{class="complaint"}') == 1.0
        assert _value(text, "klachten_cases_registered_total") == 1.0
        assert _value(text, "klachten_imap_reconnects_total") == 1.0
        assert _value(text, "klachten_outbox_sent_total") == 1.0
        assert _value(text, "klachten_message_processing_seconds_count") == 1.0
        assert _value(text, "klachten_open_cases") == 1.0
        assert _value(text, "klachten_outbox_backlog") == 0.0
        assert _value(text, "klachten_last_successful_poll_timestamp_seconds") > 0
        assert daemon.stop()[0] == 0
    finally:
        daemon.kill()
