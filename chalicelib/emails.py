"""Email address syntax, checked by email_validator, loaded without its slowest start-up work.

email_validator compiles its patterns when it is imported, on the first
submission of every cold start. Five of them name every non-ASCII code point
as a range in a character class (`[...\\u0080-\\U0010FFFF]`), and Python's
regex compiler walks such a range one BMP code point at a time: about 30 ms
of CPU for the five, a tenth of a cold start. While it is imported here, each
such class is compiled as the negated ASCII class it equals (`[^` + the ASCII
characters the class leaves out + `]`): the same set of characters, so the
same matches, in a fraction of a millisecond. tests/unit/test_emails.py checks
the two against every code point.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

# Every code point above ASCII, as a class range, in the two spellings
# email_validator uses: the characters themselves, or regex escapes.
_WIDE_RANGES = ("\x80-\U0010ffff", r"\u0080-\U0010FFFF")
_ASCII = [chr(code) for code in range(128)]

_validator: tuple[Callable[..., Any], type[Exception]] | None = None


def normalized(address: str) -> str:
    """The address as email_validator normalises it (deliverability not checked); ValueError if it is not one."""
    global _validator
    if _validator is None:
        with _narrow_wide_classes():
            from email_validator import EmailNotValidError, validate_email
        _validator = (validate_email, EmailNotValidError)
    validate, invalid = _validator
    try:
        return str(validate(address, check_deliverability=False).normalized)
    except invalid:
        raise ValueError("invalid email") from None


def narrowed(pattern: str) -> str:
    """`pattern` with each class that ends in the whole non-ASCII range written as a negated ASCII class.

    Classes of any other form, and a pattern this cannot read with certainty,
    are left as they are.
    """
    out, last = [], 0
    for start, end in _classes(pattern):
        inner = pattern[start + 1 : end]
        replacement = _negated(inner)
        if replacement is not None:
            out += [pattern[last:start], replacement]
            last = end + 1
    return "".join(out) + pattern[last:] if out else pattern


def _negated(inner: str) -> str | None:
    """`[^...]` for the class `[inner]` when it ends in the whole non-ASCII range, else None."""
    if inner.startswith("^"):
        return None
    for wide in _WIDE_RANGES:
        if not inner.endswith(wide):
            continue
        rest = inner[: -len(wide)]
        trailing = len(rest) - len(rest.rstrip("\\"))
        if trailing % 2 or rest.endswith("-"):
            return None  # the range would read differently on its own
        ascii_in = re.compile(f"[{rest}]").fullmatch if rest else (lambda _: None)
        left_out = [c for c in _ASCII if not ascii_in(c)]
        if not left_out:
            return None
        return "[^" + _ranges(ord(c) for c in left_out) + "]"
    return None


def _ranges(codes: Iterable[int]) -> str:
    """Ascending code points as class members, each run of three or more as a range: `\\x00-\\x20\\x22`."""
    runs: list[list[int]] = []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    parts = []
    for first, last in runs:
        if last - first >= 2:
            parts.append(f"\\x{first:02x}-\\x{last:02x}")
        else:
            parts += [f"\\x{code:02x}" for code in range(first, last + 1)]
    return "".join(parts)


def _classes(pattern: str) -> Iterator[tuple[int, int]]:
    """(index of `[`, index of its `]`) for each character class at the top level of `pattern`."""
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1  # a `]` first in a class is a character
            while j < n and pattern[j] != "]":
                if pattern[j] == "[":
                    return  # a nested set: not a pattern this reads
                j += 2 if pattern[j] == "\\" else 1
            if j >= n:
                return
            yield i, j
            i = j + 1
            continue
        i += 1


@contextmanager
def _narrow_wide_classes() -> Iterator[None]:
    """While a module is imported, compile its patterns (plain str, no flags) with their wide classes narrowed."""
    compile_ = re.compile

    def compile(pattern: Any, flags: Any = 0) -> re.Pattern[Any]:
        if isinstance(pattern, str) and not flags and any(wide in pattern for wide in _WIDE_RANGES):
            pattern = narrowed(pattern)
        return compile_(pattern, flags)

    re.compile = compile
    try:
        yield
    finally:
        re.compile = compile_
