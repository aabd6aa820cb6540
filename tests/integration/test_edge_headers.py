"""Security headers on every page and answer of the API, and problem JSON for the methods it does not take."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import Stack, leads, post, valid_lead
from tests.integration.test_form_posts import FORM, browser_post

PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def csp(response: Any) -> dict[str, list[str]]:
    """The Content-Security-Policy as {directive: [sources]}."""
    policy = response.headers["Content-Security-Policy"]
    parts = [p.split() for p in policy.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def assert_locked_down_page(response: Any, status: int) -> str:
    """A page with the security headers, whose one inline style the policy allows and nothing else."""
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"].startswith("text/html")
    for name, value in PAGE_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    policy = csp(response)
    assert policy["default-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    page = response.body.decode()
    # The page still renders as designed: its one <style> is allowed by hash, and it needs nothing else
    # (no script, no external style, image or font the policy would block).
    [style] = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert policy["style-src"] == [f"'sha256-{digest}'"]
    assert "<script" not in page and "<link" not in page and "<img" not in page and " style=" not in page
    return page


def form(**typed: str) -> bytes:
    ticked = [("preferred_contact", "email"), ("consent_to_contact", "on")]
    return browser_post({"first_name": "Sam", "email": "sam@example.org", **typed}, ticked)


def test_the_422_page_has_the_security_headers(client: Any, aws: Stack) -> None:
    page = assert_locked_down_page(post(client, None, FORM, raw=form(email="not-an-email")), 422)
    assert "Please check the form" in page


def test_the_crisis_page_has_the_security_headers(client: Any, aws: Stack) -> None:
    response = post(client, None, FORM, raw=form(message="Some days I want to end my life."))
    page = assert_locked_down_page(response, 200)
    assert "988" in page and leads(aws.table)


def test_the_429_page_has_the_security_headers(client: Any, aws: Stack, deps: Any) -> None:
    deps.settings = replace(deps.settings, rate_limit_window=1)
    assert post(client, valid_lead()).status_code == 201
    assert_locked_down_page(post(client, None, FORM, raw=form()), 429)


def test_the_403_page_has_the_security_headers(client: Any, aws: Stack) -> None:
    response = post(client, None, {**FORM, "Origin": "https://elsewhere.example"}, raw=form())
    assert_locked_down_page(response, 403)


def test_the_409_page_has_the_security_headers(client: Any, aws: Stack) -> None:
    headers = {**FORM, "Idempotency-Key": "reused-key-1"}
    assert post(client, None, headers, raw=form()).status_code == 303
    assert_locked_down_page(post(client, None, headers, raw=form(first_name="Robin")), 409)


def test_the_413_page_has_the_security_headers(client: Any, aws: Stack) -> None:
    assert_locked_down_page(post(client, None, FORM, raw=form(message="x" * 20_000)), 413)


def test_the_503_page_has_the_security_headers(client: Any, deps: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deps.store, "_table", "no-such-table")
    assert_locked_down_page(post(client, None, FORM, raw=form()), 503)


def test_json_answers_are_not_cached_or_sniffed(client: Any, aws: Stack) -> None:
    for response, status in (
        (post(client, valid_lead()), 201),
        (post(client, valid_lead(email="nope")), 422),
        (post(client, None, raw=b"{"), 400),
    ):
        assert response.status_code == status
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_other_methods_on_leads_are_405_problem_json_with_allow(client: Any, aws: Stack, method: str) -> None:
    response = client.http.request(
        method, "/leads", headers={"Content-Type": "application/json", "Origin": "https://clinic.example"}, body=b"{}"
    )
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/problem+json"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}
    assert response.headers["Access-Control-Allow-Origin"] == "https://clinic.example"
    body = json.loads(response.body)
    assert body["status"] == 405 and body["title"] == "Method not allowed" and "POST" in body["detail"]
    assert leads(aws.table) == []


def test_head_on_leads_is_the_same_405_with_its_own_allow_and_no_body(client: Any, aws: Stack) -> None:
    # A link checker probing the form's address with HEAD learns what it takes, not every routed method.
    response = client.http.request("HEAD", "/leads", headers={"Origin": "https://clinic.example"})
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/problem+json"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}
    assert response.body in (b"", "")
    assert leads(aws.table) == []


def test_head_on_health_is_up_with_no_body(client: Any) -> None:
    # Uptime monitors often check with HEAD: the liveness check answers it as it answers GET, without the body.
    response = client.http.request("HEAD", "/health")
    assert response.status_code == 200
    assert response.body in (b"", "")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_on_health_are_405_problem_json(client: Any, method: str) -> None:
    response = client.http.request(method, "/health")
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Allow"] == "GET"
    assert json.loads(response.body)["status"] == 405
