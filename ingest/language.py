"""Guess whether a text is Dutch, French, German or English by counting stopwords.

The fund answers in Dutch or French (sometimes German or English), so a rough
guess is enough to pick the template language; a person can correct it. A
dependency-free heuristic keeps the guess fast and predictable.
"""

from __future__ import annotations

import re
from collections import Counter

# Frequent function words. A word that means something in two of the languages
# ("de", "en", "je", "is", "we", "a", "an", "on", "des") is in one list at most,
# so that it cannot tip the balance between them.


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS: dict[str, frozenset[str]] = {
    "nl": _words(
        "het een van ik u uw niet dat dit zijn wij mijn met voor op "
        "maar ook nog geen naar bij heb heeft hebben werd wordt graag omdat "
        "dank alvast vriendelijke groeten beste geachte mevrouw meneer"
    ),
    "fr": _words(
        "le la les un une et est je vous votre vos nous ne pas que qui pour dans "
        "sur avec mais mon ma mes au aux du des ce cette ai avons été merci "
        "bonjour madame monsieur cordialement salutations"
    ),
    "de": _words(
        "der die das und ist ich sie ihr ihre nicht mit für auf ein eine einen "
        "dem den wir mein meine aber auch noch kein habe hat wurde bitte "
        "danke sehr geehrte damen herren freundlichen grüßen"
    ),
    "en": _words(
        "the and are were i you your not that this with for of "
        "to my have has but also no yet please thank thanks dear regards "
        "sincerely"
    ),
    # Decoys: Italian and Spanish share words with French; when they win, the
    # text is in a language we do not answer in, and we say so with None.
    "it": _words("il che di per non sono della questo questa anche gli grazie"),
    "es": _words("el los las por para es muy pero gracias usted como"),
}
_ANSWERED = frozenset({"nl", "fr", "de", "en"})

# Apostrophes split words, so French "j'ai" counts "ai".
_WORD = re.compile(r"[^\W\d_]+")
# Below this many stopword hits the guess is noise (a signature, a subject).
MIN_HITS = 3


def guess_language(text: str, max_chars: int = 20_000) -> str | None:
    """Return "nl", "fr", "de" or "en" for ``text``, or None when unsure.

    Only the first ``max_chars`` characters are read. None is returned when too
    few stopwords are found or when the two best languages tie.
    """
    words = _WORD.findall(text[:max_chars].lower())
    scores: Counter[str] = Counter()
    for word in words:
        for language, stopwords in _STOPWORDS.items():
            if word in stopwords:
                scores[language] += 1
    ranked = scores.most_common(2)
    if not ranked or ranked[0][1] < MIN_HITS:
        return None
    if len(ranked) == 2 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0] if ranked[0][0] in _ANSWERED else None
