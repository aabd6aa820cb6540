"""The form snippet in web/ agrees with the server's model: same fields, limits, choices and words."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from scripts import export_schema

WEB = Path(__file__).parents[2] / "web"
LOCAL_API = "http://127.0.0.1:8000/leads"


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


def snippet() -> _Form:
    parser = _Form()
    parser.feed((WEB / "index.html").read_text(encoding="utf-8"))
    return parser


def schema() -> dict[str, Any]:
    return json.loads((WEB / "lead-schema.json").read_text(encoding="utf-8"))


def test_the_committed_schema_matches_the_servers_model() -> None:
    # If this fails, run: python -m scripts.export_schema
    assert (WEB / "lead-schema.json").read_text(encoding="utf-8") == export_schema.render()


def test_every_form_field_is_one_the_server_knows_with_the_same_limit() -> None:
    form, properties = snippet(), schema()["properties"]
    for name, controls in form.controls.items():
        assert name in properties, f"the server ignores {name!r}"
        if name == "website":
            continue  # the honeypot: anything in it marks the lead as spam
        limit = export_schema.max_length(properties[name])
        for control in controls:
            if control.get("type") in ("radio", "checkbox", "hidden") or control["tag"] == "select":
                continue
            assert control.get("maxlength") == str(limit), name


def test_every_choice_on_the_form_is_one_the_server_accepts_and_none_is_missing() -> None:
    form, properties = snippet(), schema()["properties"]
    for name in ("preferred_contact", "best_time", "service", "tried_treatments"):
        spec = properties[name]
        allowed = spec.get("enum") or spec["items"]["enum"]
        assert sorted(form.options[name]) == sorted(allowed), name


def test_every_field_the_server_requires_is_on_the_form() -> None:
    form = snippet()
    for name in schema()["required"]:
        assert name in form.controls, name


def test_the_form_posts_to_the_api_named_in_its_data_attribute() -> None:
    form = snippet().form
    assert form["method"] == "post"
    assert form["action"] == form["data-next-steps-api"] == LOCAL_API


def test_the_honeypot_is_out_of_reach_for_people() -> None:
    [trap] = snippet().controls["website"]
    assert trap["tabindex"] == "-1" and trap["autocomplete"] == "off" and trap.get("type") == "text"
    page = (WEB / "index.html").read_text(encoding="utf-8")
    assert '<div class="ns-hp" aria-hidden="true">' in page
    css = (WEB / "next-steps.css").read_text(encoding="utf-8")
    rule = css[css.index(".ns-hp {") : css.index("}", css.index(".ns-hp {"))]
    assert "position: absolute" in rule and "display" not in rule and "visibility" not in rule


def test_too_long_text_is_counted_in_characters() -> None:
    words = schema()["x-messages"]
    assert words["message"]["too_long"] == "Please keep this to at most 2000 characters."
    assert words["last_name"]["too_long"] == "Please keep this to at most 100 characters."
