"""Form workers: warm, bounded in CPU, wall time and memory, and replaced.

Real worker processes read real files (the shipped form, a PDF whose pages
share one 50 MB drawing, a DOCX whose zip headers lie); only the limits are
made small so the tests are quick.
"""

from __future__ import annotations

import itertools
import resource
import time
import zipfile
from collections.abc import Iterator
from io import BytesIO

import pytest

from ingest.forms import read_attachment
from ingest.forms.limits import MIB, FormLimits
from ingest.forms.pool import FormPool, FormsInterrupted, ReadSettings, Task
from ingest.forms.unzip import TooMuchData, inflate_members
from tests.badfiles import lying_docx, slow_pdf
from tests.formfill import asset, fill_pdf

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
VALUES = {"name": "Jan Peeters", "postcode": "9000", "email": "jan@example.be"}


@pytest.fixture
def pool() -> Iterator[FormPool]:
    found = FormPool()
    yield found
    found.close()


@pytest.fixture(scope="module")
def slow() -> bytes:
    return slow_pdf()


def settings(**limits: float) -> ReadSettings:
    return ReadSettings(FormLimits(**limits))  # type: ignore[arg-type]


class Beats:
    """A heartbeat that notes when it was called."""

    def __init__(self, stop_after: float | None = None) -> None:
        self.times: list[float] = []
        self.stop_after = stop_after
        self.started = time.monotonic()

    def __call__(self) -> bool:
        self.times.append(time.monotonic())
        return self.stop_after is not None and (
            self.times[-1] - self.started >= self.stop_after
        )

    @property
    def longest_gap(self) -> float:
        marks = [self.started, *self.times]
        return max(b - a for a, b in itertools.pairwise(marks))


def test_a_form_is_read_as_in_process_and_the_worker_stays_warm(pool) -> None:
    filled = fill_pdf(asset("klachtenformulier-nl.pdf"), VALUES)
    expected = read_attachment("klacht.pdf", PDF, filled)
    for _ in range(3):
        found = pool.read([Task(0, "klacht.pdf", PDF, filled)], settings())
        assert found == {0: expected}
    assert pool.started == 1 and pool.idle == 1


def test_not_a_form_comes_back_as_none(pool) -> None:
    letter = b"%PDF-1.4\n" + bytes(100)  # broken: flagged, not an exception
    found = pool.read([Task(0, "brief.pdf", PDF, letter)], settings())
    assert found[0] is not None and "attachment_corrupt" in found[0].flags


def test_slow_pdf_hits_the_wall_limit_and_the_worker_is_replaced(pool, slow) -> None:
    beats = Beats()
    started = time.monotonic()
    found = pool.read([Task(0, "traag.pdf", PDF, slow)], settings(seconds=2), beats)
    took = time.monotonic() - started
    result = found[0]
    assert result is not None and result.limit == "wall"
    assert result.flags == ("attachment_too_slow", "needs_review")
    assert result.fields == {}
    assert took < 10, took
    assert beats.longest_gap < 1.5, beats.longest_gap
    assert pool.started == 2 and pool.idle == 1  # the replacement is warm
    filled = fill_pdf(asset("klachtenformulier-nl.pdf"), VALUES)
    again = pool.read([Task(0, "klacht.pdf", PDF, filled)], settings())
    assert again[0] is not None and again[0].fields["name"].value == "Jan Peeters"
    assert pool.started == 2


def test_cpu_limit_ends_the_slow_pdf_long_before_its_wall_limit(pool, slow) -> None:
    started = time.monotonic()
    found = pool.read(
        [Task(0, "traag.pdf", PDF, slow)], settings(cpu_seconds=1, seconds=120)
    )
    took = time.monotonic() - started
    result = found[0]
    # Either the worker's own RLIMIT_CPU or the one pdftoppm inherits ends it.
    assert result is not None and result.fields == {}
    assert "needs_review" in result.flags
    assert took < 60, took


