"""The never-reply-to-a-machine policy, as a pure function."""

from __future__ import annotations

import pytest

from responder.policy import MailFacts, PolicyRules, decide, retry_delay

RULES = PolicyRules(
    own_address="Klachten@LibMutov.be",
    coordinators=("klachtencoordinator@libmutov.be",),
    suppression=("noreply@*", "no-reply@*", "mailer-daemon@*", "postmaster@*"),
    per_address_limit=5,
)


def ack(*recipients: str, flags: tuple[str, ...] = (), recent: int = 0) -> MailFacts:
    return MailFacts(
        kind="acknowledgement",
        audience="member",
        recipients=recipients,
        case_flags=flags,
        recent_acknowledgements=recent,
    )


@pytest.mark.parametrize(
    ("recipient", "reason"),
    [
        ("anna@example.be", None),
        ("noreply@example.be", "suppressed address (pattern noreply@*)"),
        ("No-Reply@Example.BE", "suppressed address (pattern no-reply@*)"),
        ("MAILER-DAEMON@mx.example.be", "suppressed address (pattern mailer-daemon@*)"),
        ("postmaster@example.be", "suppressed address (pattern postmaster@*)"),
        ("klachten@libmutov.be", "own address"),
        (" KLACHTEN@libmutov.be ", "own address"),
        ("KlachtenCoordinator@libmutov.be", "coordinator address"),
        ("noreplyfan@example.be", None),  # the pattern wants "noreply@"
        ("", "no recipient"),
    ],
)
def test_address_rules(recipient: str, reason: str | None) -> None:
    assert decide(RULES, ack(recipient)) == reason


def test_dmarc_failure_blocks_the_acknowledgement_only() -> None:
    flags = ("sender_unverified", "needs_review")
    assert decide(RULES, ack("anna@example.be", flags=flags)) == (
        "sender not verified (DMARC failed)"
    )
    answer = MailFacts("answer", "member", ("anna@example.be",), flags)
    assert decide(RULES, answer) is None
    assert decide(RULES, ack("anna@example.be", flags=("needs_review",))) is None


def test_an_answered_case_gets_no_acknowledgement_but_its_answers_go() -> None:
    late = MailFacts(
        "acknowledgement", "member", ("anna@example.be",), case_answered=True
    )
    assert decide(RULES, late) == "answered before the acknowledgement"
    assert decide(RULES, ack("anna@example.be")) is None
    answer = MailFacts("answer", "member", ("anna@example.be",), case_answered=True)
    assert decide(RULES, answer) is None


def test_per_address_limit() -> None:
    assert decide(RULES, ack("anna@example.be", recent=4)) is None
    assert decide(RULES, ack("anna@example.be", recent=5)) == (
        "per-address limit reached (5 acknowledgements in 24 hours)"
    )
    # The limit counts acknowledgements; an answer is never held back by it.
    answer = MailFacts("answer", "member", ("anna@example.be",), (), 9)
    assert decide(RULES, answer) is None


def test_suppression_holds_for_answers_too() -> None:
    answer = MailFacts("answer", "member", ("noreply@example.be",))
    assert decide(RULES, answer) == "suppressed address (pattern noreply@*)"


def test_coordinator_mail_is_not_filtered() -> None:
    notice = MailFacts("delivery_failed", "coordinator", RULES.coordinators)
    assert decide(RULES, notice) is None
    assert decide(RULES, MailFacts("digest", "coordinator", ())) == "no recipient"


def test_any_bad_recipient_stops_the_mail() -> None:
    assert decide(RULES, ack("anna@example.be", "postmaster@example.be")) == (
        "suppressed address (pattern postmaster@*)"
    )


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (40, 3600)],
)
def test_retry_delay_doubles_up_to_the_cap(attempts: int, expected: int) -> None:
    assert retry_delay(attempts, 30, 3600, jitter=lambda: 0.0) == expected
    assert retry_delay(attempts, 30, 3600, jitter=lambda: 1.0) == pytest.approx(
        expected * 1.1
    )


@pytest.mark.parametrize(
    "address",
    [
        "target@victim.example",
        '"target"@victim.example',
        "TARGET@Victim.Example",
        "target+x@victim.example",
        '"Target+promo"@VICTIM.example.',
        " target@victim.example ",
    ],
)
def test_one_mailbox_one_key(address: str) -> None:
    from store.mailbox_key import mailbox_key

    assert mailbox_key(address) == "target@victim.example"


def test_dots_and_other_mailboxes_stay_apart() -> None:
    from store.mailbox_key import mailbox_key

    assert mailbox_key("t.arget@victim.example") == "t.arget@victim.example"
    assert mailbox_key("target@other.example") != mailbox_key("target@victim.example")
    assert mailbox_key("+x@victim.example") == "+x@victim.example"


def test_suppression_sees_through_a_tag() -> None:
    assert decide(RULES, ack("noreply+bounce@example.be")) == (
        "suppressed address (pattern noreply@*)"
    )
