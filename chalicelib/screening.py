"""Spam and crisis screening: pure functions over a validated submission."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from chalicelib.leads import Submission
from chalicelib.words import DEFAULT_LANGUAGE, languages, text

# Each line's words (`.name`, `.how`) and its tap-to-call and tap-to-text links
# (`.call`, `.text`: tel: and sms: links) are in the catalogue, since they
# differ by language: the Spanish lifeline is 988 then 2, or AYUDA by text.
CRISIS_LINES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("crisis.lifeline", ("call", "text")),
    ("crisis.text_line", ("text",)),
    ("crisis.emergency", ("call",)),
)


@lru_cache(maxsize=8)
def _crisis_resources(language: str) -> tuple[dict[str, str], ...]:
    return tuple(
        {
            "name": text(language, f"{code}.name"),
            "how": text(language, f"{code}.how"),
            **{kind: text(language, f"{code}.{kind}") for kind in links},
        }
        for code, links in CRISIS_LINES
    )


def crisis_resources(language: str = DEFAULT_LANGUAGE) -> list[dict[str, str]]:
    """The crisis lines in `language`: `name`, `how`, and `call` / `text` links (tel:, sms:)."""
    return [dict(line) for line in _crisis_resources(language)]


def language_of_lines(lines: Any, default: str) -> str:
    """The language whose crisis lines `lines` are (a stored answer's), else `default`."""
    return next((language for language in languages() if crisis_resources(language) == lines), default)


def __getattr__(name: str) -> Any:
    # CRISIS_RESOURCES, the English lines, read from the catalogue only when first asked for.
    if name == "CRISIS_RESOURCES":
        return crisis_resources(DEFAULT_LANGUAGE)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Every language's list runs on every message, whatever the form's language:
# people mix languages. The files are named here rather than globbed, so a
# draft or an editor's backup in data/ never changes screening unreviewed
# (a test fails if a crisis_phrases*.txt file is not named here). Each file
# is its language's: crisis_phrases_<language>.txt, the default's without a suffix.
_PHRASES_FILES = (
    Path(__file__).parent / "data" / "crisis_phrases.txt",
    Path(__file__).parent / "data" / "crisis_phrases_es.txt",
)
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|ru|cn|xyz|top|info|biz|io)\b/?", re.I)
_MARKUP = re.compile(r"<\s*a\s+href|\[url=|\[/url\]|<\s*script", re.I)

# --- Folding a message for matching ----------------------------------------
# Patterns are compiled on first use, not at import: every cold start imports
# this module, and only a submission with a message needs them.


@cache
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# Every step below is general (no phrase is named in code): the phrases live
# in crisis_phrases.txt alone.

# Apostrophes of every style, and the acute accent used as one: removed, so
# "don't" with U+0027, U+2019, a backtick or U+00B4, and "dont", all read "dont".
_APOSTROPHES = r"['\u2018\u2019\u201b\u02bc\u02b9\u00b4`\u2032\uff07]"
# Letters that render as nothing (the Hangul fillers): dropped like format characters.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# "su!cide": an exclamation mark between letters stands for an i.
_BANG_FOR_I = r"(?<=[a-z])!(?=[a-z])"
# "k*ll", "su*cide", "s*icidal": asterisks between letters stand for a hidden i
# (the letter most often starred out of these words).
_STAR_FOR_I = r"(?<=[a-z])\*+(?=[a-z])"
# Three or more single letters or digits, each set apart by spaces or
# punctuation ("s u i c i d e", "s-u-i-c-i-d-a-l", "k.m.s"): joined into one word.
_SPACED_LETTERS = r"(?<![^\W_])[a-z0-9](?:[\s\-._*/+|\u00b7]{1,3}[a-z0-9](?![^\W_])){2,}"
_SPACED_SEPARATORS = r"[\s\-._*/+|\u00b7]"
# Two single letters in a row: a cheap scan (it starts at a separator) before the full one.
_SPACED_HINT = r"[\s\-._*/+|\u00b7][a-z0-9][\s\-._*/+|\u00b7]{1,3}[a-z0-9](?![^\W_])"
# Digits and symbols used for letters inside a word with at least one letter
# ("su1cide", "k1ll", "d3ad"); a number on its own is left alone.
_LEET_WORD = r"(?<![\w@$])(?=[\w@$]*[a-z])(?=[\w@$]*[0-9@$])[\w@$]+"
_LEET = str.maketrans("0134578@$", "oieastbas")
_LEET_HINT = r"[0-9@$](?:(?<=[a-z][0-9@$])|(?=[a-z]))"
# Doubled or held-down letters ("diiiie", "killl", "beter") become one, in the
# message and in the phrases alike, so "kil", "kill" and "killll" all read "kil".
_REPEATED_LETTER = r"([a-z])\1+"
_ELLIPSIS = r"\.{2,}"
# Sentence ends become a "." word, so that `<end>` in a phrase can see them.
_SENTENCE_END = r"[.!?;]+|\n"
_OTHER = r"[^\w.]+|_+"
_ASCII_OTHER = str.maketrans(dict.fromkeys("!\"#$%&'()*+,-/:;<=>?@[\\]^_`{|}~\t\r\x0b\x0c", " "))
_REPEATED_END = r"\.(?: \.)+"


