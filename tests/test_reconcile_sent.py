"""What our sent mail tells reconcile about the complaints a lost store
acknowledged: pure readers of fetched header blocks."""

from __future__ import annotations

from datetime import UTC, datetime

from ingest.imap_source import header_block
from ingest.incoming import EarlierAck
from ingest.reconcile import SENT_HEADERS, earlier_acks

FORMAT = "KL-{year}-{seq:05d}"
SHA = "0f" * 32


def test_a_fetched_header_block_is_read_unfolded_and_case_blind() -> None:
    block = (
        b"x-klachten-case: KL-2026-00005\r\n"
        b"X-Klachten-Complaint: " + SHA.encode() + b"\r\n"
        b"In-Reply-To:\r\n <orig@example.be>\r\n"
        b"Date: Mon, 02 Mar 2026 10:00:00 +0100\r\n"
        b"X-Klachten-Case: KL-2026-00099\r\n"  # a second one: the first counts
        b"\r\n"
    )
    assert header_block(block, SENT_HEADERS) == {
        "x-klachten-case": "KL-2026-00005",
        "x-klachten-complaint": SHA,
        "in-reply-to": "<orig@example.be>",
        "date": "Mon, 02 Mar 2026 10:00:00 +0100",
    }
    assert header_block(b"", SENT_HEADERS) == {}


def test_each_complaint_gets_the_number_and_first_date_our_mail_gave_it() -> None:
    sent = [
        # The acknowledgement, then a reminder-free answer in the same thread.
        {
            "x-klachten-case": "KL-2026-00005",
            "x-klachten-complaint": SHA,
            "in-reply-to": "<orig@example.be>",
            "date": "Mon, 02 Mar 2026 10:05:00 +0100",
        },
        {
            "x-klachten-case": "kl-2026-5",
            "in-reply-to": "<orig@example.be>",
            "date": "Tue, 10 Mar 2026 09:00:00 +0100",
        },
        # An older copy without the complaint header: In-Reply-To only.
        {"x-klachten-case": "KL-2026-00006", "in-reply-to": "<six@example.be>"},
        # Named with two numbers: no guess.
        {"x-klachten-case": "KL-2026-00007", "in-reply-to": "<both@example.be>"},
        {"x-klachten-case": "KL-2026-00008", "in-reply-to": "<both@example.be>"},
        # Not a number of ours, no case header, no bracketed id, a bad date.
        {"x-klachten-case": "=?utf-8?q?x?=", "in-reply-to": "<x@example.be>"},
        {"in-reply-to": "<none@example.be>"},
        {"x-klachten-case": "KL-2026-00009", "in-reply-to": "bare@example.be"},
        {
            "x-klachten-case": "KL-2026-00010",
            "x-klachten-complaint": "not-a-hash",
            "in-reply-to": "<ten@example.be>",
            "date": "yesterday",
        },
    ]
    first = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    assert earlier_acks(sent, FORMAT) == {
        "sha256:" + SHA: EarlierAck("KL-2026-00005", first),
        "mid:orig@example.be": EarlierAck("KL-2026-00005", first),
        "mid:six@example.be": EarlierAck("KL-2026-00006", None),
        "mid:ten@example.be": EarlierAck("KL-2026-00010", None),
    }
