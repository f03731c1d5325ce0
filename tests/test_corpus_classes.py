"""The whole raw corpus through parse_message and classify, against its MANIFEST.

The corpus categories and our classes differ on purpose in a few places; each
difference is listed here with its reason, never skipped wholesale.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from ingest.classify import (
    ClassifierSettings,
    Verdict,
    classify,
    number_pattern_from_format,
)
from ingest.parse import UnparseableMessage, parse_message
from store.vocabulary import MessageClass
from tests.conftest import CORPUS

SETTINGS = ClassifierSettings(
    number_pattern=number_pattern_from_format("KL-{year}-{seq:05d}")
)

# Corpus category -> the classes we accept for it.
EXPECTED = {
    "autoreply": {"auto_reply"},
    # The 3 ARF abuse reports are multipart/report too; we count them as bounces.
    "bounce": {"bounce"},
    # Precedence: bulk/junk without List-* headers is an auto_reply by the issue's
    # rule (two files: imaptools bad_date_header, mailparser mail_test_16).
    "list": {"list", "auto_reply"},
    # The html/ files are newsletters and spam without List-* or Precedence
    # headers, so nothing marks them as machine mail: they are complaints (a
    # person sorts them out), and the test says so rather than hiding them.
    "html": {"complaint"},
    "plain": {"complaint"},
    "charsets": {"complaint"},
    "attachments": {"complaint"},
}


class NoCases:
    def case_for_message_ids(self, message_ids: Sequence[str]) -> str | None:
        return None

    def case_exists(self, number: str) -> bool:
        return False

    def member_email(self, number: str) -> str | None:
        return None


@dataclass(frozen=True)
class Row:
    path: str
    category: str
    verdict: Verdict


def _manifest() -> list[dict[str, str]]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"raw e-mail corpus not found at {CORPUS}")
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _verdict(raw: bytes) -> Verdict:
    try:
        return classify(parse_message(raw), SETTINGS, NoCases())
    except UnparseableMessage as exc:
        return Verdict(klass=MessageClass.REJECTED, reason=exc.reason)


@pytest.fixture(scope="module")
def results() -> list[Row]:
    rows = _manifest()
    payloads = [(r, (CORPUS / r["path"]).read_bytes()) for r in rows]
    started = time.perf_counter()
    out = [Row(r["path"], r["category"], _verdict(raw)) for r, raw in payloads]
    elapsed = time.perf_counter() - started
    counts = Counter((row.category, row.verdict.klass) for row in out)
    print(f"\n{len(out)} messages in {elapsed:.2f} s ({len(out) / elapsed:.0f}/s)")
    for (category, klass), n in sorted(counts.items()):
        print(f"  {category:12} -> {klass:10} {n}")
    return out


def test_every_file_is_handled(results: list[Row]) -> None:
    assert len(results) == len(_manifest()) > 250


@pytest.mark.parametrize("category", sorted(EXPECTED))
def test_category_gets_expected_class(results: list[Row], category: str) -> None:
    rows = [r for r in results if r.category == category]
    assert rows, f"no {category} files in the corpus"
    wrong = [(r.path, r.verdict.klass, r.verdict.reason) for r in rows]
    wrong = [w for w in wrong if w[1] not in EXPECTED[category]]
    assert wrong == []


def test_no_autoreply_or_bounce_is_a_complaint(results: list[Row]) -> None:
    machine = [r for r in results if r.category in ("autoreply", "bounce")]
    assert len(machine) == 122
    assert [r.path for r in machine if r.verdict.klass == "complaint"] == []


def test_malformed_files_never_crash(results: list[Row]) -> None:
    malformed = {r.path: r.verdict for r in results if r.category == "malformed"}
    assert len(malformed) == 39
    # Only the 0-byte file and the 3-byte "22" are not messages at all.
    unparseable = sorted(p for p, v in malformed.items() if v.klass == "rejected")
    assert unparseable == [
        "malformed/sisimai--mailbox__size-0.eml",
        "malformed/sisimai--mailbox__size-2.eml",
    ]
    # The CR-only twins of real bounces are still recognised as bounces.
    for name in ("lhost-dragonfly-01", "rhost-cloudflare-01", "rhost-outlook-01"):
        assert malformed[f"malformed/sisimai--mac__{name}.eml"].klass == "bounce"


def test_every_reason_is_filled(results: list[Row]) -> None:
    assert all(r.verdict.reason for r in results)
