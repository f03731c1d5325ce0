"""The vocabulary: the strings the contract names, and what derives from it."""

from __future__ import annotations

import json

import pytest

from service.cli_parser import build_parser
from store.vocabulary import (
    CASE_CLASSES,
    CLASSIFIER_CLASSES,
    DONE_STATUSES,
    NON_COMPLAINT_CLASSES,
    OPEN_STATUSES,
    REGISTER_CHANNELS,
    UNSENT_MAIL_STATUSES,
    Channel,
    Flag,
    MailKind,
    MailStatus,
    MessageClass,
    Outcome,
    Status,
    values,
)


def test_the_words_are_the_strings_of_the_contract() -> None:
    # JSON output, the database and operators' scripts hold these exact strings.
    assert values(Status) == (
        "registered",
        "awaiting_confirmation",
        "acknowledged",
        "in_progress",
        "answered",
        "closed",
        "reclassified",
    )
    assert values(Channel) == (
        "email",
        "form",
        "e-loket",
        "contact-form",
        "post",
        "oral",
    )
    assert values(Outcome) == (
        "founded",
        "partly-founded",
        "unfounded",
        "withdrawn",
        "not-admissible",
    )
    assert values(MessageClass) == (
        "complaint",
        "follow_up",
        "auto_reply",
        "bounce",
        "list",
        "spam",
        "rejected",
        "quarantined",
    )
    assert values(REGISTER_CHANNELS) == ("post", "oral", "e-loket", "contact-form")
    assert Flag.NEEDS_REVIEW == "needs_review"
    assert Flag.SENDER_UNVERIFIED == "sender_unverified"
    assert MailKind.ACKNOWLEDGEMENT == "acknowledgement"


def test_a_word_is_its_string_in_json_and_text() -> None:
    shown = {"status": Status.IN_PROGRESS, "flags": [Flag.AWAITING_LETTER]}
    assert (
        json.dumps(shown) == '{"status": "in_progress", "flags": ["awaiting_letter"]}'
    )
    assert f"{Channel.E_LOKET}" == "e-loket" and str(Outcome.PARTLY_FOUNDED) == (
        "partly-founded"
    )
    assert {"in_progress": 1}[Status.IN_PROGRESS] == 1


def test_open_done_and_reclassified_divide_the_statuses() -> None:
    assert set(OPEN_STATUSES) | set(DONE_STATUSES) | {"reclassified"} == set(Status)
    assert Status.RECLASSIFIED not in OPEN_STATUSES
    assert not set(OPEN_STATUSES) & set(DONE_STATUSES)
    assert set(DONE_STATUSES) == {"answered", "closed"}


def test_derived_sets_of_classes_and_mail_statuses() -> None:
    assert MessageClass.QUARANTINED not in CLASSIFIER_CLASSES
    assert set(CLASSIFIER_CLASSES) == set(MessageClass) - {"quarantined"}
    assert set(CASE_CLASSES) | set(NON_COMPLAINT_CLASSES) == set(MessageClass)
    assert not set(CASE_CLASSES) & set(NON_COMPLAINT_CLASSES)
    assert set(UNSENT_MAIL_STATUSES) == {MailStatus.PENDING, MailStatus.SENDING}


def test_values_are_plain_strings() -> None:
    # argparse quotes each choice with repr() in its "invalid choice" line.
    assert all(type(word) is str for word in values(Status))


@pytest.mark.parametrize(
    ("argv", "dest", "words"),
    [
        (["cases", "list", "--status"], "status", Status),
        (["cases", "list", "--channel"], "channel", Channel),
        (["messages", "list", "--class"], "klass", MessageClass),
    ],
)
def test_command_line_choices_come_from_the_vocabulary(argv, dest, words) -> None:
    parser = build_parser()
    for word in words:
        assert getattr(parser.parse_args([*argv, word.value]), dest) == word
    with pytest.raises(SystemExit):
        parser.parse_args([*argv, "no-such-word"])


def test_register_and_answer_accept_exactly_their_words(capsys) -> None:
    parser = build_parser()
    register = ["case", "register", "--received-at", "2026-12-01"]
    for channel in REGISTER_CHANNELS:
        args = parser.parse_args(
            [*register, "--channel", channel, "--description", "x"]
        )
        assert args.channel == channel
    with pytest.raises(SystemExit):
        parser.parse_args([*register, "--channel", "email", "--description", "x"])
    error = capsys.readouterr().err
    assert "'post', 'oral', 'e-loket', 'contact-form'" in error
    answer = ["case", "answer", "KL-2026-00001", "--message-file", "m.txt"]
    for outcome in Outcome:
        assert parser.parse_args([*answer, "--outcome", outcome]).outcome == outcome
