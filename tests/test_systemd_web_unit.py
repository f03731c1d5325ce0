"""The shipped unit of `klachten web`: as hardened as the daemon's, and
accepted by systemd (see tests/test_systemd_unit.py for the approach)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SYSTEMD = Path(__file__).resolve().parents[1] / "systemd"
UNIT = SYSTEMD / "klachten-web.service"
INSTALLED_BINARY = "/opt/klachten/bin/klachten"
MAX_EXPOSURE = 2.0

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed on this machine",
)


def _analyze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_security_exposure_is_at_most_two() -> None:
    result = _analyze("security", "--offline=true", "--no-pager", str(UNIT))
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    assert float(found.group(1)) <= MAX_EXPOSURE, result.stdout


def test_verify_reports_no_problems(tmp_path: Path) -> None:
    text = UNIT.read_text()
    assert f"ExecStart={INSTALLED_BINARY} " in text
    copy = tmp_path / UNIT.name
    copy.write_text(text.replace(INSTALLED_BINARY, sys.executable))
    result = _analyze("verify", str(copy))
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


def test_same_user_and_state_directory_as_the_daemon() -> None:
    daemon = set((SYSTEMD / "klachten.service").read_text().splitlines())
    web = set(UNIT.read_text().splitlines())
    for line in (
        "User=klachten",
        "Group=klachten",
        "StateDirectory=klachten",
        "ConfigurationDirectory=klachten",
    ):
        assert line in daemon and line in web, line
    assert (
        "ExecStart=/opt/klachten/bin/klachten --config /etc/klachten/klachten.toml web"
        in web
    )
