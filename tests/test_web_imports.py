"""web/ imports store, config, responder and the pure form readers of ingest
only: never service/ (the composition root), never the mail sources or the
intake loop. Checked on the source, so a lazy import inside a function counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[1] / "web"
# ingest.hand_registration: the steps of a registration by hand, which the
# command line takes too; it reads scans with the form readers, never mail.
ALLOWED = (
    "web",
    "store",
    "config",
    "responder",
    "ingest.forms",
    "ingest.hand_registration",
)
FIRST_PARTY = ("web", "store", "config", "responder", "ingest", "service")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_web_imports_only_what_it_may() -> None:
    wrong = {
        f"{path.name}: {name}"
        for path in WEB.rglob("*.py")
        for name in imported(path)
        if name.split(".")[0] in FIRST_PARTY
        and not any(name == a or name.startswith(a + ".") for a in ALLOWED)
    }
    assert not wrong, sorted(wrong)


def test_nothing_but_the_composition_root_imports_web() -> None:
    root = WEB.parent
    for package in ("store", "config", "ingest", "responder"):
        for path in (root / package).rglob("*.py"):
            assert not any(
                n == "web" or n.startswith("web.") for n in imported(path)
            ), path


def test_the_check_can_fail(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("def f():\n    from service.delivery import deliver_pending\n")
    assert "service.delivery" in imported(sample)
