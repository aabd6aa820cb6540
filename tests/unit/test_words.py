"""Words as data: every visitor-facing word comes from a catalogue, by a code the code really uses."""

from __future__ import annotations

import ast
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from string import Formatter
from typing import Any

import pytest

from chalicelib import words
from chalicelib.words import MissingWords, catalogue, text

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(words.CATALOGUES.glob("*.json"))
# Where codes are named: the server, and the export that hands the snippet its words.
CODE_SOURCES = [*sorted(ROOT.joinpath("chalicelib").rglob("*.py")), ROOT / "scripts" / "export_schema.py"]
CODE = re.compile(r"^(?:received|received_crisis|(?:field|label|problem|hours|crisis|page|web)(?:\.[a-z0-9_]+)+)$")
ENGLISH = catalogue("en")


def _string_constants(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def _named_codes() -> dict[str, str]:
    """Every code-shaped literal in the code -> where it is."""
    found: dict[str, str] = {}
    for path in CODE_SOURCES:
        for line, value in _string_constants(path):
            if CODE.match(value):
                found.setdefault(value, f"{path.relative_to(ROOT)}:{line}")
    return found


# ---------------------------------------------------------------------------
# The catalogue and the code agree
# ---------------------------------------------------------------------------


def test_every_code_the_code_names_is_in_the_catalogue() -> None:
    # A literal names one text ("received") or a group whose members the code
    # completes ("problem.rate_limited" -> .title and .detail).
    missing = {
        code: where
        for code, where in _named_codes().items()
        if code not in ENGLISH and not any(key.startswith(code + ".") for key in ENGLISH)
    }
    assert not missing, f"codes with no text in en.json: {missing}"


def test_every_code_given_to_text_is_a_whole_entry() -> None:
    calls = []
    for path in CODE_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            code = node.args[1]
            if name in {"text", "template", "_html"} and isinstance(code, ast.Constant):
                calls.append((code.value, f"{path.relative_to(ROOT)}:{node.lineno}"))
    assert len(calls) >= 20  # the scan sees the calls (it would pass on nothing otherwise)
    assert [c for c in calls if c[0] not in ENGLISH] == []


def test_every_group_the_code_completes_has_all_its_members() -> None:
    named = _named_codes()
    problems = [c for c in named if c.startswith("problem.")]
    lines = [c for c in named if c.startswith("crisis.") and c not in ENGLISH]
    assert len(problems) == 14 and len(lines) == 3
    for code in problems:
        assert {f"{code}.title", f"{code}.detail"} <= set(ENGLISH), code
    for code in lines:
        assert {f"{code}.name", f"{code}.how"} <= set(ENGLISH), code


def test_no_code_in_the_catalogue_is_unused() -> None:
    named = set(_named_codes())
    unused = [code for code in ENGLISH if code not in named and not any(code.startswith(n + ".") for n in named)]
    assert unused == []


# ---------------------------------------------------------------------------
# Every language has the same codes
# ---------------------------------------------------------------------------


def _pairs_without_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    assert not repeated, f"a code given twice (JSON keeps only the last): {repeated}"
    return dict(pairs)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_each_catalogue_is_one_flat_object_of_texts_with_no_code_twice(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_pairs_without_repeats)
    assert data and all(isinstance(v, str) and v.strip() for v in data.values())
    assert data == catalogue(path.stem)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_every_catalogue_has_exactly_the_english_codes_and_placeholders(path: Path) -> None:
    other = catalogue(path.stem)
    assert sorted(set(ENGLISH) - set(other)) == [], f"missing from {path.name}"
    assert sorted(set(other) - set(ENGLISH)) == [], f"only in {path.name}"
    for code in ENGLISH:
        # A translation may leave a value out (it need not say every number), never ask for one not given.
        assert words.placeholders(path.stem, code) <= words.placeholders("en", code), (path.name, code)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_every_catalogues_crisis_links_can_be_tapped_to_call_or_text(path: Path) -> None:
    from chalicelib.screening import crisis_resources

    lines = crisis_resources(path.stem)
    assert len(lines) == 3
    for line in lines:
        assert "call" in line or "text" in line
        assert re.fullmatch(r"tel:\d{3,}", line.get("call", "tel:911")), line
        assert re.fullmatch(r"sms:\d{3,}(\?&body=[A-Z]+)?", line.get("text", "sms:988")), line
    assert {line.get("call") for line in lines} >= {"tel:988", "tel:911"}


def test_the_spanish_crisis_lines_name_the_spanish_option_of_the_lifeline() -> None:
    from chalicelib.screening import crisis_resources

    lifeline, text_line, emergency = crisis_resources("es")
    assert "Llame al 988 y marque 2" in lifeline["how"]
    assert "envíe AYUDA por mensaje de texto al 988" in lifeline["how"]
    assert lifeline["text"] == "sms:988?&body=AYUDA"
    assert text_line["text"] == "sms:741741?&body=HOLA" and "HOLA" in text_line["how"]
    assert emergency["call"] == "tel:911" and "911" in emergency["how"]


# Texts that are the same in both languages: a format, a prefix, a name, or a link.
_SAME_IN_SPANISH = re.compile(
    r"^(?:hours\.list\.separator|page\.invalid\.item|crisis\.item|web\.error_prefix|.*\.(?:call|text))$"
)


def test_the_spanish_catalogue_is_translated_not_copied() -> None:
    spanish = catalogue("es")
    copied = [c for c in ENGLISH if spanish[c] == ENGLISH[c] and not _SAME_IN_SPANISH.match(c)]
    assert copied == []
    # The usted register: never the informal "tú" forms a clinic would not write to a patient.
    informal = re.compile(r"\b(tú|tu|te|ti|contigo|puedes|quieres|escribe|elige|revisa|llama|envía|marca)\b", re.I)
    assert [(c, t) for c, t in spanish.items() if informal.search(t)] == []


def test_the_languages_are_the_catalogue_files_default_first() -> None:
    assert words.languages()[0] == "en"
    assert set(words.languages()) == {p.stem for p in CATALOGUES}


# ---------------------------------------------------------------------------
# Looking words up
# ---------------------------------------------------------------------------


def test_a_missing_code_is_a_clear_error_naming_the_code_and_language() -> None:
    with pytest.raises(MissingWords, match=r"no text for code 'problem\.nope\.title' in the 'en' catalogue"):
        text("en", "problem.nope.title")


@pytest.mark.parametrize("language", ["xx", "../en", "EN", "", "en/../en"])
def test_a_language_with_no_catalogue_is_a_clear_error_never_a_path(language: str) -> None:
    with pytest.raises(MissingWords, match=r"catalogue|language code"):
        text(language, "received", hours="")


def test_a_missing_value_is_a_clear_error_naming_it() -> None:
    with pytest.raises(MissingWords, match=r"'field\.any\.too_long' in 'en' needs a value for \{limit\}"):
        text("en", "field.any.too_long")


def test_values_are_put_in_as_given_escaping_is_for_the_page() -> None:
    typed = '<b>Tom & "Jo"</b> {limit} {{x}}'
    assert text("en", "page.you_entered", typed=typed) == f"(you entered: {typed})"
    assert text("en", "field.any.too_long", limit=7) == "Please keep this to at most 7 characters."


def test_escape_applies_to_the_catalogues_own_words_only() -> None:
    got = text("en", "page.back_hint", escape=lambda w: w.upper(), back="<strong>Back</strong>")
    assert got.startswith("USE YOUR BROWSER'S <strong>Back</strong> BUTTON TO RETURN")
    assert got.endswith("WHAT YOU TYPED SHOULD STILL BE THERE.")


# ---------------------------------------------------------------------------
# Another language only adds a file: a made-up one goes everywhere English goes
# ---------------------------------------------------------------------------


def _pseudo(code: str, words_: str) -> str:
    # Each run of the catalogue's own words becomes a marker naming its code; placeholders stay.
    out = []
    for literal, name, spec, conversion in Formatter().parse(words_):
        out.append(f"«{code}»" if literal else "")
        if name is not None:
            out.append("{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}")
    return "".join(out)


@pytest.fixture
def pseudo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A catalogue `xx` beside English in which every text is a marker of its code."""
    from chalicelib import hours, screening

    for path in CATALOGUES:
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "xx.json").write_text(json.dumps({c: _pseudo(c, w) for c, w in ENGLISH.items()}), encoding="utf-8")
    monkeypatch.setattr(words, "CATALOGUES", tmp_path)
    for cached in (words._load, words._parsed, words.languages, hours._sentence, screening._crisis_resources):
        cached.cache_clear()
    yield "xx"
    for cached in (words._load, words._parsed, words.languages, hours._sentence, screening._crisis_resources):
        cached.cache_clear()


def _leftover(page: str, *values: str) -> str:
    """What a page says that is neither a catalogue marker nor a value the visitor or stage gave."""
    page = re.sub(r"<style>.*?</style>", "", page)
    said = html.unescape(re.sub(r"<[^>]+>", " ", page))
    for value in values:
        said = said.replace(value, " ")
    return re.sub(r"«[a-z0-9_.]+»", " ", said).strip()


def test_field_errors_hours_and_crisis_lines_follow_the_language(pseudo: str) -> None:
    from chalicelib.leads import InvalidSubmission, validate_submission
    from chalicelib.screening import crisis_resources
    from chalicelib.settings import Settings

    with pytest.raises(InvalidSubmission) as caught:
        validate_submission({"first_name": "x" * 101, "message": "y" * 2001, "preferred_contact": "text"}, "US", pseudo)
    said = {e.field: e.message for e in caught.value.errors}
    assert said["first_name"] == "«field.first_name.too_long»100«field.first_name.too_long»"
    assert said["message"] == "«field.any.too_long»2000«field.any.too_long»"
    assert said["phone"] == "«field.phone.for_channel»"
    hours = Settings(clinic_hours="Mon-Fri 08:30-17:00, Sat 12:00-12:30").office_hours.sentence(pseudo)
    assert hours.startswith("«hours.sentence»") and not re.search(r"[A-Za-z]", _leftover(hours)), hours
    for line in crisis_resources(pseudo):
        assert not re.search(r"[A-Za-z]", _leftover(line["name"] + line["how"]))
        assert set(line) - {"name", "how"} <= {"call", "text"}


def test_every_no_javascript_page_is_in_the_language_and_says_nothing_of_its_own(pseudo: str) -> None:
    from chalicelib import http
    from chalicelib.leads import InvalidSubmission, validate_submission
    from chalicelib.settings import Settings

    settings = Settings(clinic_phone="(202) 555-0100", form_url="https://clinic.example/start")
    help_html = http._help_html(settings, "", pseudo)
    typed = {"first_name": "", "email": "<b>bad@@", "preferred_contact": "pigeon-7"}
    with pytest.raises(InvalidSubmission) as caught:
        validate_submission(typed, "US", pseudo)
    pages = [
        http._failure(True, status, code, {}, help_html, crisis=True, language=pseudo, values=values)
        for status, code, values in [
            (400, "problem.bad_idempotency_key", {"limit": 128}),
            (413, "problem.too_large", {"kib": 16}),
            (429, "problem.rate_limited", {}),
            (503, "problem.unavailable", {}),
        ]
    ]
    title = text(pseudo, "problem.invalid.title")
    pages.append(http.html_page(422, title, http._errors_html(caught.value, typed, pseudo), {}, pseudo))
    for page in pages:
        body = str(page.body)
        assert body.startswith('<!doctype html><html lang="xx">')
        left = _leftover(body, "<b>bad@@", "pigeon-7")
        assert not re.search(r"[A-Za-z]", left), left


def test_the_schema_export_carries_every_language_without_a_change(pseudo: str) -> None:
    from scripts import export_schema

    built = export_schema.build()
    english = built["x-messages"]
    other = built["x-translations"][pseudo]
    assert set(other) == {"x-messages", "x-text"}
    assert {f: set(kinds) for f, kinds in other["x-messages"].items()} == {f: set(k) for f, k in english.items()}
    assert other["x-messages"]["email"]["one_of"] == "«field.email.one_of»"
    assert set(other["x-text"]) == set(built["x-text"]) == set(export_schema.WEB_TEXT)


# ---------------------------------------------------------------------------
# The snippet and the server say the same words
# ---------------------------------------------------------------------------

_VALID: dict[str, Any] = {
    "first_name": "Sam",
    "email": "sam@example.org",
    "phone": "(202) 555-0143",
    "preferred_contact": "phone",
    "consent_to_contact": True,
}
_DROP = object()
# (field, kind of mistake) -> changes that make the server reject exactly that.
_PROBES: dict[tuple[str, str], dict[str, Any]] = {
    ("first_name", "required"): {"first_name": " "},
    ("first_name", "no_visible_letter"): {"first_name": "!!!"},
    ("email", "invalid"): {"email": "not-an-address"},
    ("phone", "invalid"): {"phone": "12"},
    ("preferred_contact", "required"): {"preferred_contact": _DROP},
    ("preferred_contact", "invalid"): {"preferred_contact": "pigeon"},
    ("best_time", "invalid"): {"best_time": "midnight"},
    ("service", "invalid"): {"service": "something"},
    ("tried_treatments", "invalid"): {"tried_treatments": ["something"]},
    ("consent_to_contact", "required"): {"consent_to_contact": False},
    ("email", "one_of"): {"email": _DROP, "phone": _DROP, "preferred_contact": "phone"},
    ("phone", "one_of"): {"email": _DROP, "phone": _DROP, "preferred_contact": "email"},
    ("phone", "for_channel"): {"phone": _DROP, "preferred_contact": "text", "consent_to_text": True},
    ("email", "for_channel"): {"email": _DROP, "preferred_contact": "email"},
    ("consent_to_text", "required"): {"preferred_contact": "text"},
    ("language", "invalid"): {"language": "fr"},
}


def _server_says(field: str, changes: dict[str, Any]) -> str:
    from chalicelib.leads import InvalidSubmission, validate_submission

    body = {k: v for k, v in {**_VALID, **changes}.items() if v is not _DROP}
    with pytest.raises(InvalidSubmission) as caught:
        validate_submission(body)
    return {e.field: e.message for e in caught.value.errors}[field]


def test_each_message_the_form_shows_is_what_the_server_answers_for_that_mistake() -> None:
    from scripts import export_schema

    schema = export_schema.build()
    exported = schema["x-messages"]
    probes = dict(_PROBES)
    for name, spec in schema["properties"].items():
        limit = export_schema.max_length(spec)
        if limit is not None and name in exported:
            probes[(name, "too_long")] = {name: "x" * (limit + 1)}
    assert {(f, k) for f, kinds in exported.items() for k in kinds} == set(probes)
    for (field, kind), changes in probes.items():
        assert exported[field][kind] == _server_says(field, changes), (field, kind)


def _snippet_copy(name: str) -> dict[str, str]:
    source = (ROOT / "web" / "next-steps.js").read_text(encoding="utf-8")
    start = source.index(f"var {name} = {{")
    block = source[start : source.index("};", start)]
    return {m[1]: json.loads(m[2]) for m in re.finditer(r'^ {4}(\w+): ("(?:[^"\\]|\\.)*"),$', block, re.M)}


def test_the_snippets_own_words_are_the_catalogues_and_it_keeps_a_copy_of_each_in_step() -> None:
    from scripts import export_schema

    schema = json.loads((ROOT / "web" / "lead-schema.json").read_text(encoding="utf-8"))
    assert _snippet_copy("ENGLISH") == schema["x-text"] == export_schema.web_text("en")
    assert _snippet_copy("SPANISH") == schema["x-translations"]["es"]["x-text"] == export_schema.web_text("es")
    source = (ROOT / "web" / "next-steps.js").read_text(encoding="utf-8")
    assert "var BUILT_IN = { en: ENGLISH, es: SPANISH };" in source
    assert set(words.languages()) == {"en", "es"}, "a new catalogue: add its copy to the snippet's BUILT_IN"
    used = set(re.findall(r"\btext\.(\w+)\b", source))
    assert used == set(export_schema.WEB_TEXT), "the snippet reads exactly the words the export gives it"


# ---------------------------------------------------------------------------
# No visitor-facing English left in the code
# ---------------------------------------------------------------------------

# A capitalised word and another ("Method not allowed", "Eastern Time"), a
# lower-case sentence's end ("could not be read."), or a word alone between
# tags ('">Call</a>'). Single words outside markup ("Monday", "noon") look like
# header names and enum values and cannot be told apart by shape.
SENTENCE = re.compile(r"\b[A-Z][a-z']+ [A-Za-z][a-z']+|\b[a-z']+ [a-z']+ [a-z']+[.!?](?:\s|$)|>[A-Z][a-z]+<")
# Staff-facing by design ("Staff notices stay in English", shared/DESIGN.md).
# The staff API answers signed-in staff, in English like the notices.
STAFF_FILES = {"notices.py", "staff_api.py", "auth.py"}


def sentence_literals(source: str) -> list[tuple[int, str]]:
    """Sentence-like string literals, leaving out docstrings and the messages of raised errors."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        # An error's message is for operators and logs; the edge answers visitors by code.
        # Not BadRequest: it carries the code of visitor words, never the words.
        if isinstance(node, ast.Raise) and "BadRequest" not in ast.unparse(node):
            skip.update(id(sub) for sub in ast.walk(node))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and SENTENCE.search(node.value)
    ]


def test_the_detector_finds_visitor_words_and_ignores_docstrings_and_errors() -> None:
    source = '''
"""A module docstring, Like This."""
def f(x):
    """Do the thing."""
    if x:
        raise ValueError("CLINIC_HOURS must look like Mon-Fri. Fix it.")
    log_event("lead_rejected", outcome="bad_request")
    link = f'<a href="{x}">Call</a>'
    return problem(400, "Bad request", "the form could not be read.")
'''
    assert sorted(line for line, _ in sentence_literals(source)) == [8, 9, 9]


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(ROOT.joinpath("chalicelib").glob("*.py")) if p.name not in STAFF_FILES],
    ids=lambda p: p.name,
)
def test_no_visitor_facing_english_is_left_in_the_code(path: Path) -> None:
    found = sentence_literals(path.read_text(encoding="utf-8"))
    assert not found, f"{path.name}: words belong in chalicelib/data/messages/en.json: {found}"
