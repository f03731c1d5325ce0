"""Categories from forms only when configured; suggested from the words (issue 17)."""

from __future__ import annotations

import pytest

from config.schema import CasesSettings
from ingest.categories import category_from_form, suggest_category

CASES = CasesSettings()
CATEGORIES = tuple(CASES.categories)
KEYWORDS = CASES.category_keywords


@pytest.mark.parametrize(
    ("typed", "category"),
    [
        ("Terugbetaling", "terugbetaling"),
        ("remboursement", "terugbetaling"),
        ("Erstattung", "terugbetaling"),
        ("Incapacité de travail", "arbeidsongeschiktheid"),
        ("Arbeitsunfähigkeit", "arbeidsongeschiktheid"),
        ("Klacht", None),  # the website's "Onderwerp" is no category
        ("Plainte", None),
        ("", None),
        (None, None),
    ],
)
def test_category_from_form(typed: str | None, category: str | None) -> None:
    assert category_from_form(typed, CATEGORIES) == category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Mijn factuur van de kinesist werd nog steeds niet terugbetaald.", None),
        ("Al drie maanden geen terugbetaling van de tandarts.", "terugbetaling"),
        ("Je n'ai toujours pas été remboursé de mes lunettes.", "terugbetaling"),
        ("Seit Monaten keine Rückerstattung.", "terugbetaling"),
        ("De medewerker aan het loket was onvriendelijk.", "onthaal en medewerkers"),
        ("L'accueil au guichet de Liège était impoli.", "onthaal en medewerkers"),
        ("Mijn ziekte-uitkering is te laat.", "arbeidsongeschiktheid"),
        ("Mein Krankengeld kommt nicht.", "arbeidsongeschiktheid"),
        ("Waarom moet ik een hogere bijdrage betalen?", "facturatie en bijdragen"),
        ("Goedendag, zie bijlage.", None),
        ("", None),
    ],
)
def test_suggest_category(text: str, category: str | None) -> None:
    assert suggest_category(text, KEYWORDS, CATEGORIES) == category


def test_only_configured_categories_are_suggested() -> None:
    keywords = {"parking": ["parkeer"], "terugbetaling": ["terugbeta"]}
    text = "De parkeerplaats is te klein, parkeren is onmogelijk."
    assert suggest_category(text, keywords, ("terugbetaling",)) is None
    assert suggest_category(text, keywords, ("parking", "terugbetaling")) == "parking"