def test_the_message_budget_leaves_the_other_attachments_unread(pool, slow) -> None:
    tasks = [Task(n, f"traag-{n}.pdf", PDF, slow) for n in range(4)]
    started = time.monotonic()
    found = pool.read(tasks, settings(workers=2, seconds=30, message_seconds=3))
    took = time.monotonic() - started
    assert [found[n].limit for n in range(4)] == ["message_wall"] * 4
    assert "the message's time for forms ran out (3 s)" in found[3].notes[0]
    assert took < 12, took


def test_the_message_cpu_budget_is_shared(pool, slow) -> None:
    tasks = [Task(n, f"traag-{n}.pdf", PDF, slow) for n in range(3)]
    found = pool.read(tasks, settings(workers=2, cpu_seconds=2, message_cpu_seconds=2))
    # The first takes the whole budget; the others are not started.
    assert [found[1].limit, found[2].limit] == ["message_cpu", "message_cpu"]


def test_memory_over_the_cap_is_flagged_and_the_worker_replaced(pool) -> None:
    """A Word file with 40 MB of real XML, in a worker capped at 120 MB."""
    with zipfile.ZipFile(BytesIO(asset("klachtenformulier-nl.docx"))) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    paragraph = b"<w:p><w:r><w:t>Naam: Jan Peeters</w:t></w:r></w:p>"
    body = members["word/document.xml"]
    cut = body.index(b"<w:body>") + len(b"<w:body>")
    filler = paragraph * (40 * MIB // len(paragraph))
    members["word/document.xml"] = body[:cut] + filler + body[cut:]
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    found = pool.read(
        [Task(0, "groot.docx", DOCX, out.getvalue())],
        settings(memory_bytes=120 * MIB, seconds=60),
    )
    result = found[0]
    assert result is not None and result.limit == "memory", result
    assert result.flags == ("attachment_too_large", "needs_review")
    assert pool.idle == 1


def test_lying_docx_is_refused_without_inflating_it(pool) -> None:
    data = lying_docx()  # 2 GiB of zeros declared as 1000 bytes
    assert len(data) < 3 * MIB
    found = pool.read([Task(0, "klacht.docx", DOCX, data)], settings())
    result = found[0]
    assert result is not None and result.fields == {}
    assert {"attachment_corrupt", "needs_review"} <= set(result.flags)
    assert result.limit is None  # refused by the reader, not killed


def test_lying_docx_in_process_costs_little_memory() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = read_attachment("klacht.docx", DOCX, lying_docx())
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert result is not None and "attachment_corrupt" in result.flags
    assert grown < 64 * 1024, f"{grown} KiB more peak RSS"  # ru_maxrss is KiB


def test_real_bytes_are_capped_whatever_the_zip_declares() -> None:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.bin", bytes(3 * MIB))
        zf.writestr("b.bin", bytes(3 * MIB))
    with zipfile.ZipFile(out) as zf:
        assert set(inflate_members(zf, 6 * MIB)) == {"a.bin", "b.bin"}
        for info in zf.infolist():
            info.file_size = 10  # lies of the central directory, believed by
        with pytest.raises(zipfile.BadZipFile):  # zipfile: cut short, bad CRC
            inflate_members(zf, 6 * MIB)
    with zipfile.ZipFile(out) as zf, pytest.raises(TooMuchData):
        inflate_members(zf, 5 * MIB)


def test_a_stop_during_reading_kills_the_workers(pool, slow) -> None:
    beats = Beats(stop_after=1.0)
    started = time.monotonic()
    with pytest.raises(FormsInterrupted):
        pool.read([Task(0, "traag.pdf", PDF, slow)], settings(), beats)
    assert time.monotonic() - started < 5
    assert pool.idle == 0  # the killed worker is not handed out again


def test_workers_get_no_secrets(monkeypatch) -> None:
    from ingest.forms.process import worker_environment

    monkeypatch.setenv("KLACHTEN_IMAP__PASSWORD", "geheim")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", "/run/credentials/klachten")
    monkeypatch.setenv("NOTIFY_SOCKET", "/run/systemd/notify")
    env = worker_environment()
    assert "geheim" not in env.values()
    assert not {"CREDENTIALS_DIRECTORY", "NOTIFY_SOCKET"} & set(env)
    assert env["PATH"]  # pdftoppm and tesseract are still found
