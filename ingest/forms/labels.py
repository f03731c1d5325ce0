"""Recognising form labels and reading "Label: value" text.

Used by every reader that sees text rather than named fields: flattened PDFs,
DOCX paragraphs and tables, web-form mails and OCR output. Matching ignores
case, accents, spacing and a trailing colon or asterisk.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from ingest.forms.fields import CATEGORY_LABELS_FR, DEFAULT_CATEGORIES, FIELDS
from store.postal_address import postcode_line

_LANGUAGE_LABELS = ("taal", "langue", "language", "sprache")
_LANGUAGE_WORDS = {
    "nl": "nl", "nederlands": "nl", "neerlandais": "nl", "dutch": "nl",
    "fr": "fr", "frans": "fr", "francais": "fr", "french": "fr",
    "de": "de", "duits": "de", "allemand": "de", "deutsch": "de", "german": "de",
    "en": "en", "engels": "en", "anglais": "en", "english": "en",
}  # fmt: skip
# Blanks of an empty printed form ("......", "____") are no value.
_BLANK = re.compile(r"^[\s._\-–—]*$")
_SIGNATURE = re.compile(r"^--\s*$")
# The foot of a printed form: the signature is no part of any field. Matched
# on folded text (lower case, no accents).
_SIGNING = re.compile(
    r"^(?:(?:datum\s*(?:en|&|\+|/)\s*handtekening|date\s*(?:et|&|\+|/)\s*signature"
    r"|datum\s*(?:und|&|\+|/)\s*unterschrift|date\s*(?:and|&|\+|/)\s*signature"
    r"|lu\s+et\s+approuve)\b"
    # A single word only as a label: a sentence may begin with "Signature".
    r"|(?:handtekening|signature|unterschrift)\s*(?:[:._…]|$))"
)


@dataclass(frozen=True)
class Label:
    """A label of one field, with its language (None: any) and rank."""

    key: str
    language: str | None
    primary: bool
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class LabelMatch:
    label: Label
    rest: str
    colon: bool


@dataclass
class ParsedText:
    """Values found in labelled text, and what they tell about its language."""

    values: dict[str, str] = field(default_factory=dict)
    votes: Counter[str] = field(default_factory=Counter)
    explicit_language: str | None = None
    labels_seen: set[str] = field(default_factory=set)

    @property
    def language(self) -> str | None:
        """The stated language, else the one most labels were written in."""
        if self.explicit_language:
            return self.explicit_language
        ranked = self.votes.most_common(2)
        if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
            return None
        return ranked[0][0]


def fold(text: str) -> str:
    """Lower-case without accents, keeping the length of ``text``."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(char) for char in text)


@cache
def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFD", char.lower())[:1] or char
    return base if len(base) == 1 else char


# The printed list of choices under "Betreft" is form furniture, never a
# value; OCR garbles its separators, so it is known by the category names.
_CHOICE_WORDS = tuple(
    fold(name) for c in DEFAULT_CATEGORIES for name in (c, CATEGORY_LABELS_FR[c])
)


def _compile(text: str) -> re.Pattern[str]:
    words = fold(text).replace("(", " ( ").replace(")", " ) ").split()
    body = r"\s*".join(re.escape(w) for w in words) if len(words) == 1 else None
    body = body or r"\s+".join(re.escape(w) for w in words)
    # After the label: an optional note in brackets, asterisk and colon.
    tail = r"(?=$|[\s:*(.])[ \t]*(?:\([^)]*\))?[ \t]*\*?[ \t]*(:)?[ \t]*"
    return re.compile(r"[ \t]*" + body + tail)


@cache
def all_labels() -> tuple[Label, ...]:
    """Every label and alias of FIELDS, longest first so that the most
    specific label wins ("Naam en voornaam" before "Naam")."""
    labels = []
    for f in FIELDS:
        for lang, text in f.labels.items():
            labels.append((text, Label(f.key, lang, True, _compile(text))))
        for alias in f.aliases:
            lang = f.alias_languages.get(alias)
            labels.append((alias, Label(f.key, lang, False, _compile(alias))))
    labels.sort(key=lambda pair: len(pair[0]), reverse=True)
    return tuple(label for _, label in labels)


