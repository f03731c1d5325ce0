"""The README's first command keeps working: the demo registers its samples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_demo_registers_four_complaints_and_sets_two_mails_aside(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), str(folder)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "intake: 6 messages (4 cases, 1 auto_reply, 1 bounce)" in out
    assert "outbox: 4 sent" in out
    assert out.count("acknowledged  ") == 4
    assert "Accusé de réception de votre plainte [KL-" in out
    assert out.count("->  language ") == 4 and "->  language fr" in out
    assert "->  language ?" not in out
    assert "Traceback" not in result.stderr
