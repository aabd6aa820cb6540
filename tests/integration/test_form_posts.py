"""Plain form posts, exactly as a browser without JavaScript sends the snippet in web/index.html."""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.conftest import Stack, leads, post, valid_lead

SNIPPET = (Path(__file__).parents[2] / "web" / "index.html").read_text(encoding="utf-8")
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://clinic.example"}


class _Controls(HTMLParser):
    """The successful controls of the page's form, as a browser would send them untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self.kinds: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._chosen: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text")
            self.kinds[name] = kind
            if kind not in ("radio", "checkbox") or "checked" in a:
                self.pairs.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self.kinds[name] = "textarea"
            self.pairs.append((name, ""))
        elif tag == "select":
            self._select, self._first_option, self._chosen = name, None, None
            self.kinds[name] = "select"
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self._first_option = self._first_option if self._first_option is not None else value
            if "selected" in a:
                self._chosen = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            chosen = self._chosen if self._chosen is not None else self._first_option
            self.pairs.append((self._select, chosen or ""))
            self._select = None


def browser_post(typed: dict[str, str], ticked: list[tuple[str, str]]) -> bytes:
    """The urlencoded body of the demo page's form with these fields typed and boxes ticked."""
    parser = _Controls()
    parser.feed(SNIPPET)
    for name in typed:
        assert parser.kinds.get(name) in ("text", "email", "tel", "textarea"), name
    for name, _ in ticked:
        assert parser.kinds.get(name) in ("radio", "checkbox"), name
    pairs = [(n, typed.get(n, v)) for n, v in parser.pairs] + ticked
    return urlencode(pairs).encode()


def test_the_snippet_posted_without_javascript_is_stored_and_redirected(client: Any, aws: Stack) -> None:
    # GIVEN the demo page's form with only the needed fields filled; every other field is sent blank
    body = browser_post(
        {"first_name": "Sam", "phone": "(202) 555-0143"},
        [("preferred_contact", "phone"), ("consent_to_contact", "on")],
    )
    assert b"last_name=&" in body and b"message=&" in body and b"website=&" in body

    # WHEN it arrives
    response = post(client, None, FORM, raw=body)

    # THEN the browser is sent to the thank-you page and the lead is stored as typed
    assert response.status_code == 303
    assert response.headers["Location"] == "https://clinic.example/thank-you"
    [lead] = leads(aws.table)
    assert lead["phone"] == "+12025550143" and lead["status"] == "new"
    assert lead["best_time"] == "any" and lead["service"] == "consultation"
    assert lead["consent"]["notice_version"] == "2026-01"


def test_a_rate_limited_form_post_gets_a_page_not_json(client: Any, aws: Stack, deps: Any) -> None:
    deps.settings = replace(deps.settings, rate_limit_window=1)
    assert post(client, valid_lead()).status_code == 201
    body = browser_post(
        {"first_name": "Sam", "email": "sam@example.org"},
        [("preferred_contact", "email"), ("consent_to_contact", "on")],
    )

    response = post(client, None, FORM, raw=body)

    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("text/html")
    assert int(response.headers["Retry-After"]) > 0
    page = response.body.decode()
    assert "Too many submissions" in page and "Back" in page


def test_a_form_post_from_another_website_gets_a_page_not_json(client: Any, aws: Stack) -> None:
    body = browser_post({"first_name": "Sam", "phone": "2025550143"}, [("preferred_contact", "phone")])

    response = post(client, None, {**FORM, "Origin": "https://elsewhere.example"}, raw=body)

    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/html")
    assert "not accepted from this website" in response.body.decode()
    assert leads(aws.table) == []
