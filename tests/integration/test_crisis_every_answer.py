"""A person in crisis gets help on every answer of POST /leads, not only on a 201 or a 429.

Whatever goes wrong with a submission (a field to fix, a reused key, a failed
bot check, storage down, a crash), if what the visitor wrote suggests a crisis
the answer carries the crisis resources: in the problem JSON for the form
snippet, and at the top of the page for a plain form post.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import Stack, post, valid_lead

CRISIS = "I dont want to live anymore"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _json(answer: Any) -> dict[str, Any]:
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = json.loads(answer.body)
    return body


def _form(**fields: Any) -> bytes:
    return urlencode(fields).encode()


def _page(answer: Any) -> str:
    assert answer.headers["Content-Type"].startswith("text/html")
    return str(answer.body.decode())


def _has_lines(page: str) -> None:
    assert 'id="crisis-title"' in page
    assert 'href="tel:988"' in page
    # The lines come before the explanation of what went wrong.
    assert page.index('id="crisis-title"') < page.index('role="alert"><p>')


def test_a_422_whose_message_suggests_a_crisis_carries_the_resources(client: Any, aws: Stack) -> None:
    # GIVEN a visitor in crisis who forgot to say how to reach them
    body = valid_lead(message=CRISIS)
    body.pop("email", None)
    body.pop("phone", None)
    # WHEN they send it
    answer = post(client, body)
    # THEN they are asked to fix the field, and given the crisis lines at once
    assert answer.status_code == 422
    problem = _json(answer)
    assert problem["errors"]
    assert [r["call"] for r in problem["crisis_resources"] if "call" in r][0] == "tel:988"


def test_a_422_without_crisis_words_carries_no_resources(client: Any, aws: Stack) -> None:
    body = valid_lead(message="Do you take Aetna?")
    body.pop("email", None)
    body.pop("phone", None)
    answer = post(client, body)
    assert answer.status_code == 422
    assert "crisis_resources" not in _json(answer)


def test_a_422_form_post_page_leads_with_the_crisis_lines(client: Any, aws: Stack) -> None:
    answer = post(client, None, FORM, raw=_form(first_name="Kai", preferred_contact="phone", message=CRISIS))
    assert answer.status_code == 422
    page = _page(answer)
    _has_lines(page)
    assert "Please fix the following" in page or "Please check" in page


def test_a_reused_key_with_crisis_words_carries_the_resources(client: Any, aws: Stack) -> None:
    key = {"Idempotency-Key": "b8f0c3e2-crisis-409"}
    assert post(client, valid_lead(message="Do you take Aetna?"), key).status_code == 201
    answer = post(client, valid_lead(message=CRISIS), key)
    assert answer.status_code == 409
    assert _json(answer)["crisis_resources"]


def test_a_failed_bot_check_with_crisis_words_carries_the_resources(client: Any, aws: Stack, deps: Any) -> None:
    deps.settings = replace(deps.settings, turnstile_enabled=True)
    deps.verifier = lambda token, ip: False
    answer = post(client, valid_lead(message=CRISIS))
    assert answer.status_code == 403
    assert _json(answer)["crisis_resources"]
    page = _page(post(client, None, FORM, raw=_form(**{**valid_lead(message=CRISIS), "consent_to_contact": "on"})))
    _has_lines(page)


def test_storage_down_with_crisis_words_carries_the_resources(
    client: Any, aws: Stack, deps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.store import StorageUnavailable

    def down(*_: Any, **__: Any) -> None:
        raise StorageUnavailable("ProvisionedThroughputExceededException")

    monkeypatch.setattr(deps.store, "create_lead", down)
    answer = post(client, valid_lead(message=CRISIS))
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]
    assert _json(answer)["crisis_resources"]
    page = _page(post(client, None, FORM, raw=_form(**{**valid_lead(message=CRISIS), "consent_to_contact": "on"})))
    _has_lines(page)


def test_a_crash_with_crisis_words_still_carries_the_resources(
    client: Any, aws: Stack, deps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_: Any, **__: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(deps.store, "create_lead", crash)
    answer = post(client, valid_lead(message=CRISIS))
    assert answer.status_code == 500
    assert _json(answer)["crisis_resources"]
    page = _page(post(client, None, FORM, raw=_form(**{**valid_lead(message=CRISIS), "consent_to_contact": "on"})))
    _has_lines(page)


def test_malformed_json_with_crisis_words_carries_the_resources(client: Any, aws: Stack) -> None:
    raw = b'{"first_name": "Sam", "message": "' + CRISIS.encode() + b'",'
    answer = post(client, None, {"Content-Type": "application/json"}, raw=raw)
    assert answer.status_code == 400
    assert _json(answer)["crisis_resources"]
