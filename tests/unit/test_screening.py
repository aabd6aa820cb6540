"""Crisis and spam screening as pure functions."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import screening
from chalicelib.leads import validate_submission
from chalicelib.screening import CRISIS_RESOURCES, spam_reasons, suggests_crisis


@pytest.mark.parametrize(
    "text",
    [
        "Some days I want to kill myself.",
        "I have thought about ending my life",
        "I don\u2019t want to be here anymore",
        "i dont want to be here any more",
        "Some days I do not want to be here anymore.",
        "I cannot take it anymore",
        "I took an overdose last year",
        "Honestly I feel SUICIDAL most nights",
        "everyone would be better off without me",
        "I can't go on like this",
        "I have a plan to end it all",
        "Je veux mourir -- I want to die",
        "I've been self-harming... I hurt myself again",
    ],
)
def test_crisis_phrases_are_recognised(text: str) -> None:
    assert suggests_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        # Format characters hidden inside a word (zero-width space, soft hyphen, word joiner, BOM)
        "I feel sui\u200bcidal",
        "I want to ki\u00adll myself",
        "I want to k\u2060ill mys\ufeffelf",
        "I\u200d want\u200c to die",
        # Look-alike letters from other scripts: Cyrillic \u0455 \u0456 \u043e \u0430 \u0435, Greek \u03bf
        "\u0455uicidal",
        "I w\u0430nt to k\u0456ll mys\u0435lf",
        "I want to end my lif\u0435",
        "thinking ab\u03bfut suicide",
        "\uff53\uff55\uff49\uff43\uff49\uff44\uff41\uff4c",
        # Digits and symbols for letters, spaced or hyphenated letters
        "su1cide",
        "I want to k1ll myself",
        "I want to kill mys3lf",
        "s u i c i d e",
        "I feel s-u-i-c-i-d-a-l",
        "s.u.i.c.i.d.a.l",
        "I want to k i l l myself",
        # Apostrophe styles, missing apostrophes, case, spacing and punctuation
        "I DON'T WANT TO LIVE",
        "i dont want to live",
        "I don`t want to live",
        "I don\u00b4t want to live",
        "I don\u02bct want to live",
        "i   want   to   die",
        "i want to... die!!!",
        # Slang and common misspellings
        "kms",
        "I want to unalive myself",
        "I feel suicdal",
        "sucidal",
        "suicidel",
        # A third person in danger
        "My son says he wants to kill himself",
        "my wife says she wants to die",
        # Spanish, with or without accents, and mixed with English
        "quitarme la vida",
        "quit\u00e1rme la v\u00edda",
        "Ya no quiero vivir",
        "me quiero matar",
        "mi hijo dice que se quiere morir",
        "I need an appointment, ya no aguanto mas, quiero suicidarme",
        # Asterisks standing for letters
        "s*icidal again",
        "I want to k**ll myself",
        "thinking about su*cide",
    ],
)
def test_evasive_spelling_is_still_recognised(text: str) -> None:
    assert suggests_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "My job is killing it this quarter",
        "I skilled myself up in carpentry",
        "I want to end my lease early",
        "What does the end of my life insurance policy mean?",
        "I don't want to be here in the waiting room too long",
        "Is an overdosed-on-coffee feeling normal?",
        "My therapist says I am a survivor",
        "Please call me in the afternoon",
        "Does ketamine kill depression fast?",
        "I'm dying to know if you take Aetna",
        "The wait is killing me",
        "I'd like to end my current medication",
        "My depression is killing my marriage",
        "I'm sick and tired of insurance runarounds",
        "I have an overdue bill",
        "Can I drive home after?",
        "Do you treat PTSD from a car crash where someone died?",
        "I can't go on Tuesdays",
        "I live 30 kms away",
        "I have been banging my head against the wall with my insurance",
        "I am not suicidal, just numb",
        "Is there a suicide risk assessment at intake?",
        "As an ER nurse I have treated overdoses",
        "My uncle died by suicide and I want grief support",
        "I want to give up caffeine for good before treatment",
        "I set a date for my first infusion, is that ok?",
        "I keep a gun in the house, is that a problem?",
        "F*ck insurance honestly",
        "Call me at 988-555-0143 or 1-800-555-0100",
        # Russian: "Thank you, call me"
        "\u0421\u043f\u0430\u0441\u0438\u0431\u043e, "
        "\u043f\u043e\u0437\u0432\u043e\u043d\u0438\u0442\u0435 \u043c\u043d\u0435",
        "",
        # Spanish near-misses
        "me muero de ganas de saber si aceptan Aetna",
        "la espera me est\u00e1 matando",
        "quiero dejar mi medicamento actual",
        "no quiero despertar mareada despu\u00e9s de la ketamina",
        "tengo que cortarme el pelo antes de la cita",
        "\u00bfhay riesgo de sobredosis con la ketamina?",
    ],
)
def test_near_misses_do_not_match(text: str) -> None:
    assert not suggests_crisis(text)


def test_crisis_resources_name_988_crisis_text_line_and_911() -> None:
    text = " ".join(f"{r['name']} {r['how']} {r.get('call', '')} {r.get('text', '')}" for r in CRISIS_RESOURCES)
    assert "988" in text and "press 1" in text
    assert "HOME" in text and "741741" in text
    assert "911" in text


ROOT = Path(__file__).resolve().parent.parent.parent
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def reasons(**change: Any) -> list[str]:
    base: dict[str, Any] = {
        "first_name": "Avery",
        "phone": "2025550143",
        "preferred_contact": "phone",
        "consent_to_contact": True,
        "started_at": (NOW - timedelta(minutes=2)).isoformat(),
    }
    base.update(change)
    return spam_reasons(validate_submission(base), NOW, min_fill_seconds=3, max_links=2)


def test_a_real_looking_submission_has_no_spam_reasons() -> None:
    assert reasons(message="I read about KAP on your site, see www.example.org") == []


def test_each_spam_reason() -> None:
    assert reasons(website="https://seo.example") == ["honeypot"]
    assert reasons(started_at=(NOW - timedelta(seconds=1)).isoformat()) == ["too_fast"]
    assert reasons(message="a http://a.example b http://b.example c http://c.example") == ["too_many_links"]
    assert reasons(first_name="Cheap http://pills.example") == ["link_in_name"]
    assert reasons(message='<a href="http://x.example">x</a>') == ["markup"]


def test_a_visitor_clock_running_ahead_is_not_mistaken_for_a_bot() -> None:
    assert reasons(started_at=(NOW + timedelta(minutes=4)).isoformat()) == []


def test_the_phrase_file_is_the_only_source_of_phrases(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a phrase file that lists one made-up phrase and nothing else
    phrases = tmp_path / "crisis_phrases.txt"
    phrases.write_text("# test\n@feel = (feel|am)\ni @feel purple*\n", encoding="utf-8")
    monkeypatch.setattr(screening, "_PHRASES_FILES", (phrases,))
    screening._crisis_index.cache_clear()
    try:
        # THEN matching follows that file alone
        assert suggests_crisis("Today I FEEL PURPLE-ish.")
        assert suggests_crisis("i am purple")
        assert not suggests_crisis("I want to kill myself")
    finally:
        screening._crisis_index.cache_clear()


@pytest.mark.parametrize(
    "line",
    ["(unclosed group", "... leading gap", "kill !", "@undefined macro", "@bad name = (a|b)", "want (to|) *"],
)
def test_a_malformed_phrase_line_is_refused_when_the_list_loads(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    phrases = tmp_path / "crisis_phrases.txt"
    phrases.write_text(f"kill myself\n{line}\n", encoding="utf-8")
    monkeypatch.setattr(screening, "_PHRASES_FILES", (phrases,))
    screening._crisis_index.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"crisis_phrases\.txt line 2"):
            suggests_crisis("hello")
    finally:
        screening._crisis_index.cache_clear()


def test_plain_ascii_text_never_loads_the_confusables_library() -> None:
    # The library costs tens of milliseconds to import; cold starts must not pay for it.
    code = (
        "import sys; from chalicelib.screening import suggests_crisis; "
        "suggests_crisis('I\\u2019m curious about KAP \\u2014 caf\\u00e9 ol\\u00e9 \\U0001f60a, do you take Aetna?'); "
        "print('confusable_homoglyphs' in sys.modules); "
        "suggests_crisis('\\u0455uicidal'); print('confusable_homoglyphs' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "True"]


def test_every_phrase_file_in_the_data_folder_is_loaded() -> None:
    # A language's list that is not named in screening would silently never run.
    shipped = set((ROOT / "chalicelib" / "data").glob("crisis_phrases*.txt"))
    assert shipped == set(screening._PHRASES_FILES)


def test_named_groups_belong_to_the_file_that_defines_them(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "crisis_phrases.txt", tmp_path / "crisis_phrases_es.txt"
    first.write_text("@feel = (feel|am)\ni @feel purple\n", encoding="utf-8")
    second.write_text("yo @feel morado\n", encoding="utf-8")
    monkeypatch.setattr(screening, "_PHRASES_FILES", (first, second))
    screening._crisis_index.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"crisis_phrases_es\.txt line 1"):
            suggests_crisis("hola")
    finally:
        screening._crisis_index.cache_clear()


def test_every_phrase_of_the_shipped_list_compiles() -> None:
    # Phrases compile when first needed; a broken one must fail here, never on a visitor's message.
    screening._crisis_index().compile_all()


ASCII_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=200)
INVISIBLE = st.sampled_from(["\u200b", "\u00ad", "\u2060", "\ufeff", "\u200c", "\u200d", "\u3164"])


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_is_screened_without_error(text: str) -> None:
    assert suggests_crisis(text) in (True, False)


@settings(max_examples=150, deadline=None)
@given(text=st.one_of(ASCII_TEXT, st.sampled_from(["I want to kill myself", "i feel suicidal", "kms"])), data=st.data())
def test_case_and_invisible_characters_never_change_the_answer(text: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    hidden = text[:position] + data.draw(INVISIBLE) + text[position:]
    assert suggests_crisis(text.upper()) == suggests_crisis(text) == suggests_crisis(hidden)


def test_the_exported_patterns_are_those_of_the_lists_as_they_are() -> None:
    # The cold start loads the exported patterns; they must be the reviewed lists' own.
    from scripts import export_screening

    committed = screening._COMPILED_FILE.read_text(encoding="utf-8")
    assert committed == export_screening.compiled(), "run: python -m scripts.export_screening"


def test_a_list_edited_after_the_export_is_read_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an export that no longer matches the lists (a reviewer's edit, not yet exported)
    monkeypatch.setattr(screening, "phrase_sources", lambda: ("stale", [("crisis_phrases.txt", "fresh made up words")]))
    screening._crisis_index.cache_clear()
    try:
        # THEN the edited list decides, not the stale export
        assert screening.suggests_crisis("some fresh made up words here")
        assert not screening.suggests_crisis("I want to kill myself")
    finally:
        screening._crisis_index.cache_clear()


def test_the_exported_patterns_answer_every_labelled_message_as_the_lists_do() -> None:
    import json
    from pathlib import Path

    # The reference: the lists read now, every phrase tried on its first word alone (no prefilter).
    from_lists = screening._Index(screening.read_lists(screening.phrase_sources()[1]), prefilter=False)
    exported = screening._crisis_index()
    for path in sorted((Path(__file__).parents[1] / "data").glob("crisis_messages_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            folded = screening.normalise(json.loads(line)["text"])
            assert exported.search(folded) == from_lists.search(folded), line
            assert exported.languages(folded) == from_lists.languages(folded), line


# --- Which language's list a message matched, and the lines it gets ---------


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("ya no quiero vivir, pienso en quitarme la vida", {"es"}),
        # "suicid…" in the English list catches the Spanish word too
        ("me quiero suicidar, no aguanto mas", {"en", "es"}),
        ("Some days I want to kill myself.", {"en"}),
        ("Do you take Aetna?", set()),
        ("", set()),
    ],
)
def test_screening_says_which_languages_lists_a_message_matched(text: str, matched: set[str]) -> None:
    assert screening.crisis_languages(text) == matched
    assert suggests_crisis(text) == bool(matched)


@pytest.mark.parametrize(
    ("matched", "language", "chosen", "lines"),
    [
        ({"es"}, "en", False, "es"),  # written in Spanish, the browser English: the Spanish lines
        ({"en", "es"}, "en", False, "es"),  # the English list also caught the Spanish words
        ({"es"}, "en", True, "es"),  # the English form (which always names English), only Spanish words: Spanish
        ({"en", "es"}, "en", True, "en"),  # the English form, and English words matched too: as the form said
        ({"en"}, "es", False, "es"),  # English words, a Spanish browser: as the request asked
        ({"en"}, "en", False, "en"),
        ({"es"}, "es", False, "es"),
    ],
)
def test_the_crisis_lines_follow_a_message_written_only_in_spanish_whatever_the_form_said(
    matched: set[str], language: str, chosen: bool, lines: str
) -> None:
    assert screening.lines_language(frozenset(matched), language, chosen) == lines


def test_a_phrase_belongs_to_the_language_its_file_names(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "crisis_phrases.txt", tmp_path / "crisis_phrases_es.txt"
    first.write_text("feel purple\n", encoding="utf-8")
    second.write_text("siento morado\n", encoding="utf-8")
    monkeypatch.setattr(screening, "_PHRASES_FILES", (first, second))
    screening._crisis_index.cache_clear()
    try:
        assert screening.crisis_languages("I feel purple") == {"en"}
        assert screening.crisis_languages("hoy siento morado, I feel purple") == {"en", "es"}
    finally:
        screening._crisis_index.cache_clear()


def test_the_lines_an_answer_carries_name_their_language() -> None:
    for language in ("en", "es"):
        assert screening.language_of_lines(screening.crisis_resources(language), "en") == language
    assert screening.language_of_lines([{"name": "edited since"}], "es") == "es"
