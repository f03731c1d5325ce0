"""What a believed staff mail asks of its case: pure reading, no database.

Two things a coordinator does from Outlook count (issue 16):

- An *answer*: the mail is addressed to the member (their address in To or
  Cc). An optional first line "Uitkomst: gegrond" (fr "Résultat:"/"Issue:",
  de "Ergebnis:") gives the outcome; the text should mention the ombudsdienst.
- *Commands* (opt-in, `[staff] mail_commands`): lines at the top of a mail to
  klachten@, one per line, "Word: value":

  ============  ===================  =================  =========================
  action        nl                   fr                 de
  ============  ===================  =================  =========================
  assign        Toewijzen            Attribuer          Zuweisen
  category      Categorie            Catégorie          Kategorie
  status        Status (afgesloten)  Statut (clôturé)   Status (abgeschlossen)
  note          Notitie              Note               Notiz
  ============  ===================  =================  =========================

The block ends at the first line that is not "Word: value". A word that is
none of these, or a status other than "closed", is an unknown command.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from store.vocabulary import Outcome

_OUTCOME_KEYS = ("uitkomst", "resultat", "issue", "ergebnis")
_OUTCOMES: dict[str, Outcome] = {
    "gegrond": Outcome.FOUNDED,
    "deels gegrond": Outcome.PARTLY_FOUNDED,
    "gedeeltelijk gegrond": Outcome.PARTLY_FOUNDED,
    "ongegrond": Outcome.UNFOUNDED,
    "ingetrokken": Outcome.WITHDRAWN,
    "onontvankelijk": Outcome.NOT_ADMISSIBLE,
    "fondee": Outcome.FOUNDED,
    "partiellement fondee": Outcome.PARTLY_FOUNDED,
    "non fondee": Outcome.UNFOUNDED,
    "retiree": Outcome.WITHDRAWN,
    "irrecevable": Outcome.NOT_ADMISSIBLE,
    "begrundet": Outcome.FOUNDED,
    "teilweise begrundet": Outcome.PARTLY_FOUNDED,
    "unbegrundet": Outcome.UNFOUNDED,
    "zuruckgezogen": Outcome.WITHDRAWN,
    "unzulassig": Outcome.NOT_ADMISSIBLE,
}

# The words that name the ombudsdienst in each language; the street of the
# Landsbond's ombudsdienst counts in any language.
_OMBUDS_WORDS: dict[str, tuple[str, ...]] = {
    "nl": ("ombudsdienst",),
    "fr": ("service de mediation", "ombudsdienst"),
    "de": ("ombudsdienst",),
}
_OMBUDS_ANYWHERE = ("livornostraat", "rue de livourne")

COMMAND_WORDS: dict[str, str] = {
    "toewijzen": "assign",
    "attribuer": "assign",
    "zuweisen": "assign",
    "categorie": "category",
    "kategorie": "category",
    "status": "status",
    "statut": "status",
    "notitie": "note",
    "note": "note",
    "notiz": "note",
}
# The one status a mail may set: closed.
_CLOSED_WORDS = frozenset(
    {"afgesloten", "gesloten", "cloture", "cloturee", "ferme", "fermee",
     "abgeschlossen", "geschlossen", "closed"}
)  # fmt: skip

_LINE = re.compile(r"^\s*([^\W\d_]+)\s*:\s*(.*?)\s*$")


def _plain(text: str) -> str:
    """Lower case without accents, spaces collapsed: "Clôturée" -> "cloturee"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def answer_outcome(text: str) -> Outcome | None:
    """The outcome its first non-empty line names ("Uitkomst: gegrond"), or None."""
    found = _LINE.match(_first_line(text))
    if found is None or _plain(found.group(1)) not in _OUTCOME_KEYS:
        return None
    return _OUTCOMES.get(_plain(found.group(2)).rstrip(". "))


def ombudsdienst_languages(text: str) -> tuple[str, ...]:
    """The languages in which an answer names the ombudsdienst (the street of
    the Landsbond's ombudsdienst counts in every language)."""
    plain = _plain(text)
    if any(word in plain for word in _OMBUDS_ANYWHERE):
        return tuple(_OMBUDS_WORDS)
    return tuple(
        language
        for language, words in _OMBUDS_WORDS.items()
        if any(word in plain for word in words)
    )


@dataclass(frozen=True)
class Command:
    """One understood command line: an action ("assign", ...) and its value."""

    action: str
    value: str


@dataclass(frozen=True)
class Commands:
    """The command block at the top of a mail."""

    commands: tuple[Command, ...] = ()
    # The lines not understood, as written (cut short).
    unknown: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.commands or self.unknown)


def parse_commands(text: str) -> Commands:
    """Read the "Word: value" lines at the top of `text` (blank lines first)."""
    commands: list[Command] = []
    unknown: list[str] = []
    started = False
    for line in text.splitlines():
        if not line.strip():
            if started:
                break
            continue
        found = _LINE.match(line)
        if found is None:
            break
        started = True
        action = COMMAND_WORDS.get(_plain(found.group(1)))
        value = found.group(2)
        if action is None or not value or not _valid(action, value):
            unknown.append(line.strip()[:200])
        else:
            commands.append(Command(action, value[:2000]))
    return Commands(tuple(commands), tuple(unknown))


def _valid(action: str, value: str) -> bool:
    if action == "status":
        return _plain(value).rstrip(".") in _CLOSED_WORDS
    if action == "assign":
        return "@" in value and " " not in value.strip()
    return True
