"""Email addresses are judged exactly as email_validator judges them, with its patterns compiled the quick way."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib import emails
from chalicelib.leads import InvalidSubmission, validate_submission

# Every code point Python can hold in a string, surrogates included.
EVERY_CODE_POINT = "".join(map(chr, range(sys.maxunicode + 1)))


def library_patterns() -> dict[str, re.Pattern[str]]:
    """email_validator's compiled constants, compiled by the library's own code with the real re.compile."""
    origin = importlib.util.find_spec("email_validator.rfc_constants").origin  # type: ignore[union-attr]
    assert origin is not None
    namespace: dict[str, Any] = {}
    exec(compile(Path(origin).read_text(encoding="utf-8"), origin, "exec"), namespace)
    return {name: value for name, value in namespace.items() if isinstance(value, re.Pattern)}


def classes(pattern: str) -> list[str]:
    return [pattern[start : end + 1] for start, end in emails._classes(pattern)]


def outside_classes(pattern: str) -> str:
    for start, end in reversed(list(emails._classes(pattern))):
        pattern = pattern[:start] + "[]" + pattern[end + 1 :]
    return pattern


WIDE = {name: p for name, p in library_patterns().items() if any(w in p.pattern for w in emails._WIDE_RANGES)}


def test_the_library_still_has_the_wide_patterns_this_speeds_up() -> None:
    # An email_validator release that writes them otherwise would silently lose the speed-up.
    assert set(WIDE) == {"ATEXT_INTL_DOT_RE", "DOT_ATOM_TEXT_INTL", "ATEXT_HOSTNAME_INTL", "QTEXT_INTL"}


@pytest.mark.parametrize("name", sorted(WIDE))
def test_each_narrowed_pattern_matches_exactly_the_characters_the_library_s_does(name: str) -> None:
    # GIVEN one of the library's patterns with a class ending in U+0080..U+10FFFF
    original = WIDE[name].pattern
    # WHEN it is narrowed
    quick = emails.narrowed(original)
    # THEN only its classes changed, each became a negated ASCII class, and each matches
    # the same set of characters, checked on every code point
    assert quick != original
    assert outside_classes(quick) == outside_classes(original)
    for before, after in zip(classes(original), classes(quick), strict=True):
        if before == after:
            continue
        assert after.startswith("[^") and after.isascii()
        assert re.compile(after).findall(EVERY_CODE_POINT) == re.compile(before).findall(EVERY_CODE_POINT), before


@pytest.mark.parametrize(
    "pattern",
    [
        "[^a\x80-\U0010ffff]",  # negated: a different set
        "[a-\x80-\U0010ffff]",  # `a-\x80` would be read as a range first
        "[a\\\x80-\U0010ffff]",  # an escaped range start
        r"\[a\u0080-\U0010FFFF]",  # not a class at all
        "[a\x80-\uffff]",  # not the whole range
        "[[a]\x80-\U0010ffff]",  # a nested set
    ],
)
def test_a_class_of_any_other_form_is_left_as_it_is(pattern: str) -> None:
    assert emails.narrowed(pattern) == pattern


ADDRESSES = [
    "avery.quill@example.org",
    "Avery.Quill@Example.ORG",
    "o'brien+forms@clinic.example.com",
    "josé@example.org",
    "用户@例子.广告",
    "user@xn--mnchen-3ya.de",
    "a" * 64 + "@example.org",
    "a" * 65 + "@example.org",
    "not-an-address",
    "two@@example.org",
    "dots..in@example.org",
    ".lead@example.org",
    "space in@example.org",
    "user@localhost",
    "user@-bad-.example",
    '"quoted"@example.org',
    "user@[192.0.2.1]",
    "user@example.org\u200b",
    "Ünïcödé@exämple.org",
    "tab\t@example.org",
    "emoji\U0001f600@example.org",
    "ctrl\x7f@example.org",
]

# Each prints a JSON list: the normalised address, or null where it is refused.
PLAIN = (
    "import json, sys\n"
    "from email_validator import EmailNotValidError, validate_email\n"
    "def one(a):\n"
    "    try:\n"
    "        return validate_email(a, check_deliverability=False).normalized\n"
    "    except EmailNotValidError:\n"
    "        return None\n"
    "print(json.dumps([one(a) for a in json.loads(sys.stdin.read())]))"
)
QUICK = (
    "import json, sys\n"
    "from chalicelib.emails import normalized\n"
    "def one(a):\n"
    "    try:\n"
    "        return normalized(a)\n"
    "    except ValueError:\n"
    "        return None\n"
    "print(json.dumps([one(a) for a in json.loads(sys.stdin.read())]))"
)


def verdicts(program: str) -> list[str | None]:
    done = subprocess.run(
        [sys.executable, "-c", program], input=json.dumps(ADDRESSES), capture_output=True, text=True, check=True
    )
    found: list[str | None] = json.loads(done.stdout)
    return found


def test_addresses_are_accepted_refused_and_normalised_as_the_library_as_published_does() -> None:
    # GIVEN email_validator's own verdicts, from a fresh interpreter that imports it as published
    expected = verdicts(PLAIN)
    # WHEN the same addresses are checked the app's way, in a fresh interpreter (as on a cold start)
    got = verdicts(QUICK)
    # THEN every address is accepted (and stored) or refused alike
    assert got == expected
    assert None in expected and "avery.quill@example.org" in expected  # both kinds were tried


def test_a_submission_s_address_is_checked_with_the_narrowed_patterns() -> None:
    # GIVEN a fresh interpreter (as on a cold start) WHEN the first submission with an address is validated
    probe = (
        "import re; compile_ = re.compile\n"
        "from chalicelib.leads import InvalidSubmission, validate_submission\n"
        "sub = validate_submission({'first_name': 'Avery', 'email': 'Avery@Example.org',"
        " 'preferred_contact': 'email', 'consent_to_contact': True})\n"
        "import email_validator.rfc_constants as rc\n"
        "print(sub.email, rc.QTEXT_INTL.pattern, re.compile is compile_)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    # THEN the address is normalised, the library's patterns are the quick ones, and re.compile is re's own again
    assert out == ["Avery@example.org", r"[^\x00-\x1f\x7f]", "True"]


def test_an_invalid_address_is_named_in_the_visitor_s_errors() -> None:
    with pytest.raises(InvalidSubmission) as caught:
        validate_submission(
            {
                "first_name": "Avery",
                "email": "two@@example.org",
                "preferred_contact": "email",
                "consent_to_contact": True,
            }
        )
    assert [e.field for e in caught.value.errors] == ["email"]
