"""The pure readers of staff mail: outcome line, ombudsdienst mention, commands."""

from __future__ import annotations

import pytest

from ingest.staff_mail import (
    Command,
    answer_outcome,
    ombudsdienst_languages,
    parse_commands,
)
from store.vocabulary import Outcome


@pytest.mark.parametrize(
    ("line", "outcome"),
    [
        ("Uitkomst: gegrond", Outcome.FOUNDED),
        ("uitkomst : Deels gegrond.", Outcome.PARTLY_FOUNDED),
        ("Uitkomst: ongegrond", Outcome.UNFOUNDED),
        ("Uitkomst: ingetrokken", Outcome.WITHDRAWN),
        ("Uitkomst: onontvankelijk", Outcome.NOT_ADMISSIBLE),
        ("Résultat: partiellement fondée", Outcome.PARTLY_FOUNDED),
        ("Issue: non fondée", Outcome.UNFOUNDED),
        ("Résultat : retirée", Outcome.WITHDRAWN),
        ("Resultat: irrecevable", Outcome.NOT_ADMISSIBLE),
        ("Résultat: fondée", Outcome.FOUNDED),
        ("Ergebnis: begründet", Outcome.FOUNDED),
        ("Ergebnis: teilweise begründet", Outcome.PARTLY_FOUNDED),
        ("Ergebnis: unbegründet", Outcome.UNFOUNDED),
        ("Ergebnis: zurückgezogen", Outcome.WITHDRAWN),
        ("Ergebnis: unzulässig", Outcome.NOT_ADMISSIBLE),
    ],
)
def test_first_line_names_the_outcome(line: str, outcome: Outcome) -> None:
    assert answer_outcome(f"\n{line}\n\nBeste heer,\n") is outcome


@pytest.mark.parametrize(
    "text",
    [
        "Beste heer,\nUitkomst: gegrond\n",  # not the first line
        "Uitkomst: misschien\n",
        "Onderwerp: gegrond\n",
        "",
    ],
)
def test_no_outcome(text: str) -> None:
    assert answer_outcome(text) is None


def test_ombudsdienst_mention_per_language() -> None:
    assert "nl" in ombudsdienst_languages("U kunt naar de Ombudsdienst.")
    assert "fr" in ombudsdienst_languages("le Service de médiation de l'Union")
    assert "fr" not in ombudsdienst_languages("le service des plaintes")
    assert ombudsdienst_languages("Rue de Livourne 25") == ("nl", "fr", "de")
    assert ombudsdienst_languages("Met vriendelijke groeten") == ()


def test_commands_at_the_top_in_three_languages() -> None:
    block = parse_commands(
        "\nToewijzen: An@lm.be\nCatégorie: terugbetaling\nStatut: Clôturé\n"
        "Notiz: angerufen\n\nUitkomst: niets\n"
    )
    assert block.commands == (
        Command("assign", "An@lm.be"),
        Command("category", "terugbetaling"),
        Command("status", "Clôturé"),
        Command("note", "angerufen"),
    )
    assert block.unknown == ()


def test_unknown_and_invalid_commands_are_listed() -> None:
    block = parse_commands("Prioriteit: hoog\nStatus: heropend\nToewijzen: An\n")
    assert block.commands == ()
    assert block.unknown == ("Prioriteit: hoog", "Status: heropend", "Toewijzen: An")


def test_the_block_ends_at_the_first_other_line() -> None:
    block = parse_commands("Beste collega,\nToewijzen: an@lm.be\n")
    assert not block.any
    block = parse_commands("Notitie: gebeld\nBeste collega, Toewijzen: x@y.be\n")
    assert block.commands == (Command("note", "gebeld"),)


@pytest.mark.parametrize("sent", ["INBOX", "inbox", "Verwerkt"])
def test_sent_mailbox_cannot_be_the_inbox_or_processed_folder(sent: str) -> None:
    from config.schema import ImapSettings, Settings
    from config.validate import ConfigError, check

    imap = ImapSettings(sent_mailbox=sent, processed_mailbox="Verwerkt")
    with pytest.raises(ConfigError, match="sent_mailbox must differ"):
        check(Settings(imap=imap))
    check(Settings(imap=ImapSettings(sent_mailbox="Sent Items")))
