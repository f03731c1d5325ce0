"""The benchmarks run with tiny sizes, so they cannot rot (CI's slow stage).

Each runs as its own process, as a person would run it, and must print its
measurement lines. No timing is asserted: figures belong in bench/README.md.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import unavailable
from tests.servers.dovecot import dovecot_available

REPO = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^[a-z0-9_.]+ \S+( \S+)?$")

pytestmark = pytest.mark.slow


def bench(module: str, *args: str) -> dict[str, str]:
    """Run `python -m bench.<module> ARGS`; its measurements by name."""
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines and all(LINE.match(line) for line in lines), done.stdout
    return {line.split()[0]: line.split()[1] for line in lines}


def needs_servers() -> None:
    reason = dovecot_available()
    if reason:
        unavailable(reason)


def test_backlog_registers_and_acknowledges_every_complaint() -> None:
    needs_servers()
    figures = bench("bench_backlog", "--n", "20")
    assert figures["backlog.sqlite.cases"] == "20"
    assert float(figures["backlog.sqlite.rate"]) > 0
    assert float(figures["backlog.sqlite.ratio_to_bare_parse"]) > 1


def test_delivery_sends_every_acknowledgement() -> None:
    figures = bench("bench_delivery", "--n", "20")
    assert figures["delivery.sqlite.sent"] == "20"
    assert figures["delivery.sqlite.server_received"] == "20"
    assert float(figures["delivery.sqlite.cpu_per_mail"]) > 0


def test_latency_measures_each_complaint() -> None:
    needs_servers()
    figures = bench("bench_latency", "--n", "2", "--outbox-interval", "1")
    assert figures["latency.sqlite.n"] == "2"
    assert float(figures["latency.sqlite.p95"]) >= float(
        figures["latency.sqlite.median"]
    )


def test_memory_of_a_small_backlog() -> None:
    needs_servers()
    figures = bench("bench_memory", "--only", "b", "--n", "20")
    assert figures["memory.sqlite.backlog.acks_after_one_run"] == "20"
    assert float(figures["memory.sqlite.backlog.peak_rss"]) > float(
        figures["memory.baseline_help.peak_rss"]
    )


def test_store_scale_finds_overdue_cases() -> None:
    figures = bench("bench_store_scale", "--n", "3000", "--repeat", "1")
    assert int(figures["scale.sqlite.overdue"]) > 0
    assert int(figures["scale.sqlite.open_cases"]) > int(
        figures["scale.sqlite.overdue"]
    )


def test_search_finds_each_kind_of_query() -> None:
    figures = bench("bench_search", "--n", "300", "--repeat", "1")
    for label in ("name", "email", "insz", "phone", "number"):
        assert figures[f"found.search.{label}"] == "1", label
        assert figures[f"found.page.q.{label}"] == "1", label
    assert figures["found.search.miss"] == "0"
    assert float(figures["overview.p95"]) > 0


def test_startup_times_help() -> None:
    figures = bench("bench_startup", "--n", "2")
    assert float(figures["startup.help_median"]) > 0
