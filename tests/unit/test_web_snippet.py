"""The form snippet in web/ agrees with the server's model: same fields, limits, choices and words."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from scripts import export_schema

WEB = Path(__file__).parents[2] / "web"
LOCAL_API = "http://127.0.0.1:8000/leads"
# The demo pages: the same snippet in English and in Spanish.
PAGES = ["index.html", "es/index.html"]
on_every_page = pytest.mark.parametrize("page", PAGES)


class _Form(HTMLParser):
    """Controls of the snippet's form: name -> attributes, and each name's option values."""

    def __init__(self) -> None:
        super().__init__()
        self.form: dict[str, str] = {}
        self.controls: dict[str, list[dict[str, str]]] = {}
        self.options: dict[str, list[str]] = {}
        self._select = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "ns-form" in a.get("class", ""):
            self.form = a
        if tag in ("input", "select", "textarea") and a.get("name"):
            self.controls.setdefault(a["name"], []).append({"tag": tag, **a})
            if a.get("type") in ("radio", "checkbox") and "value" in a:
                self.options.setdefault(a["name"], []).append(a["value"])
        if tag == "select":
            self._select = a.get("name", "")
        if tag == "option" and self._select:
            self.options.setdefault(self._select, []).append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = ""


def snippet(page: str = "index.html") -> _Form:
    parser = _Form()
    parser.feed((WEB / page).read_text(encoding="utf-8"))
    return parser


def schema() -> dict[str, Any]:
    return json.loads((WEB / "lead-schema.json").read_text(encoding="utf-8"))


def test_the_committed_schema_matches_the_servers_model() -> None:
    # If this fails, run: python -m scripts.export_schema
    assert (WEB / "lead-schema.json").read_text(encoding="utf-8") == export_schema.render()


@on_every_page
def test_every_form_field_is_one_the_server_knows_with_the_same_limit(page: str) -> None:
    form, properties = snippet(page), schema()["properties"]
    for name, controls in form.controls.items():
        assert name in properties, f"the server ignores {name!r}"
        if name == "website":
            continue  # the honeypot: anything in it marks the lead as spam
        limit = export_schema.max_length(properties[name])
        for control in controls:
            if control.get("type") in ("radio", "checkbox", "hidden") or control["tag"] == "select":
                continue
            assert control.get("maxlength") == str(limit), name


@on_every_page
def test_every_choice_on_the_form_is_one_the_server_accepts_and_none_is_missing(page: str) -> None:
    form, properties = snippet(page), schema()["properties"]
    for name in ("preferred_contact", "best_time", "service", "tried_treatments"):
        spec = properties[name]
        allowed = spec.get("enum") or spec["items"]["enum"]
        assert sorted(form.options[name]) == sorted(allowed), name


@on_every_page
def test_every_field_the_server_requires_is_on_the_form(page: str) -> None:
    form = snippet(page)
    for name in schema()["required"]:
        assert name in form.controls, name


@on_every_page
def test_the_form_posts_to_the_api_named_in_its_data_attribute(page: str) -> None:
    form = snippet(page).form
    assert form["method"] == "post"
    assert form["action"] == form["data-next-steps-api"] == LOCAL_API


@on_every_page
def test_the_honeypot_is_out_of_reach_for_people(page: str) -> None:
    [trap] = snippet(page).controls["website"]
    assert trap["tabindex"] == "-1" and trap["autocomplete"] == "off" and trap.get("type") == "text"
    assert '<div class="ns-hp" aria-hidden="true">' in (WEB / page).read_text(encoding="utf-8")
    css = (WEB / "next-steps.css").read_text(encoding="utf-8")
    rule = css[css.index(".ns-hp {") : css.index("}", css.index(".ns-hp {"))]
    assert "position: absolute" in rule and "display" not in rule and "visibility" not in rule


def test_too_long_text_is_counted_in_characters() -> None:
    words = schema()["x-messages"]
    assert words["message"]["too_long"] == "Please keep this to at most 2000 characters."
    assert words["last_name"]["too_long"] == "Please keep this to at most 100 characters."


@pytest.mark.parametrize(("page", "language"), [("index.html", "en"), ("es/index.html", "es")])
def test_each_page_is_marked_with_its_language_and_its_form_asks_for_it(page: str, language: str) -> None:
    source = (WEB / page).read_text(encoding="utf-8")
    assert source.startswith(f'<!doctype html>\n<html lang="{language}">')
    # Without JavaScript the hidden field asks for the page's language; with it, the snippet keeps it in step.
    assert snippet(page).controls["language"] == [
        {"tag": "input", "type": "hidden", "name": "language", "value": language}
    ]


def test_the_pages_link_to_each_other_in_the_other_language() -> None:
    english = (WEB / "index.html").read_text(encoding="utf-8")
    spanish = (WEB / "es" / "index.html").read_text(encoding="utf-8")
    assert '<a href="es/" hreflang="es" lang="es">Español</a>' in english
    assert '<a href="../" hreflang="en" lang="en">English</a>' in spanish
    assert '<script src="../next-steps.js" defer></script>' in spanish
    assert '<link rel="stylesheet" href="../next-steps.css">' in spanish


def test_the_spanish_page_offers_the_spanish_lifeline_before_anything_is_sent() -> None:
    spanish = (WEB / "es" / "index.html").read_text(encoding="utf-8")
    note = spanish[spanish.index('<p class="ns-note">') : spanish.index("</p>", spanish.index('<p class="ns-note">'))]
    assert '<a href="tel:988">988</a> y marque 2' in note
    assert '<a href="sms:988?&amp;body=AYUDA">envíe AYUDA por mensaje de texto al 988</a>' in note
    assert '<a href="tel:911">911</a>' in note
    thanks = (WEB / "es" / "gracias.html").read_text(encoding="utf-8")
    assert thanks.startswith('<!doctype html>\n<html lang="es">') and "marque 2" in thanks


class _Structure(HTMLParser):
    """The snippet's markup without its words: each element and the attributes that make it work."""

    WORDLESS = ("a",)  # links carry words and numbers that differ by language (the Spanish 988 text option)
    KEPT = frozenset(
        {
            "accept-charset", "action", "aria-describedby", "aria-hidden", "autocomplete", "class",
            "data-field", "data-next-steps-api", "for", "id", "maxlength", "method", "name", "required",
            "role", "rows", "selected", "spellcheck", "tabindex", "type", "value",
        }
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.elements: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kept = {k: v or "" for k, v in attrs if k in self.KEPT}
        self.inside = self.inside or (tag == "form" and kept.get("class") == "ns-form")
        if not self.inside or tag in self.WORDLESS:
            return
        if kept.get("name") == "language":
            kept["value"] = "(the page's language)"
        self.elements.append((tag, tuple(sorted(kept.items()))))

    def handle_endtag(self, tag: str) -> None:
        self.inside = self.inside and tag != "form"


def test_the_spanish_form_has_the_english_forms_markup_in_the_same_order() -> None:
    # The two pages are maintained by hand; a field, hint, id or attribute added
    # to one and not the other would give one language a different form.
    english, spanish = _Structure(), _Structure()
    english.feed((WEB / "index.html").read_text(encoding="utf-8"))
    spanish.feed((WEB / "es" / "index.html").read_text(encoding="utf-8"))
    assert len(english.elements) > 60
    assert spanish.elements == english.elements
