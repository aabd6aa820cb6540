"""Text clean-up shared by every field a visitor types."""

from __future__ import annotations

import re
import unicodedata

# Control characters, lone surrogates, and the bidi overrides/isolates that can
# make stored text display differently from what was typed.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACE_RUN = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
# Zero-width non-joiner and joiner: part of the spelling in Persian and Indic
# scripts and of emoji sequences, so kept where they sit between two non-ASCII
# characters; between ASCII letters they only hide a word from screening.
_JOINERS = frozenset("\u200c\u200d")
# The only letters (category Lo) that Unicode also lists as default-ignorable:
# the Hangul fillers, which render as nothing.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def clean_line(value: str) -> str:
    """NFC-normalise one line of text, drop control and format characters, fold spaces."""
    value = _UNSAFE.sub("", unicodedata.normalize("NFC", drop_format_characters(_drop_surrogates(value))))
    value = value.replace("\n", " ").replace("\t", " ")
    return _SPACE_RUN.sub(" ", value).strip()


def clean_block(value: str) -> str:
    """Like clean_line, but keep line breaks (for the message box)."""
    value = _drop_surrogates(value).replace("\r\n", "\n").replace("\r", "\n")
    value = _UNSAFE.sub("", unicodedata.normalize("NFC", drop_format_characters(value)))
    lines = [_SPACE_RUN.sub(" ", line).strip() for line in value.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def drop_format_characters(value: str) -> str:
    """Remove invisible format characters (Unicode category Cf: U+200B, U+00AD, U+2060, U+FEFF ...)."""
    if value.isascii():
        # No format character is ASCII: most text skips the per-character work.
        return value
    return _NON_ASCII_RUN.sub(_keep_visible, value)


def _keep_visible(run: re.Match[str]) -> str:
    chars = run.group()
    if chars.isprintable():
        # isprintable() is False for every Cf character: a run without one
        # (accented letters, other scripts, emoji) is kept whole at C speed.
        return chars
    kept = []
    for i, ch in enumerate(chars):
        if unicodedata.category(ch) != "Cf":
            kept.append(ch)
        elif ch in _JOINERS and 0 < i < len(chars) - 1:
            # Inside the run, so both neighbours are non-ASCII.
            kept.append(ch)
    return "".join(kept)


def has_visible_letter(value: str) -> bool:
    """True if value holds at least one letter a reader can see."""
    return any(ch.isalpha() and ch not in _BLANK_LETTERS for ch in value)


def _drop_surrogates(value: str) -> str:
    # json.loads accepts "\ud800"; such a lone surrogate cannot be encoded as
    # UTF-8 and would fail the write, so it goes before anything else.
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "ignore") if _has_surrogate(value) else value


def _has_surrogate(value: str) -> bool:
    # Strict UTF-8 refuses exactly the surrogates, and checks at C speed: this
    # runs on every field of every submission (32 us -> under 1 us for 500 characters).
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
