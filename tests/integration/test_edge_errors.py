"""Out-of-range start times are a 422 naming the field, and a form post never gets JSON, even from a crash."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import Stack, leads, post, table_items, valid_lead

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://clinic.example"}
OUT_OF_RANGE = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "1999-12-31T23:59:59Z",
    "2300-01-01T00:00:00Z",
    pytest.param(str(int(time.time() * 1000) + 3 * 86400 * 1000), id="epoch-ms-three-days-ahead"),
]


def form_body(**fields: str) -> bytes:
    base = {
        "first_name": "Rowan",
        "phone": "202-555-0177",
        "preferred_contact": "phone",
        "consent_to_contact": "on",
        "website": "",
    }
    return urlencode({**base, **fields}).encode()


@pytest.mark.parametrize("started_at", OUT_OF_RANGE)
def test_a_start_time_out_of_range_is_422_on_started_at(client: Any, aws: Stack, started_at: str) -> None:
    response = post(client, valid_lead(started_at=started_at))

    assert response.status_code == 422, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json_body["errors"]] == ["started_at"]
    assert table_items(aws.table) == []


@pytest.mark.parametrize("started_at", OUT_OF_RANGE[:2])
def test_a_form_post_with_a_start_time_out_of_range_gets_a_page_naming_it(
    client: Any, aws: Stack, started_at: str
) -> None:
    response = post(client, None, FORM, raw=form_body(started_at=started_at))

    assert response.status_code == 422, response.body
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Form start time" in response.body.decode()
    assert table_items(aws.table) == []


def test_a_visitor_clock_a_little_ahead_is_still_accepted_as_a_real_lead(client: Any, aws: Stack) -> None:
    ahead = int((time.time() + 10 * 60) * 1000)  # ten minutes fast

    response = post(client, valid_lead(started_at=ahead))

    assert response.status_code == 201
    [lead] = leads(aws.table)
    assert lead["status"] == "new"


def test_an_unexpected_error_on_a_form_post_is_a_page_not_json(
    client: Any, aws: Stack, deps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("Rowan 202-555-0177")

    monkeypatch.setattr(deps.store, "create_lead", broken)

    response = post(client, None, FORM, raw=form_body())

    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    assert "Something went wrong" in page and "call the clinic" in page
    assert "Rowan" not in page and "Traceback" not in page


def test_an_unexpected_error_on_a_json_post_is_still_problem_json(
    client: Any, aws: Stack, deps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(deps.store, "create_lead", broken)

    response = post(client, valid_lead())

    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/problem+json"
