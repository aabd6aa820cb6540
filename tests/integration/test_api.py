"""POST /leads, OPTIONS /leads and GET /health through Chalice's test client, on moto."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Stack, leads, post, pump, table_items, valid_lead


def body_of(response: Any) -> Any:
    return json.loads(response.body)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = body_of(response)
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    assert "Traceback" not in response.body.decode()
    return problem


def test_health(client: Any) -> None:
    response = client.http.get("/health")
    assert response.status_code == 200
    assert body_of(response) == {"status": "ok"}
    # A liveness answer cached by a proxy would report the API up after it went down.
    assert response.headers["Cache-Control"] == "no-store"


def test_new_lead_is_stored_before_the_201(client: Any, aws: Stack) -> None:
    response = post(client, valid_lead())
    assert response.status_code == 201
    answer = body_of(response)
    assert answer["status"] == "received" and answer["message"]
    assert "crisis_resources" not in answer
    [lead] = leads(aws.table)
    assert lead["lead_id"] == answer["lead_id"]
    assert lead["status"] == "new"
    assert lead["phone"] == "+12025550143"
    assert lead["notice_state"] == "pending"
    assert lead["created_at"].endswith("Z")


def test_cors_headers_on_the_answer_for_an_allowed_origin(client: Any) -> None:
    response = post(client, valid_lead())
    assert response.headers["Access-Control-Allow-Origin"] == "https://clinic.example"
    assert response.headers["Vary"] == "Origin"


def test_a_request_without_origin_is_accepted(client: Any) -> None:
    response = post(client, valid_lead(), {"Origin": None})
    assert response.status_code == 201
    assert "Access-Control-Allow-Origin" not in response.headers


def test_replayed_idempotency_key_gives_the_first_answer_and_one_lead_one_notice(client: Any, aws: Stack) -> None:
    lead = valid_lead()
    first = post(client, lead, {"Idempotency-Key": "form-7f3a"})
    again = post(client, lead, {"Idempotency-Key": "form-7f3a"})
    assert first.status_code == again.status_code == 201
    assert body_of(again) == body_of(first)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    pump(client, aws)
    assert len(leads(aws.table)) == 1
    assert len(aws.notices()) == 1


def test_submission_id_works_like_the_header(client: Any, aws: Stack) -> None:
    lead = valid_lead(submission_id="sub-123")
    first = post(client, lead)
    again = post(client, lead)
    assert body_of(again)["lead_id"] == body_of(first)["lead_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(leads(aws.table)) == 1


def test_same_key_different_payload_is_409(client: Any, aws: Stack) -> None:
    post(client, valid_lead(), {"Idempotency-Key": "k-1"})
    response = post(client, valid_lead(message="Something else entirely"), {"Idempotency-Key": "k-1"})
    assert_problem(response, 409)
    assert len(leads(aws.table)) == 1


def test_the_same_submission_within_ten_minutes_is_a_replay(client: Any, aws: Stack) -> None:
    first = post(client, valid_lead())
    again = post(client, valid_lead())
    assert again.status_code == 201
    assert body_of(again)["lead_id"] == body_of(first)["lead_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    different = post(client, valid_lead(message="A different question about infusions"))
    assert body_of(different)["lead_id"] != body_of(first)["lead_id"]
    assert len(leads(aws.table)) == 2


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2, 3]", b'"a string"', b"null", b"[" * 5000])
def test_malformed_json_or_non_object_is_400(client: Any, aws: Stack, raw: bytes) -> None:
    assert_problem(post(client, None, raw=raw), 400)
    assert table_items(aws.table) == []


def test_body_over_16_kib_is_413(client: Any, aws: Stack) -> None:
    big = valid_lead(message="x" * (17 * 1024))
    assert_problem(post(client, big), 413)
    assert table_items(aws.table) == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
def test_other_content_types_are_415(client: Any, content_type: str) -> None:
    assert_problem(post(client, valid_lead(), {"Content-Type": content_type}), 415)


def test_invalid_fields_are_422_naming_each_field(client: Any, aws: Stack) -> None:
    response = post(client, valid_lead(first_name="", email="nope", preferred_contact="email"))
    problem = assert_problem(response, 422)
    fields = {e["field"]: e["message"] for e in problem["errors"]}
    assert set(fields) == {"first_name", "email"}
    assert fields["first_name"] == "Please tell us your first name."
    assert table_items(aws.table) == []


@pytest.mark.parametrize("name", ["\u200b", "\u00ad", "\u3164", "\u200b\u3164\u2060"])
def test_a_first_name_that_only_looks_blank_is_422_on_first_name(client: Any, aws: Stack, name: str) -> None:
    response = post(client, valid_lead(first_name=name))
    problem = assert_problem(response, 422)
    fields = {e["field"]: e["message"] for e in problem["errors"]}
    assert set(fields) == {"first_name"}
    assert "first name" in fields["first_name"]
    assert table_items(aws.table) == []


def test_foreign_origin_is_403_with_no_cors_grant(client: Any, aws: Stack) -> None:
    response = post(client, valid_lead(), {"Origin": "https://evil.example"})
    assert_problem(response, 403)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert table_items(aws.table) == []


def test_preflight_for_an_allowed_origin(client: Any) -> None:
    response = client.http.request("OPTIONS", "/leads", headers={"Origin": "https://clinic.example"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://clinic.example"
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type, Idempotency-Key"
    assert response.headers["Vary"] == "Origin"


def test_preflight_for_another_origin_grants_nothing(client: Any) -> None:
    response = client.http.request("OPTIONS", "/leads", headers={"Origin": "https://clinic.example.evil.test"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_storage_failure_is_503_with_retry_after_and_nothing_half_written(
    client: Any, aws: Stack, deps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = deps.store._db

    def unavailable(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, "TransactWriteItems")

    monkeypatch.setattr(db, "transact_write_items", unavailable)
    response = post(client, valid_lead(), {"Idempotency-Key": "retry-me"})
    problem = assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    assert "boom" not in json.dumps(problem)
    monkeypatch.undo()
    assert table_items(aws.table) == []
    retry = post(client, valid_lead(), {"Idempotency-Key": "retry-me"})
    assert retry.status_code == 201
    assert len(leads(aws.table)) == 1


def test_missing_table_is_503_not_500(client: Any, deps: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deps.store, "_table", "no-such-table")
    assert_problem(post(client, valid_lead()), 503)


def test_unexpected_error_is_a_bare_500_problem(client: Any, deps: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("Avery Quill avery.quill@example.org")

    monkeypatch.setattr(deps.store, "create_lead", broken)
    response = post(client, valid_lead())
    problem = assert_problem(response, 500)
    assert "Avery" not in json.dumps(problem)


def test_unknown_fields_are_not_stored(client: Any, aws: Stack) -> None:
    post(client, valid_lead(is_admin=True, internal_notes="x"))
    [lead] = leads(aws.table)
    assert "is_admin" not in lead and "internal_notes" not in lead


def test_form_post_is_stored_and_redirected_without_identifiers(client: Any, aws: Stack) -> None:
    body = (
        "first_name=Rowan&phone=202-555-0177&preferred_contact=phone&consent_to_contact=on"
        "&tried_treatments=therapy&tried_treatments=tms&message=Hello+there"
    )
    response = post(client, None, {"Content-Type": "application/x-www-form-urlencoded"}, raw=body.encode())
    assert response.status_code == 303
    assert response.headers["Location"] == "https://clinic.example/thank-you"
    [lead] = leads(aws.table)
    assert lead["first_name"] == "Rowan" and lead["tried_treatments"] == ["therapy", "tms"]
    assert lead["consent"]["contact"] is True


def test_invalid_form_post_is_an_escaped_html_page(client: Any, aws: Stack) -> None:
    body = "first_name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&phone=%3Cb%3E1&preferred_contact=phone"
    response = post(client, None, {"Content-Type": "application/x-www-form-urlencoded"}, raw=body.encode())
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    assert "<script>" not in page and "<b>1" not in page
    assert "&lt;b&gt;1" in page
    assert "Permission to contact you" in page and "Phone" in page
    assert table_items(aws.table) == []


def test_a_replay_answers_the_very_same_bytes(client: Any) -> None:
    lead = valid_lead()
    first = post(client, lead, {"Idempotency-Key": "bytes-1"})
    again = post(client, lead, {"Idempotency-Key": "bytes-1"})
    assert again.body == first.body