@cache
def _labels_by_initial() -> dict[str, tuple[Label, ...]]:
    """Labels grouped by their first letter: a line is tried only against
    the labels it could start with (this runs for every line of every mail)."""
    grouped: dict[str, list[Label]] = {}
    for label in all_labels():
        initial = label.pattern.pattern.removeprefix(r"[ \t]*").lstrip("\\")[:1]
        grouped.setdefault(initial, []).append(label)
    return {initial: tuple(labels) for initial, labels in grouped.items()}


def match_label(line: str) -> LabelMatch | None:
    """The label ``line`` starts with, and the text after it."""
    folded = fold(line)
    initial = folded.lstrip(" \t")[:1]
    for label in _labels_by_initial().get(initial, ()):
        m = label.pattern.match(folded)
        if m:
            return LabelMatch(label, line[m.end() :].strip(), bool(m.group(1)))
    return None


def key_for_label(text: str) -> str | None:
    """The field key a stand-alone label (a table cell, a field name) names."""
    m = match_label(text)
    return m.label.key if m and not m.rest else None


def _language_line(line: str) -> str | None:
    head, sep, value = line.partition(":")
    if not sep or fold(head).strip() not in _LANGUAGE_LABELS:
        return None
    words = fold(value).replace(".", " ").split()
    return _LANGUAGE_WORDS.get(words[0]) if words else None


def _accept(m: LabelMatch, *, strict: bool, in_multiline: bool) -> bool:
    # A label alone on its line announces a value on the next lines.
    if m.colon or not m.rest:
        return True
    # Without a colon only printed labels count, and not inside free text,
    # where a sentence may well begin with "Datum" or "Naam".
    return not strict and m.label.primary and not in_multiline


def _next_label(
    lines: list[str], i: int, *, strict: bool, in_multiline: bool
) -> tuple[LabelMatch | None, int]:
    """The label at line i, trying a label broken over two lines too."""
    m = match_label(lines[i])
    if m and _accept(m, strict=strict, in_multiline=in_multiline):
        return m, 1
    if i + 1 < len(lines) and lines[i]:
        joined = lines[i] + " " + lines[i + 1]
        m2 = match_label(joined)
        spans_both = m2 and len(joined) - len(m2.rest) > len(lines[i]) + 1
        if spans_both and _accept(m2, strict=strict, in_multiline=in_multiline):
            return m2, 2
    return None, 1


def parse_labelled(text: str, *, strict: bool = False) -> ParsedText:
    """Read "Label: value" lines.

    ``strict`` (web forms) wants a colon after a label unless the label is
    alone on its line. Multi-line fields run until the next label; a single-line
    field whose value is not on the label's line takes the next line.
    """
    lines = [ln.replace("\xa0", " ").strip() for ln in text.splitlines()]
    parsed = ParsedText()
    current: str | None = None
    multiline = False
    collected: dict[str, list[str]] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        lang = _language_line(line)
        if lang:
            parsed.explicit_language = parsed.explicit_language or lang
            current, i = None, i + 1
            continue
        if _SIGNING.match(fold(line)):
            current, i = None, i + 1
            continue
        m, used = _next_label(lines, i, strict=strict, in_multiline=multiline)
        i += used
        if m:
            current = m.label.key
            parsed.labels_seen.add(current)
            multiline = _is_multiline(current)
            if m.label.language:
                parsed.votes[m.label.language] += 1
            collected.setdefault(current, [])
            if m.rest:
                collected[current].append(m.rest)
            continue
        if _SIGNATURE.match(line):
            current = None
        elif _is_choice_list(line):
            continue
        elif current and (multiline or not collected[current]):
            collected[current].append(line)
        elif current == "street" and postcode_line(line):
            # The address's second line: "9300 Aalst" under "Kerkstraat 14".
            collected[current].append(line)
    for key, parts in collected.items():
        value = "\n".join(parts).strip()
        if not _BLANK.match(value):
            parsed.values[key] = value
    return parsed


def _is_choice_list(line: str) -> bool:
    folded = fold(line)
    return sum(word in folded for word in _CHOICE_WORDS) >= 3


@cache
def _is_multiline(key: str) -> bool:
    return any(f.multiline for f in FIELDS if f.key == key)