def normalise(text: str) -> str:
    """Fold text for phrase matching.

    Lower case, no accents, apostrophes, invisible characters or look-alike
    letters from other scripts; digits and symbols used as letters read as
    letters, spaced-out letters are joined, a doubled letter is one letter,
    punctuation is one space and each sentence end is a "." word.
    """
    folded = _rx(_APOSTROPHES).sub("", text.casefold())
    if not folded.isascii():
        folded = _fold_unicode(folded)
    if "!" in folded:
        folded = _rx(_BANG_FOR_I).sub("i", folded)
    # Each costly pass runs only when a cheap scan finds something for it
    # (ordinary text of 2,000 characters takes a fraction of a millisecond).
    if _rx(_SPACED_HINT).search(" " + folded):
        folded = _rx(_SPACED_LETTERS).sub(lambda m: _rx(_SPACED_SEPARATORS).sub("", m.group()), folded)
    if "*" in folded:
        folded = _rx(_STAR_FOR_I).sub("i", folded)
    if _rx(_LEET_HINT).search(folded):
        folded = _rx(_LEET_WORD).sub(lambda m: m.group().translate(_LEET), folded)
    folded = _rx(_REPEATED_LETTER).sub(r"\1", folded)
    folded = _rx(_SENTENCE_END).sub(" . ", _rx(_ELLIPSIS).sub(" ", folded)).translate(_ASCII_OTHER)
    if not folded.isascii():
        folded = _rx(_OTHER).sub(" ", folded)
    return _rx(_REPEATED_END).sub(".", " ".join(folded.split()))


def _fold_unicode(text: str) -> str:
    # Compatibility forms (fullwidth letters, ligatures) become plain letters;
    # accents (combining marks), format characters (zero-width space, soft
    # hyphen, word joiner, BOM) and blank letters go.
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(
        ch
        for ch in folded
        if ch.isascii() or not (unicodedata.combining(ch) or unicodedata.category(ch) == "Cf" or ch in _BLANK_LETTERS)
    )
    if any(ch.isalpha() and not ch.isascii() for ch in folded):
        folded = _fold_confusables(folded)
    return folded


_CONFUSABLE: dict[str, str] = {}
_CONFUSABLE_CACHE_MAX = 20_000


def _fold_confusables(text: str) -> str:
    """Replace letters from other scripts that look like Latin ones (Cyrillic U+0455 for s, Greek omicron for o)."""
    unseen = {ch for ch in text if ch.isalpha() and not ch.isascii() and ch not in _CONFUSABLE}
    if len(_CONFUSABLE) + len(unseen) > _CONFUSABLE_CACHE_MAX:
        _CONFUSABLE.clear()  # messages in every script must not grow a warm function's memory without bound
    if unseen:
        # Unicode's confusables data, through a library: imported only here,
        # for the few messages with non-Latin letters, as it costs tens of
        # milliseconds to load and most cold starts never need it.
        from confusable_homoglyphs import confusables

        found = confusables.is_confusable("".join(sorted(unseen)), greedy=True, preferred_aliases=["latin"]) or []
        for entry in found:
            latin = [g["c"] for g in entry["homoglyphs"] if g["c"].isascii() and g["c"].isalpha()]
            if latin:
                _CONFUSABLE[entry["character"]] = latin[0].lower()
        for ch in unseen:
            _CONFUSABLE.setdefault(ch, ch)
    return "".join(_CONFUSABLE.get(ch, ch) for ch in text)


