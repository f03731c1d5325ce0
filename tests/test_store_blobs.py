"""store/blobs.py: large blobs go in whole, in order, and leave no copy behind."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from store import blobs
from store.db import transaction
from store.models import Attachment, Message

REPO = Path(__file__).resolve().parents[1]


def _message(n: int, raw: bytes) -> dict[str, Any]:
    return {
        "dedupe_key": f"mid:{n}@example.be",
        "message_id": f"{n}@example.be",
        "sha256": f"{n:064d}",
        "source": "imap",
        "received_at": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        "class": "complaint",
        "reason": "test",
        "size": len(raw),
        "raw": raw,
        "raw_complete": True,
        "attempts": 0,
        "created_at": datetime(2026, 3, 2, 9, 31, tzinfo=UTC),
    }


def _attachment(message_id: int, n: int, data: bytes) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "filename": f"file-{n}.bin",
        "content_type": "application/octet-stream",
        "size": len(data),
        "sha256": f"{n:064d}",
        "data": data,
        "flags": ["x"],
    }


def test_rows_go_in_whole_and_in_order(sessions) -> None:
    large = os.urandom(blobs.LARGE + 1234)
    raws = [b"small one", large, b"small two", b"small three", large[::-1]]
    rows = [_message(n, raw) for n, raw in enumerate(raws)]
    with transaction(sessions) as session:
        table = Message.__table__
        ids = blobs.insert_rows(
            session, table, rows, blob="raw", key=table.c.dedupe_key
        )
        datas = [b"tiny", large, large[:-7]]
        attachments = [
            _attachment(ids["mid:1@example.be"], n, d) for n, d in enumerate(datas)
        ]
        assert (
            blobs.insert_rows(session, Attachment.__table__, attachments, blob="data")
            == {}
        )
    with transaction(sessions) as session:
        stored = session.execute(
            select(Message.dedupe_key, Message.raw).order_by(Message.id)
        ).all()
        files = session.execute(
            select(Attachment.filename, Attachment.data, Attachment.flags).order_by(
                Attachment.id
            )
        ).all()
    assert [key for key, _ in stored] == [row["dedupe_key"] for row in rows]
    assert [raw for _, raw in stored] == raws
    assert sorted(ids.values()) == [ids[row["dedupe_key"]] for row in rows]
    assert [(f.filename, f.data, f.flags) for f in files] == [
        (f"file-{n}.bin", d, ["x"]) for n, d in enumerate(datas)
    ]


def test_a_rollback_leaves_no_row(sessions) -> None:
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        rows = [_message(1, os.urandom(blobs.LARGE))]
        blobs.insert_rows(session, Message.__table__, rows, blob="raw")
        raise RuntimeError("after the blob was written")
    with transaction(sessions) as session:
        assert session.execute(select(Message.id)).all() == []


def test_a_failed_blob_write_is_a_database_error(sqlite_url) -> None:
    from store.db import make_engine, session_factory

    engine = make_engine(sqlite_url)
    with (
        pytest.raises(OperationalError) as caught,
        transaction(session_factory(engine)) as session,
    ):
        blobs.write_blob(session, "messages", "raw", 12345, b"no such row")
    engine.dispose()
    assert caught.value.orig.sqlite_errorcode is not None


def test_no_copy_of_a_large_blob_stays_in_memory(sqlite_url) -> None:
    # A fresh interpreter: RSS after the commit, against before the INSERT.
    # Bound as a parameter, the 40 MB stayed in the statement cache.
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        sys.path.insert(0, {str(REPO / "tests")!r})
        from test_store_blobs import _message
        from store import blobs
        from store.db import make_engine, session_factory, transaction
        from store.models import Message

        def rss():
            for line in open("/proc/self/status"):
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) * 1024

        sessions = session_factory(make_engine({sqlite_url!r}))
        raw = os.urandom(40 * 1024 * 1024)
        with transaction(sessions) as session:
            session.execute(Message.__table__.select().limit(1))
        before = rss()
        with transaction(sessions) as session:
            rows = [_message(1, raw)]
            blobs.insert_rows(session, Message.__table__, rows, blob="raw")
        print(rss() - before)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert int(out.stdout) < 8 * 1024 * 1024
