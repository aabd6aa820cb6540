"""Words as data: the visitor-facing text of each language, looked up by stable codes.

One catalogue per language, `chalicelib/data/messages/<language>.json`: a flat
JSON object from code (`"problem.rate_limited.title"`) to text, where a
`{name}` is filled from the values given. Each file is read on first use, once
per process (a small `json.load`, no compile step). Nothing here escapes:
HTML escaping belongs to the page that shows the words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from string import Formatter
from typing import Any

DEFAULT_LANGUAGE = "en"
CATALOGUES = Path(__file__).parent / "data" / "messages"
# A language is a file name: never a path, whatever a request may one day carry.
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_FORMATTER = Formatter()


class MissingWords(LookupError):
    """A language with no catalogue, a code its catalogue lacks, or a value its text needs."""


@lru_cache(maxsize=1)
def languages() -> tuple[str, ...]:
    """Every language with a catalogue, the default first."""
    found = sorted(p.stem for p in CATALOGUES.glob("*.json") if _LANGUAGE.match(p.stem))
    return tuple(sorted(found, key=lambda lang: lang != DEFAULT_LANGUAGE))


def catalogue(language: str) -> dict[str, str]:
    """The language's whole catalogue, code -> text (read once, then cached)."""
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        raise MissingWords(f"{language!r} is not a language code such as 'en'")
    return _load(language)


@lru_cache(maxsize=8)
def _load(language: str) -> dict[str, str]:
    path = CATALOGUES / f"{language}.json"
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise MissingWords(f"no catalogue for language {language!r} (expected {path.name} in {CATALOGUES})") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise MissingWords(f"{path.name} must be one JSON object of code -> text")
    return data


def template(language: str, code: str) -> str:
    """The raw text of `code` in `language`, its `{name}` placeholders unfilled."""
    words = catalogue(language)
    try:
        return words[code]
    except KeyError:
        raise MissingWords(f"no text for code {code!r} in the {language!r} catalogue ({language}.json)") from None


def text(language: str, code: str, *, escape: Callable[[str], str] | None = None, **values: Any) -> str:
    """The words for `code` in `language`, with each `{name}` filled from `values`.

    Values are put in as given. `escape`, when given, is applied to the
    catalogue's own words only (a page passes `html.escape` and values it has
    made safe itself).
    """
    out = []
    for literal, name, spec, conversion in _parsed(language, code):
        out.append(escape(literal) if escape else literal)
        if name is None:
            continue
        if name not in values:
            raise MissingWords(f"the text for {code!r} in {language!r} needs a value for {{{name}}}")
        value = _FORMATTER.convert_field(values[name], conversion)
        out.append(_FORMATTER.format_field(value, spec or ""))
    return "".join(out)


@lru_cache(maxsize=512)
def _parsed(language: str, code: str) -> tuple[tuple[str, str | None, str | None, str | None], ...]:
    # Parsed once per text: the answer to every submission says several.
    return tuple(_FORMATTER.parse(template(language, code)))


def placeholders(language: str, code: str) -> set[str]:
    """The names a code's text fills in (for checking catalogues against each other)."""
    return {name for _, name, _, _ in _FORMATTER.parse(template(language, code)) if name}


# ---------------------------------------------------------------------------
# Which language to answer in
# ---------------------------------------------------------------------------

# A header longer than this is read only this far (API Gateway caps headers anyway).
_ACCEPT_MAX = 1000
_QUALITY = re.compile(r"^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$", re.I)
_RANGE = re.compile(r"^(?:\*|[a-z]{1,8}(?:-[a-z0-9]{1,8})*)$", re.I)


def supported(value: Any) -> str | None:
    """`value` as one of the catalogues' languages ("ES" is "es"), or None."""
    if not isinstance(value, str):
        return None
    wanted = value.strip().lower()
    return wanted if wanted in languages() else None


def negotiate(accept_language: str) -> str:
    """The language an `Accept-Language` header prefers among the catalogues' (RFC 9110), else the default.

    Each range counts by its primary tag ("es-MX" and "es-419" are "es"), at
    its `q` (1 when absent; 0 means "not this one"); the highest wins, the
    first listed on a tie. `*` stands for every language the header does not
    name. A range or `q` that cannot be read is skipped.
    """
    said: dict[str, tuple[float, int]] = {}  # primary tag -> (q, place in the header)
    for place, entry in enumerate(accept_language[:_ACCEPT_MAX].split(",")):
        tag, *params = (part.strip() for part in entry.split(";"))
        if not _RANGE.match(tag):
            continue
        quality = 1.0
        for param in params:
            if param[:2].lower() == "q=":
                found = _QUALITY.match(param)
                quality = float(found[1]) if found else -1.0
        primary = tag.split("-")[0].lower()
        # "es-MX" and "es" both say Spanish: the warmest of them counts.
        if quality >= 0 and quality > said.get(primary, (-1.0, 0))[0]:
            said[primary] = (quality, place)
    anything = said.pop("*", (0.0, 0))
    # Higher q first, then earlier in the header, then the catalogue order (the default first).
    ranked = []
    for order, language in enumerate(languages()):
        quality, place = said.get(language, anything)
        ranked.append((quality, -place, -order, language))
    quality, _, _, best = max(ranked)
    return best if quality > 0 else DEFAULT_LANGUAGE


def language_for(requested: Any, accept_language: str) -> str:
    """The answer's language: the one the form asked for, else the header's choice, else the default."""
    return supported(requested) or negotiate(accept_language)
