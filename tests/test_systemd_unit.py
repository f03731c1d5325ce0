"""The shipped systemd unit: hardened enough, and accepted by systemd.

``systemd-analyze verify`` checks that ExecStart= names an executable that
exists.  /opt/klachten/bin/klachten does not exist where the tests run, so
verify runs on a copy whose ExecStart= points at this Python interpreter;
every other line is checked as shipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "klachten.service"
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


def test_unit_has_the_settings_operations_rely_on() -> None:
    lines = set(UNIT.read_text().splitlines())
    for expected in (
        "Type=notify",
        "NotifyAccess=main",
        "ExecStart=/opt/klachten/bin/klachten --config /etc/klachten/klachten.toml run",
        "WatchdogSec=60",
        "Restart=on-failure",
        "StateDirectory=klachten",
        "ConfigurationDirectory=klachten",
        "LoadCredential=imap.password:/etc/klachten/credentials/imap.password",
        "LoadCredential=smtp.password:/etc/klachten/credentials/smtp.password",
        "Environment=PYTHONUNBUFFERED=1",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "MemoryMax=1G",
        "TasksMax=64",
    ):
        assert expected in lines, expected


def test_memory_max_leaves_room_for_the_form_workers() -> None:
    """MemoryMax holds the main process and every form worker at its cap."""
    from config.schema import IngestSettings

    found = re.search(r"^MemoryMax=(\d+)G$", UNIT.read_text(), re.MULTILINE)
    assert found, "MemoryMax= in gigabytes"
    unit_mib = int(found.group(1)) * 1024
    ingest = IngestSettings()
    workers_mib = ingest.form_workers * ingest.form_memory_mb
    main_mib = 250  # the 25 MB attachment's figure in bench/README.md
    assert workers_mib + main_mib <= unit_mib, (workers_mib, unit_mib)


BACKUP_UNIT = UNIT.with_name("klachten-backup.service")
BACKUP_TIMER = UNIT.with_name("klachten-backup.timer")


def test_backup_unit_security_exposure_is_at_most_two() -> None:
    result = _analyze("security", "--offline=true", "--no-pager", str(BACKUP_UNIT))
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    assert float(found.group(1)) <= MAX_EXPOSURE, result.stdout


def test_backup_unit_and_timer_verify(tmp_path: Path) -> None:
    text = BACKUP_UNIT.read_text()
    assert f"ExecStart={INSTALLED_BINARY} " in text
    (tmp_path / BACKUP_UNIT.name).write_text(
        text.replace(INSTALLED_BINARY, sys.executable)
    )
    shutil.copy(BACKUP_TIMER, tmp_path / BACKUP_TIMER.name)
    result = _analyze(
        "verify", str(tmp_path / BACKUP_UNIT.name), str(tmp_path / BACKUP_TIMER.name)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


def test_backup_unit_runs_as_the_service_with_its_hardening() -> None:
    """Same user, state dir, credentials and every hardening line as the daemon."""
    lines = set(BACKUP_UNIT.read_text().splitlines())
    assert "Type=oneshot" in lines
    assert (
        "ExecStart=/opt/klachten/bin/klachten --config /etc/klachten/klachten.toml "
        "backup --output /var/lib/klachten/backup/klachten.backup"
    ) in lines
    main = UNIT.read_text().splitlines()
    hardening = main[main.index("CapabilityBoundingSet=") : main.index("[Install]")]
    shared = [
        "User=klachten",
        "Group=klachten",
        *(line for line in main if line.startswith("LoadCredential=")),
        *(line for line in hardening if line and not line.startswith("#")),
    ]
    assert [line for line in shared if line not in lines] == []
    assert "StateDirectory=klachten klachten/backup" in lines
    timer = set(BACKUP_TIMER.read_text().splitlines())
    assert {"Persistent=true", "Unit=klachten-backup.service"} <= timer
    assert any(line.startswith("OnCalendar=") for line in timer)
