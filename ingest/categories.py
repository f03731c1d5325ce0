"""A complaint's category: from a form when it names a configured one, else
suggested from the complaint's own words.

The yearly analysis counts complaints per category; in a trial 13 of 18 cases
stayed uncategorised because coordinators were busy. A form's "Onderwerp" or
"Betreft" is free text on the website ("Klacht"), so it only becomes the
category when it is one of the configured categories (in Dutch, French or
German wording). Otherwise the words of the complaint suggest one, by
keywords per category (configurable, `[cases] category_keywords`); the case is
then flagged `category_suggested` until a person confirms or changes it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache

from ingest.forms.fields import CATEGORY_LABELS_DE, CATEGORY_LABELS_FR
from ingest.forms.labels import fold
from store.vocabulary import Flag

SUGGESTED_FLAG = Flag.CATEGORY_SUGGESTED
# Enough of the complaint to find its subject; the rest only costs time.
_MAX_CHARS = 5_000
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def category_from_form(typed: str | None, categories: Sequence[str]) -> str | None:
    """The configured category ``typed`` names (any of its wordings), or None."""
    if not typed:
        return None
    wanted = fold(typed).strip()
    for category in categories:
        names = (
            category,
            CATEGORY_LABELS_FR.get(category, ""),
            CATEGORY_LABELS_DE.get(category, ""),
        )
        if wanted in (fold(n).strip() for n in names if n):
            return category
    return None


def suggest_category(
    text: str,
    keywords: Mapping[str, Sequence[str]],
    categories: Sequence[str],
) -> str | None:
    """The configured category whose keywords occur most in ``text``.

    A keyword matches a word that starts with it ("terugbeta" matches
    "terugbetaald"), accents and case ignored. None when no keyword occurs or
    two categories tie.
    """
    words = _WORD.findall(fold(text[:_MAX_CHARS]))
    if not words:
        return None
    scores: Counter[str] = Counter()
    for category in categories:
        stems = _stems(tuple(keywords.get(category, ())))
        if stems:
            scores[category] = sum(1 for w in words if w.startswith(stems))
    ranked = [pair for pair in scores.most_common(2) if pair[1] > 0]
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


@cache
def _stems(keywords: tuple[str, ...]) -> tuple[str, ...]:
    """The folded keywords, once per configuration instead of once per mail."""
    return tuple(fold(k).strip() for k in keywords if k.strip())