# --- The phrase list -------------------------------------------------------

_Firsts = Iterable[tuple[str, bool]]
# For each of these sets of words, every match holds at least one (chalicelib/phrases.py, Clauses).
_Clauses = Iterable[Iterable[str]]
# One phrase: (line number, regex source, first words, what every match holds, its list's language).
_Line = tuple[int, str, _Firsts, _Clauses, str]


class _Phrase:
    """One line of the list, compiled the first time a message holds its first word and the words it requires."""

    __slots__ = ("_compiled", "any_of", "language", "pattern", "required")

    def __init__(self, pattern: str, clauses: _Clauses, language: str) -> None:
        self.pattern = pattern
        sets = [frozenset(c) for c in clauses]
        # Words required outright, and sets of words at least one of which is.
        self.required = frozenset(w for c in sets if len(c) == 1 for w in c)
        self.any_of = tuple(c for c in sets if len(c) > 1)
        self.language = language
        self._compiled: re.Pattern[str] | None = None

    def possible(self, present: frozenset[str]) -> bool:
        """Whether a message of these words can match: it holds every word the phrase requires."""
        return self.required <= present and all(not c.isdisjoint(present) for c in self.any_of)

    def match(self, folded: str, pos: int) -> bool:
        if self._compiled is None:
            self._compiled = re.compile(rf"(?:{self.pattern})(?!\w)")
        return self._compiled.match(folded, pos) is not None


class _Index:
    """The phrases, found by their first word so that each word of a message tries only its own."""

    def __init__(self, phrases: Iterable[_Line], prefilter: bool = True) -> None:
        self.by_word: dict[str, list[_Phrase]] = {}
        # Prefixes ("suicid*") are found by their first three letters.
        self.by_start: dict[str, list[tuple[str, _Phrase]]] = {}
        # `prefilter`: a phrase is tried only when the message holds the words it
        # requires, so an ordinary message compiles few patterns. (Off in a test, as the reference.)
        languages: set[str] = set()
        for _, pattern, firsts, required, language in phrases:
            phrase = _Phrase(pattern, required if prefilter else (), language)
            languages.add(language)
            for word, prefix in firsts:
                if prefix:
                    self.by_start.setdefault(word[:3], []).append((word, phrase))
                else:
                    self.by_word.setdefault(word, []).append(phrase)
        self.language_count = len(languages)

    def search(self, folded: str) -> bool:
        """Whether a phrase of any list is in the folded text (the first one found ends the search)."""
        return next(self._matches(folded, set()), None) is not None

    def languages(self, folded: str) -> set[str]:
        """The languages of the lists with a phrase in the folded text (read on until each list has matched)."""
        found: set[str] = set()
        for language in self._matches(folded, found):
            found.add(language)
            if len(found) == self.language_count:
                break
        return found

    def _matches(self, folded: str, found: set[str]) -> Iterator[str]:
        # The language of each phrase found, trying no phrase of a language in `found`.
        pos = 0
        by_word, by_start = self.by_word, self.by_start
        tokens = folded.split(" ")
        present = frozenset(tokens)
        for word in tokens:
            for phrase in by_word.get(word, ()):
                if phrase.language not in found and phrase.possible(present) and phrase.match(folded, pos):
                    yield phrase.language
            for prefix, phrase in by_start.get(word[:3], ()):
                if (
                    word.startswith(prefix)
                    and phrase.language not in found
                    and phrase.possible(present)
                    and phrase.match(folded, pos)
                ):
                    yield phrase.language
            pos += len(word) + 1

    def compile_all(self) -> None:
        """Compile every phrase now (a malformed one raises here, not on some later message)."""
        for phrases in self.by_word.values():
            for phrase in phrases:
                phrase.match("", 0)
        for entries in self.by_start.values():
            for _, phrase in entries:
                phrase.match("", 0)


