"""The shipped forms are what tools/make_forms.py makes from FIELDS."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from ingest.forms.fields import FIELD_KEYS, FIELDS
from tests.formfill import ASSETS, asset

REPO = Path(__file__).resolve().parents[1]
NAMES = [
    f"klachtenformulier-{lang}.{ext}"
    for lang in ("nl", "fr")
    for ext in ("pdf", "docx")
]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("forms")
    subprocess.run(
        [sys.executable, "-m", "tools.make_forms", "--out", str(out)],
        cwd=REPO, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return out


def pdf_contents(data: bytes) -> tuple[list[str], str]:
    reader = PdfReader(BytesIO(data))
    return sorted(reader.get_fields()), reader.pages[0].extract_text()


def docx_body(data: bytes) -> bytes:
    with zipfile.ZipFile(BytesIO(data)) as zf:
        return zf.read("word/document.xml")


@pytest.mark.parametrize("name", NAMES)
def test_shipped_asset_matches_a_fresh_generation(regenerated: Path, name: str) -> None:
    # Fails when FIELDS changed and the assets were not regenerated.
    fresh = (regenerated / name).read_bytes()
    if name.endswith(".pdf"):
        assert pdf_contents(fresh) == pdf_contents(asset(name))
    else:
        assert docx_body(fresh) == docx_body(asset(name))


def test_generation_is_reproducible(regenerated: Path) -> None:
    again = regenerated.parent / "again"
    subprocess.run(
        [sys.executable, "-m", "tools.make_forms", "--out", str(again)],
        cwd=REPO, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    for name in NAMES:
        assert (again / name).read_bytes() == (regenerated / name).read_bytes()


@pytest.mark.parametrize(
    ("language", "title", "how"),
    [("nl", "Klachtenformulier", "stuur het per e-mail naar klachten@libmutov.be"),
     ("fr", "Formulaire de plainte", "envoyez-le par e-mail à klachten@libmutov.be")],
)  # fmt: skip
def test_pdf_shows_fund_title_instruction_and_every_label(
    language: str, title: str, how: str
) -> None:
    fields, text = pdf_contents(asset(f"klachtenformulier-{language}.pdf"))
    assert fields == sorted(FIELD_KEYS)
    assert "LM — Liberale Mutualiteit" in text
    assert title in text and how in text
    # Issue 17.11: members may post it to the office the procedure names.
    assert "Brabantdam 109, 9000 Gent" in " ".join(text.split())
    for field in FIELDS:
        assert f"{field.labels[language]}:" in text
    assert PdfReader(BytesIO(asset(f"klachtenformulier-{language}.pdf"))).pages[
        0
    ].mediabox.height == pytest.approx(841.89, abs=0.1)  # A4


def test_assets_folder_holds_just_the_four_forms() -> None:
    assert sorted(p.name for p in ASSETS.iterdir()) == sorted(NAMES)
