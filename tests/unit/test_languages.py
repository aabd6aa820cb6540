"""Which language an answer is said in: the form's `language`, else Accept-Language, else English."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from chalicelib.leads import Language
from chalicelib.words import language_for, languages, negotiate


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es", "es"),
        ("es-MX", "es"),
        ("ES-mx", "es"),
        ("es-419,es;q=0.9", "es"),
        ("en-US,en;q=0.9,es;q=0.8", "en"),
        ("es-MX,es;q=0.9,en-US;q=0.8,en;q=0.7", "es"),
        ("fr-CA, fr;q=0.9, es;q=0.4", "es"),  # French first, but Spanish is the first we have
        ("en;q=0.5, es;q=0.8", "es"),  # order does not matter, q does
        ("es, en", "es"),  # a tie goes to the first listed
        ("en, es", "en"),
        ("es;q=0, en;q=0.1", "en"),
        ("es;q=0", "en"),  # nothing we have is acceptable: the default
        ("en;q=0, es;q=0.2", "es"),
        ("*", "en"),
        ("es;q=0.4, *;q=0.5", "en"),  # any other language (English) is preferred
        ("en;q=0.1, es;q=0.4, *;q=0.9", "es"),  # the wildcard covers only languages not named
        ("es-MX;q=0.2, es;q=0.9, en;q=0.5", "es"),  # the warmest Spanish range counts
        ("de, ja", "en"),
        ("", "en"),
        ("es;q=2", "en"),  # an impossible q: skipped
        ("es;q=abc, en;q=0.1", "en"),
        ("es;q=0.9999", "en"),  # at most three decimals
        ("es;q=0.001", "es"),
        ("e$, es", "es"),
        (" es-MX ; q=0.8 ", "es"),
        (",,;,", "en"),
        ("es-" + "x" * 5000, "en"),
    ],
)
def test_accept_language_picks_the_preferred_language_we_have(header: str, expected: str) -> None:
    assert negotiate(header) == expected


def test_a_long_header_is_read_only_so_far() -> None:
    assert negotiate("de;q=0.1, " * 200 + "es") == "en"


@pytest.mark.parametrize(
    ("requested", "header", "expected"),
    [
        ("es", "", "es"),
        ("ES ", "en", "es"),
        ("en", "es-MX", "en"),
        (None, "es-MX", "es"),
        ("", "es", "es"),
        ("fr", "es", "es"),  # a value we do not have: the header decides (the field is a 422 anyway)
        (7, "", "en"),
        (["es"], "", "en"),
        ("../en", "", "en"),
    ],
)
def test_the_forms_language_comes_first_then_the_header(requested: Any, header: str, expected: str) -> None:
    assert language_for(requested, header) == expected


def test_the_models_languages_are_the_catalogues() -> None:
    # A catalogue the form cannot ask for, or a language with no catalogue, would be a mistake.
    assert set(get_args(Language)) == set(languages()) == {"en", "es"}


def test_a_stage_can_name_a_thank_you_page_and_a_form_page_per_language() -> None:
    from chalicelib.settings import Settings

    settings = Settings.from_env(
        {
            "THANK_YOU_URL": "https://clinic.example/thank-you",
            "THANK_YOU_URL_ES": " https://clinic.example/es/gracias ",
            "FORM_URL": "https://clinic.example/start",
            "FORM_URL_ES": "https://clinic.example/es/",
            "THANK_YOU_URL_FRENCH": "https://clinic.example/merci",  # not a language suffix: ignored
        }
    )
    assert settings.thank_you_for("es") == "https://clinic.example/es/gracias"
    assert settings.thank_you_for("en") == "https://clinic.example/thank-you"
    assert settings.form_url_for("es") == "https://clinic.example/es/"
    assert settings.form_url_for("en") == "https://clinic.example/start"
    assert Settings.from_env({}).thank_you_for("es") == "/thank-you"


def test_a_form_page_per_language_must_be_a_full_address() -> None:
    from chalicelib.settings import Settings

    with pytest.raises(ValueError, match="FORM_URL_ES"):
        Settings.from_env({"FORM_URL_ES": "javascript:alert(1)"})


def test_staff_have_a_name_for_every_language() -> None:
    from chalicelib.staff.labels import LANGUAGES

    assert set(LANGUAGES) == set(languages())