# The lists read into patterns, written by `python -m scripts.export_screening`:
# reading the grammar of both lists costs a cold start some 30 ms, loading this
# file under 1 ms. It holds a hash of the lists it was made from; when a list
# has changed since (a reviewer's edit not yet exported), the lists are read
# instead, so the .txt files stay the one source (and a unit test fails while
# the export is stale).
_COMPILED_FILE = Path(__file__).parent / "data" / "crisis_phrases.compiled.json"


# Part of the hash: an export written in an older shape is stale, whatever the lists say.
_EXPORT_FORMAT = "3: each phrase with its list's language and what every match holds"


def phrase_sources() -> tuple[str, list[tuple[str, str]]]:
    """The hash of the reviewed lists and their (file name, text)."""
    import hashlib

    texts = [(path.name, path.read_text(encoding="utf-8")) for path in _PHRASES_FILES]
    said = "\x00".join([_EXPORT_FORMAT, *(f"{name}\x00{body}" for name, body in texts)])
    return hashlib.sha256(said.encode()).hexdigest(), texts


def list_language(name: str) -> str:
    """The language of a phrase list by its file name: crisis_phrases_es.txt is "es", crisis_phrases.txt the default."""
    return name.removesuffix(".txt").removeprefix("crisis_phrases").lstrip("_") or DEFAULT_LANGUAGE


def read_lists(texts: list[tuple[str, str]]) -> list[_Line]:
    """Every phrase of the lists as (line number, regex source, first words, what every match holds, language)."""
    from chalicelib.phrases import phrase_lines

    lines: list[_Line] = []
    for name, body in texts:
        language = list_language(name)
        lines += [(*line, language) for line in phrase_lines(body, name)]
    return lines


@lru_cache(maxsize=1)
def _crisis_index() -> _Index:
    import json

    digest, texts = phrase_sources()
    try:
        compiled = json.loads(_COMPILED_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        compiled = {}
    if compiled.get("sources") == digest:
        return _Index(
            (0, pattern, firsts, required, language) for pattern, firsts, required, language in compiled["phrases"]
        )
    return _Index(read_lists(texts))


def suggests_crisis(text: str | None) -> bool:
    """True if the text contains a reviewed crisis phrase."""
    if not text:
        return False
    return _crisis_index().search(normalise(text))


def crisis_languages(text: str | None) -> frozenset[str]:
    """The languages whose reviewed list has a phrase in the text; empty when it suggests no crisis.

    One reading of the text: a message with no phrase costs what `suggests_crisis` does.
    """
    if not text:
        return frozenset()
    return frozenset(_crisis_index().languages(normalise(text)))


def lines_language(matched: Collection[str], language: str, chosen: bool) -> str:
    """The language to give the crisis lines in, for a message that matched the lists of `matched`.

    The answer's `language`, unless the message matched another language's
    list than the default's and not the answer's, and either the visitor
    named no language (`chosen` false) or the default's list did not match
    at all (words only in that language: the English form, which always
    names English, filled in by a person writing Spanish). The default's
    list (English) alone does not count, as its words ("suicid…") catch
    Spanish ones too; only a Spanish message matches the Spanish list. The
    lines give the same numbers in every language, so a reader of either
    still finds them.
    """
    telling = [other for other in languages() if other in matched and other != DEFAULT_LANGUAGE]
    if not telling or language in telling:
        return language
    return telling[0] if not chosen or DEFAULT_LANGUAGE not in matched else language


def spam_reasons(sub: Submission, now: datetime, min_fill_seconds: int, max_links: int) -> list[str]:
    """Why a submission looks like spam; empty for a submission that looks real."""
    reasons: list[str] = []
    if sub.website:
        reasons.append("honeypot")
    if sub.started_at is not None:
        # started_at comes from the visitor's clock. A time in the future
        # means that clock is ahead, not that a bot was quick: never flag a
        # real person's lead for their clock.
        elapsed = (now - sub.started_at).total_seconds()
        if 0 <= elapsed < min_fill_seconds:
            reasons.append("too_fast")
    if sub.message and len(_URL.findall(sub.message)) > max_links:
        reasons.append("too_many_links")
    names = " ".join(n for n in (sub.first_name, sub.last_name) if n)
    if _URL.search(names):
        reasons.append("link_in_name")
    if _MARKUP.search(sub.message or "") or _MARKUP.search(names):
        reasons.append("markup")
    return reasons
