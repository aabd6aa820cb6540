"""The grammar of the crisis phrase lists (see the top of crisis_phrases.txt): a line into a regex.

Read only when the exported patterns (crisis_phrases.compiled.json) are stale
or being exported: a cold start with a fresh export never imports this.
"""

from __future__ import annotations

import re

from chalicelib.screening import _APOSTROPHES, _REPEATED_LETTER, _fold_unicode, _rx

_GAP_WORDS = 3
_SEP = r"\s(?:\.\s)?"  # one space, or a sentence end: "kill. myself." still reads as one phrase
_PHRASE_PART = r"\(|\)|\||!|<end>|\.\.\.|[^\s()|!]+"
_MACRO_DEF = r"@([a-z_]+)\s*=\s*(.+)"
_MACRO_USE = r"@([a-z_]+)"
_DEFINES = r"@[^=()|]*="
_WORD = r"[a-z0-9]+\*?"

# A phrase's first words: (word, True if it is a prefix such as "suicid*").
_Firsts = set[tuple[str, bool]]
# What every match of a phrase contains: for each of these sets of words, at
# least one of them as a whole word of the folded message ({"kill"} alone: the
# word itself; {"myself", "himself", ...}: one of them).
Clauses = set[frozenset[str]]
# One line of a list: its line number, regex source, first words, and what every match contains.
Phrase = tuple[int, str, _Firsts, Clauses]


class _PhraseError(ValueError):
    pass


class _Parser:
    """Turns one line of the phrase grammar (see crisis_phrases.txt) into a regex and its first words."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def parse(self) -> tuple[str, _Firsts, Clauses]:
        """The line's regex, its first words, and the words every match contains (see Clauses)."""
        pattern, firsts, nullable, ends_with_word, required = self.sequence(started=False)
        if self.pos != len(self.tokens):
            raise _PhraseError(f"unexpected {self.tokens[self.pos]!r}")
        if nullable or not ends_with_word:
            raise _PhraseError("a phrase must start and end with a word")
        return pattern, firsts, required

    def sequence(self, started: bool) -> tuple[str, _Firsts, bool, bool, Clauses]:
        """Pattern, first words, whether it may match nothing, whether it ends with a word, what it requires."""
        # `started`: a word precedes, so each word carries its own separator.
        out = ""
        firsts: _Firsts = set()
        nullable = True
        ends_with_word = False
        required: Clauses = set()
        while self.pos < len(self.tokens) and self.tokens[self.pos] not in (")", "|"):
            part = self.next()
            if part == "...":
                if not started:
                    raise _PhraseError("a gap needs a word before it")
                out += rf"(?:\s\w+){{0,{_GAP_WORDS}}}"
                ends_with_word = False
            elif part == "<end>":
                if not started:
                    raise _PhraseError("<end> needs a word before it")
                out += r"(?=\s\.|$)"
                ends_with_word = True
                nullable = False  # matches no text, but is not optional
            elif part == "!":
                if started:
                    pattern, _, optional, _ = self.item(started=True)
                    if optional:
                        raise _PhraseError("an optional group cannot follow !")
                    out += rf"(?!{pattern}(?!\w))"
                else:
                    out += "".join(rf"(?<!{re.escape(w)}\s)" for w in self.literals())
            else:
                self.pos -= 1
                pattern, item_firsts, optional, item_required = self.item(started)
                if nullable:
                    firsts |= item_firsts
                if optional and not started:
                    out += rf"(?:{pattern}\s)?"
                elif optional:
                    out += rf"{pattern}?"
                else:
                    out += pattern
                    required |= item_required
                    started = True
                    nullable = False
                    ends_with_word = True
        return out, firsts, nullable, ends_with_word, _weakest_dropped(required)

    def next(self) -> str:
        if self.pos >= len(self.tokens):
            raise _PhraseError("the line ends too early")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def item(self, started: bool) -> tuple[str, _Firsts, bool, Clauses]:
        """One word or group: its pattern (with its separator if `started`), first words, whether it may be empty."""
        part = self.next()
        if part == "(":
            alternatives = [self.sequence(started)]
            while self.pos < len(self.tokens) and self.tokens[self.pos] == "|":
                self.pos += 1
                alternatives.append(self.sequence(started))
            if self.next() != ")":
                raise _PhraseError("a group is not closed")
            present = [a for a in alternatives if a[0]]
            if not present:
                raise _PhraseError("an empty group")
            firsts = set().union(*(a[1] for a in present))
            optional = len(present) < len(alternatives) or any(a[2] for a in present)
            required = set() if optional else _either([a[4] for a in present])
            return "(?:" + "|".join(a[0] for a in present) + ")", firsts, optional, required
        if part in (")", "|", "!", "...", "<end>"):
            raise _PhraseError(f"unexpected {part!r}")
        if not _rx(_WORD).fullmatch(part):
            raise _PhraseError(f"not a word: {part!r}")
        stem, prefix = _rx(_REPEATED_LETTER).sub(r"\1", part.rstrip("*")), part.endswith("*")
        if prefix and len(stem) < 3:
            raise _PhraseError(f"a word ending in * needs at least three letters before it: {part!r}")
        pattern = (_SEP if started else "") + re.escape(stem) + (r"\w*" if prefix else "")
        # A whole word of the folded message; a prefix ("suicid*") is not required as a word.
        return pattern, {(stem, prefix)}, False, set() if prefix else {frozenset({stem})}

    def literals(self) -> list[str]:
        # "!(a|b c) word": not preceded by these; plain words only (a lookbehind has a fixed width).
        start = self.pos
        self.item(started=False)
        words = [t for t in self.tokens[start : self.pos] if t not in ("(", ")")]
        phrases = [_rx(_REPEATED_LETTER).sub(r"\1", p) for p in " ".join(words).split(" | ")]
        if any(not re.fullmatch(r"[a-z0-9]+(?: [a-z0-9]+)*", p) for p in phrases):
            raise _PhraseError("only plain words may follow a leading !")
        return phrases


