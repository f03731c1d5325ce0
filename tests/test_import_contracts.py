"""The import rules hold by construction: scripts/lint-imports checks them.

The project itself keeps every contract; a package that breaks one fails the
check; a contract over a package that does not exist yet (web) is skipped
until it does, and then applies.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import textwrap
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def lint() -> ModuleType:
    path = ROOT / "scripts" / "lint-imports"
    loader = importlib.machinery.SourceFileLoader("lint_imports", str(path))
    spec = importlib.util.spec_from_loader("lint_imports", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def project(root: Path, packages: dict[str, str]) -> Path:
    """A tiny project: the real contracts, and `packages` (module -> source)."""
    root.mkdir()
    (root / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    for name, source in packages.items():
        *package, module = name.split(".")
        folder = root.joinpath(*package, module if not package else "")
        folder.mkdir(parents=True, exist_ok=True)
        file = folder / ("__init__.py" if not package else f"{module}.py")
        file.write_text(textwrap.dedent(source))
    return root


def web_contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["id"] == "web")


BASE = {
    "config": "",
    "store": "import config\n",
    "mailconn": "import config\n",
    "ingest": "import store\nimport mailconn\n",
    "responder": "import store\nimport mailconn\n",
    "service": "import ingest\nimport responder\n",
    "ingest.parse": "",
    # What the web contract names must be there to be checked.
    **{name: "" for name in web_contract()["forbidden_modules"] if "." in name},
}


def test_the_project_keeps_every_contract(lint: ModuleType) -> None:
    assert lint.check() == 0


@pytest.mark.parametrize(
    "package, source",
    [
        ("store", "import ingest\n"),
        ("mailconn", "import store\n"),
        ("ingest", "import responder\n"),
        ("responder", "import service\n"),
    ],
)
def test_a_broken_rule_fails_the_check(
    lint: ModuleType, tmp_path: Path, package: str, source: str
) -> None:
    packages = dict(BASE)
    packages[package] += source
    assert lint.check(project(tmp_path / "p", packages)) != 0


def test_the_web_contract_waits_for_web_then_applies(
    lint: ModuleType, tmp_path: Path
) -> None:
    without = project(tmp_path / "without", BASE)
    assert lint.check(without) == 0
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    text = lint.ini(config["tool"]["importlinter"], without)
    assert "contract:ground]" in text and "contract:web]" not in text
    readers = "import store, responder, config\nfrom ingest import parse\n"
    assert lint.check(project(tmp_path / "allowed", {**BASE, "web": readers})) == 0
    for n, bad in enumerate(("import service\n", "from ingest import imap_source\n")):
        sources = {**BASE, "web": bad}
        assert lint.check(project(tmp_path / f"with{n}", sources)) != 0
