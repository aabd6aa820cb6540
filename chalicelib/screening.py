"""Spam and crisis screening: pure functions over a validated submission."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalicelib.leads import LeadSubmission
from chalicelib.words import DEFAULT_LANGUAGE, text

# Each line's words (`.name`, `.how`) are in the catalogue; its tap-to-call and
# tap-to-text links are the same in every language.
CRISIS_LINES: tuple[tuple[str, dict[str, str]], ...] = (
    ("crisis.lifeline", {"call": "tel:988", "text": "sms:988"}),
    ("crisis.text_line", {"text": "sms:741741?&body=HOME"}),
    ("crisis.emergency", {"call": "tel:911"}),
)


@lru_cache(maxsize=8)
def _crisis_resources(language: str) -> tuple[dict[str, str], ...]:
    return tuple(
        {"name": text(language, f"{code}.name"), "how": text(language, f"{code}.how"), **links}
        for code, links in CRISIS_LINES
    )


def crisis_resources(language: str = DEFAULT_LANGUAGE) -> list[dict[str, str]]:
    """The crisis lines in `language`: `name`, `how`, and `call` / `text` links (tel:, sms:)."""
    return [dict(line) for line in _crisis_resources(language)]


def __getattr__(name: str) -> Any:
    # CRISIS_RESOURCES, the English lines, read from the catalogue only when first asked for.
    if name == "CRISIS_RESOURCES":
        return crisis_resources(DEFAULT_LANGUAGE)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_PHRASES_FILE = Path(__file__).parent / "data" / "crisis_phrases.txt"
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|ru|cn|xyz|top|info|biz|io)\b/?", re.I)
_MARKUP = re.compile(r"<\s*a\s+href|\[url=|\[/url\]|<\s*script", re.I)


def normalise(text: str) -> str:
    """Fold text for phrase matching: no accents, case, apostrophes or punctuation runs."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    if not folded.isascii():
        # Combining marks are never ASCII, so plain-ASCII text (most messages)
        # skips this per-character loop: 29 us for 500 characters.
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = re.sub(r"['\u2019\u2018`\u02bc]", "", folded)
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def _phrase_pattern(phrase: str) -> str:
    prefix = phrase.endswith("*")
    words = normalise(phrase.rstrip("*")).split()
    body = r"\s".join(re.escape(w) for w in words)
    return body + (r"\w*" if prefix else "")


@lru_cache(maxsize=1)
def _crisis_regex() -> re.Pattern[str]:
    phrases = [
        line.strip()
        for line in _PHRASES_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    alternatives = "|".join(_phrase_pattern(p) for p in phrases)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def suggests_crisis(text: str | None) -> bool:
    """True if the text contains a reviewed crisis phrase."""
    if not text:
        return False
    return _crisis_regex().search(normalise(text)) is not None


def spam_reasons(sub: LeadSubmission, now: datetime, min_fill_seconds: int, max_links: int) -> list[str]:
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