def _either(alternatives: list[Clauses]) -> Clauses:
    """What a match of any one of the alternatives contains, for sure.

    Each clause all the alternatives share; and one more clause made of one
    clause of each alternative (its smallest): whichever alternative matched,
    the message holds a word of the clause that alternative gave. An
    alternative that requires nothing makes the group require only the shared.
    """
    shared = set.intersection(*alternatives)
    if all(alternatives):
        shared.add(frozenset().union(*(min(a, key=lambda c: (len(c), sorted(c))) for a in alternatives)))
    return _weakest_dropped(shared)


def _weakest_dropped(clauses: Clauses) -> Clauses:
    """Without a clause that another, smaller one implies ({"a", "b"} when {"a"} is required)."""
    return {c for c in clauses if not any(other < c for other in clauses)}


def phrase_lines(source: str, name: str = "crisis_phrases.txt") -> list[Phrase]:
    # Named groups belong to the file that defines them.
    macros: dict[str, str] = {}
    phrases: list[Phrase] = []
    for number, raw in enumerate(source.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        line = _rx(_APOSTROPHES).sub("", line.casefold()).replace("-", " ")
        if not line.isascii():
            line = _fold_unicode(line)  # "quitarme la vída" in the list reads like the folded message
        try:
            line = _expand(line, macros)
            definition = _rx(_MACRO_DEF).fullmatch(line)
            if definition:
                macros[definition.group(1)] = definition.group(2)
                continue
            pattern, firsts, required = _Parser(_rx(_PHRASE_PART).findall(line)).parse()
        except _PhraseError as exc:
            raise ValueError(f"{name} line {number}: {exc}: {raw.strip()}") from None
        phrases.append((number, pattern, firsts, required))
    return phrases


def _expand(line: str, macros: dict[str, str]) -> str:
    is_definition = _rx(_DEFINES).match(line) is not None
    head, sep, body = line.partition("=") if is_definition else ("", "", line)
    if is_definition and not _rx(_MACRO_DEF).fullmatch(line):
        raise _PhraseError("a definition reads @name = (words|more words)")

    def use(match: re.Match[str]) -> str:
        if match.group(1) not in macros:
            raise _PhraseError(f"@{match.group(1)} is not defined above")
        return f"({macros[match.group(1)]})"

    return head + sep + _rx(_MACRO_USE).sub(use, body)
