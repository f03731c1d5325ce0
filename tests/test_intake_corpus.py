"""Every corpus file through the whole pipeline into a real store.

All files go through the files source (fast); a subset of about forty,
malformed ones included, goes through the real Dovecot as well.
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from ingest.files_source import FilesSource
from service.runner import make_intake, run_once
from tests.conftest import CORPUS
from tests.intake_mail import config_for

# Corpus category -> the classes a file of it may land in (see
# tests/test_corpus_classes.py for the reasons behind each difference).
EXPECTED = {
    "autoreply": {"auto_reply"},
    "bounce": {"bounce"},
    "list": {"list", "auto_reply"},
    "html": {"complaint", "follow_up"},
    "plain": {"complaint", "follow_up"},
    "charsets": {"complaint", "follow_up"},
    "attachments": {"complaint", "follow_up"},
    "malformed": {"complaint", "follow_up", "bounce", "auto_reply", "list", "rejected"},
}


def _manifest() -> list[dict[str, str]]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"raw e-mail corpus not found at {CORPUS}")
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_every_corpus_file_lands_in_its_class(db_url, make_config, app_for) -> None:
    rows = _manifest()
    app = app_for(make_config(db_url))
    intake = make_intake(app)
    source = FilesSource([CORPUS / r["path"] for r in rows])
    keys = source.waiting()
    assert len(keys) == len(rows)
    outcomes = {}
    for batch in source.batches(keys):
        for item in batch:
            outcomes[item.key.path] = intake.handle(item)
    wrong = []
    for row in rows:
        outcome = outcomes[CORPUS / row["path"]]
        assert outcome.status not in ("failed", "quarantined"), row["path"]
        if outcome.klass not in EXPECTED[row["category"]]:
            wrong.append((row["path"], outcome.klass))
        if row["category"] in ("autoreply", "bounce"):
            assert outcome.status != "case", row["path"]
    assert wrong == []
    statuses = Counter(o.status for o in outcomes.values())
    stored = len(rows) - statuses["duplicate"]
    from store.queries import list_messages

    with app.transaction() as session:
        listed = list_messages(session, app.timezone)
    assert len(listed) == stored
    assert Counter(m["class"] for m in listed)["complaint"] == statuses["case"]
    assert {m["class"] for m in listed} <= {
        "complaint",
        "follow_up",
        "bounce",
        "auto_reply",
        "list",
        "rejected",
    }
    assert all(m["received_at"] and m["reason"] for m in listed)


def test_corpus_subset_through_dovecot(imap, sqlite_url, make_config, app_for):
    rows = _manifest()
    malformed = [r for r in rows if r["category"] == "malformed"][::2]
    others = [r for r in rows if r["category"] != "malformed"][::12]
    chosen = [r for r in malformed + others if (CORPUS / r["path"]).stat().st_size > 0]
    assert len(chosen) >= 35
    for row in chosen:
        imap.append((CORPUS / row["path"]).read_bytes())
    app = app_for(config_for(make_config, sqlite_url, imap))
    summary = run_once(app)
    assert summary.ok
    assert summary.intake.handled == len(chosen)
    assert summary.intake.failed == 0
    assert summary.intake.outcomes["quarantined"] == 0
    flags = imap.fetch_flags()
    assert len(flags) == len(chosen)
    assert all("$Klachten" in f for f in flags.values())


def test_corpus_in_batches_ends_as_one_by_one(
    db_url, make_config, app_for, sqlite_template, tmp_path
) -> None:
    """The batch path (one transaction per fetch, replies within a batch)
    gives every corpus file the outcome and case number the one-by-one path
    gives it in a store of its own."""
    import shutil

    rows = _manifest()
    paths = [CORPUS / r["path"] for r in rows]
    single = tmp_path / "one-by-one.db"
    shutil.copy(sqlite_template, single)
    results = []
    for url, batched in ((f"sqlite:///{single}", False), (db_url, True)):
        intake = make_intake(app_for(make_config(url)))
        source = FilesSource(paths)
        outcomes = {}
        for batch in source.batches(source.waiting()):
            pairs = (
                intake.handle_many(batch)
                if batched
                else [(item, intake.handle(item)) for item in batch]
            )
            for item, outcome in pairs:
                outcomes[item.key.path] = (
                    outcome.status,
                    outcome.klass,
                    outcome.case_number,
                )
        results.append(outcomes)
    assert len(results[1]) == len(rows)
    assert results[1] == results[0]
