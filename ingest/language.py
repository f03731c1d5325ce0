"""Which language a complaint is written in: Dutch, French, German or English.

The language picks the acknowledgement's template, so a German member from St.
Vith must not get a Dutch mail because his complaint was two lines long. A
stopword count needs a dozen words; complaints are often shorter. lingua (a
well-kept detector built for short text) scores the body against the four
languages we answer in, plus Italian and Spanish as decoys: when a decoy wins,
the text is in a language we do not answer in and the guess is None.

The detector runs in lingua's low-accuracy mode (trigram models only): about
20 MB and 50 ms to load once, against 150 MB and a second for the full
models, with the same answers on short complaints (tests/test_language.py).

When the text alone does not decide (None), `language_from_postcode` gives
the tie-breaker of the member's Belgian postcode; the form's stated language
and the member's earlier cases come before it (see ingest/forms/merge.py and
store registration).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

ANSWERED = ("nl", "fr", "de", "en")
_DECOYS = ("it", "es")
# Below this confidence the text does not decide: a signature, a greeting
# that several languages share, a word like "ok".
MIN_CONFIDENCE = 0.6
# Enough text to decide; the rest only costs time.
MAX_CHARS = 2_000
# A text whose own function words name one language this clearly needs no
# detector: lingua costs 0.3-0.4 ms a message, the count 0.02 ms.
CLEAR_HITS = 8
CLEAR_LEAD = 3
_WORDS = re.compile(r"[^\W\d_]+")
# Frequent function words of each language; a word in two lists says nothing
# and is left out of both (`_STOPWORDS`). The decoys stand in for "a
# language we do not answer in", as for lingua.
_FUNCTION_WORDS = {
    "nl": "het een van ik niet dat met voor zijn er maar om ook als bij nog wij "
    "mijn uw geen heb heeft werd wordt naar dan dit deze omdat graag sinds "
    "werden hebben kan moet wel al",
    "fr": "le les et est une des du pas que qui pour dans sur avec mon ma mes "
    "vous votre nous ce cette elle au aux été mais ou très merci depuis "
    "suis avons sont",
    "de": "der das und ist nicht ich ein eine zu sich auf für dem den von sie "
    "wir mein meine haben habe wurde seit keine bitte auch sehr noch",
    "en": "the and of to it that my was for with this have has be you your "
    "we are been please since would",
    "it": "il di che non per sono della con mi ho gli dei",
    "es": "el los las por para del se muy pero mis",
}


@cache
def _detector() -> LanguageDetector:
    """Built once per process on first use; immutable and thread-safe."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in ANSWERED + _DECOYS
    ]
    builder = LanguageDetectorBuilder.from_languages(*languages)
    return builder.with_low_accuracy_mode().build()


def guess_language(text: str, max_chars: int = MAX_CHARS) -> str | None:
    """Return "nl", "fr", "de" or "en" for ``text``, or None when unsure.

    Only the first ``max_chars`` characters are read. None when the text is
    too short to tell, when no language is confident enough, or when it is a
    language the fund does not answer in.
    """
    sample = text[:max_chars]
    if not _has_letters(sample, 3):
        return None
    clear = _clear_from_function_words(sample)
    if clear is not None:
        return clear if clear in ANSWERED else None
    values = _detector().compute_language_confidence_values(sample)
    if not values or values[0].value < MIN_CONFIDENCE:
        return None
    code = values[0].language.iso_code_639_1.name.lower()
    return code if code in ANSWERED else None


@cache
def _stopwords() -> dict[str, str]:
    """Function word -> its language, for words of one language only."""
    seen = Counter(w for words in _FUNCTION_WORDS.values() for w in words.split())
    return {
        word: code
        for code, words in _FUNCTION_WORDS.items()
        for word in words.split()
        if seen[word] == 1
    }


def _clear_from_function_words(sample: str) -> str | None:
    """The language whose function words a text is full of, when no other
    comes near (CLEAR_HITS, CLEAR_LEAD times the next); else None, and the
    detector decides."""
    words = _stopwords()
    hits = Counter(
        words[w] for w in _WORDS.findall(sample.casefold()) if w in words
    ).most_common(2)
    if not hits or hits[0][1] < CLEAR_HITS:
        return None
    runner_up = hits[1][1] if len(hits) > 1 else 0
    return hits[0][0] if hits[0][1] >= CLEAR_LEAD * runner_up else None


def _has_letters(text: str, wanted: int) -> bool:
    """Whether `text` has at least `wanted` letters; stops at the last one
    needed instead of counting a whole sample character by character."""
    for char in text:
        if char.isalpha():
            wanted -= 1
            if wanted <= 0:
                return True
    return False


def language_from_postcode(postcode: str | None) -> str | None:
    """The language of the region a Belgian postcode lies in, or None.

    The German-speaking Community is 4700-4799; the rest of Liège province and
    Wallonia (1300-1499, 4000-7999) is French; Flanders (1500-3999,
    8000-9999) is Dutch. Brussels (1000-1299) is bilingual: no hint.
    """
    if not postcode or not postcode.isdigit() or len(postcode) != 4:
        return None
    code = int(postcode)
    if 4700 <= code <= 4799:
        return "de"
    if 1300 <= code <= 1499 or 4000 <= code <= 7999:
        return "fr"
    if 1500 <= code <= 3999 or 8000 <= code <= 9999:
        return "nl"
    return None
