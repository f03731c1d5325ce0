"""Every code of the store's vocabularies the workspace shows has a Dutch and a
French word (web/labels.py, with the yearly report's words); unknown codes
are shown as they are."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest

from store.member_mail import TEMPLATES
from store.vocabulary import (
    Channel,
    Flag,
    MailKind,
    MessageClass,
    Outcome,
    Reclassification,
    Status,
)
from web.labels import LANGUAGES, _own, term

SHOWN: dict[str, tuple[str, ...]] = {
    "status": tuple(Status),
    "outcome": tuple(Outcome),
    "channel": tuple(Channel),
    "flag": tuple(Flag),
    "class": tuple(MessageClass),
    "reclassification": tuple(Reclassification),
    "template": tuple(TEMPLATES),
    "mail": tuple(MailKind),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", SHOWN)
def test_every_code_has_a_word(language: str, kind: str) -> None:
    missing = [code for code in SHOWN[kind] if not _own(language, kind, code)]
    assert missing == []


def test_the_words_of_the_report_and_the_workspace() -> None:
    assert term("nl", "outcome", Outcome.PARTLY_FOUNDED) == "deels gegrond"
    assert term("nl", "flag", "member_replied") == "lid reageerde"
    assert term("fr", "status", "in_progress") == "en traitement"
    assert term("fr", "event", "acknowledgement_sent") == "accusé de réception : envoyé"
    assert term("nl", "event", "answer_failed") == "antwoord: mislukt"


def test_an_unknown_code_shows_as_it_is() -> None:
    assert term("nl", "event", "something_new") == "something_new"
    assert term("fr", "flag", "<b>") == "<b>"  # escaped by the page, not here
    assert term("de", "status", "closed") == term("nl", "status", "closed")
    assert term("nl", "status", None) == ""
    assert isinstance(term("nl", "status", Status.CLOSED), str)
    assert not isinstance(term("nl", "nothing", Status.CLOSED), StrEnum)


def test_the_pages_offer_the_vocabularys_lists() -> None:
    """Issue 13: the lists are written once, in store/vocabulary.py."""
    from store.vocabulary import values
    from web.actions import OUTCOMES
    from web.listing import CHANNELS, STATUSES
    from web.rendering import choices

    assert OUTCOMES == choices()["OUTCOMES"] == values(Outcome)
    assert CHANNELS == choices()["CHANNELS"] == values(Channel)
    assert STATUSES[2:] == values(Status) and "reclassified" in STATUSES
    assert choices()["RECLASSIFICATIONS"] == values(Reclassification)
    assert choices()["MEMBER_TEMPLATES"] == tuple(TEMPLATES)


def test_no_page_types_a_code_of_the_vocabulary() -> None:
    from web.rendering import TEMPLATES as PAGES

    codes = [*Outcome, *Status, *Reclassification, *TEMPLATES, Channel.ORAL]
    for page in PAGES.glob("*.j2"):
        html = page.read_text(encoding="utf-8")
        # t("answered") is a word of the page, not the status.
        typed = [code for code in codes if re.search(f'(?<!t\\()"{code}"', html)]
        assert typed == [], page.name
