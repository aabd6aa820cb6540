"""Every no-JavaScript failure page offers the clinic's number and a way back to the form, never a foreign link."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.conftest import Stack, post, valid_lead

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BODY = b"first_name=Kai&phone=202-555-0177&preferred_contact=phone&consent_to_contact=on"


def over_limit_page(client: Any, deps: Any, referer: str | None) -> str:
    deps.settings = replace(deps.settings, rate_limit_window=1, clinic_phone="(202) 555-0100")
    post(client, valid_lead())  # the client's one submission for these ten minutes
    answer = post(client, None, {**FORM, "Referer": referer}, raw=BODY)  # type: ignore[dict-item]
    assert answer.status_code == 429
    return str(answer.body.decode())


def test_without_form_url_the_link_goes_back_to_the_page_that_posted(client: Any, aws: Stack, deps: Any) -> None:
    # GIVEN no FORM_URL, and a form on the clinic's own (allowed) site whose address carried a query
    page = over_limit_page(client, deps, "https://clinic.example/contact?email=sam%40example.org#form")

    # THEN the page links back to that page, without the query, and offers the clinic's number
    assert '<a href="https://clinic.example/contact">Go back to the form</a>' in page
    assert "sam" not in page
    assert '<a href="tel:2025550100">(202) 555-0100</a>' in page


def test_a_foreign_or_odd_referer_gets_no_link(client: Any, aws: Stack, deps: Any) -> None:
    for referer in ("https://evil.example/phish", "javascript:alert(1)", "not a url", None):
        page = over_limit_page(client, deps, referer)
        assert "Go back to the form" not in page, referer
        assert "evil.example" not in page and "javascript:" not in page
        assert "Back</strong> button" in page


def test_a_storage_failure_page_offers_the_number_too(client: Any, aws: Stack, deps: Any, monkeypatch: Any) -> None:
    from chalicelib.store import StorageUnavailable

    def down(*_: Any, **__: Any) -> None:
        raise StorageUnavailable("ProvisionedThroughputExceededException")

    deps.settings = replace(deps.settings, clinic_phone="+1 202 555 0100", form_url="https://clinic.example/start")
    monkeypatch.setattr(deps.store, "create_lead", down)
    answer = post(client, None, FORM, raw=BODY)
    page = answer.body.decode()
    assert answer.status_code == 503
    assert 'href="tel:+12025550100"' in page and 'href="https://clinic.example/start"' in page
