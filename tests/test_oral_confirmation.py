"""An oral complaint asks for its written confirmation, and only the member
gives it; a stranger quoting the number is for a person (issue 17)."""

from __future__ import annotations

from datetime import date, timedelta

from tests.intake_mail import complaint, imap_sections

MEMBER = "anna.peeters@example.be"


def _register_oral(cli, config) -> str:
    received = (date.today() - timedelta(days=1)).isoformat()
    result = cli(
        "--config", config, "case", "register", "--channel", "oral",
        "--received-at", received, "--name", "Anna Peeters",
        "--email", MEMBER, "--language", "fr",
        "--description", "Plainte au guichet: accueil désagréable.",
    )  # fmt: skip
    assert result.code == 0, result.err
    return result.out.strip().splitlines()[-1]


def test_oral_complaint_confirmed_only_by_the_member(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    config = make_config(
        db_url,
        imap=imap_sections(imap),
        smtp={"host": smtp_server.host, "port": smtp_server.port},
    )
    number = _register_oral(cli, config)
    assert cli("--config", config, "run", "--once").code == 0
    (ack,) = [m for m in smtp_server.wait_for(1) if m.rcpt_tos == (MEMBER,)]
    text = " ".join(ack.message.get_body(("plain",)).get_content().split())
    assert "confirmation écrite" in text and number in text

    # A stranger quotes the number: no confirmation, the case needs review.
    stranger = complaint(
        sender="evil@example.org", subject=f"Re: {number}", body="Je confirme."
    )
    imap.append(stranger)
    assert cli("--config", config, "run", "--once").code == 0
    case = cli("--config", config, "case", "show", number, "--format", "json").json()
    assert case["status"] == "awaiting_confirmation"
    assert "needs_review" in case["flags"]
    assert case["message_count"] == 1
    shown = cli("--config", config, "case", "show", number).out
    assert "evil@example.org" in shown  # text mode shows each message's sender

    # The member's own mail confirms; the status does not go back.
    imap.append(complaint(sender=MEMBER, subject=f"Re: {number}", body="Je confirme."))
    assert cli("--config", config, "run", "--once").code == 0
    case = cli("--config", config, "case", "show", number, "--format", "json").json()
    assert case["status"] == "acknowledged"
    assert case["message_count"] == 2
    kinds = [e["kind"] for e in case["events"]]
    assert kinds.count("confirmed") == 1 and "stranger_mail" in kinds
