"""Erasing a lead removes its own guards and never one a newer lead has taken over."""

from __future__ import annotations

from typing import Any

from chalicelib import service
from tests.conftest import Stack, leads, post, pump, table_items
from tests.reliability.support import lead_body


def guards_of(aws: Stack, lead_id: str) -> set[str]:
    """The kinds of guard item (IDEM, DUP) that name a lead."""
    return {
        item["sk"] for item in table_items(aws.table) if item["sk"] in ("IDEM", "DUP") and item["lead_id"] == lead_id
    }


def test_erasing_an_old_lead_leaves_the_guards_a_newer_lead_took_over(
    client: Any, aws: Stack, deps: Any, clock: Any
) -> None:
    # GIVEN a lead, and a day later the very same submission with the same key: its guards had
    # expired, so the newer lead took both of them over
    body = lead_body(clock)
    key = {"Idempotency-Key": "same-page-kept-open"}
    old = post(client, body, key).json_body["lead_id"]
    clock.advance(hours=25)
    new = post(client, body, key).json_body["lead_id"]
    assert new != old
    assert guards_of(aws, new) == {"IDEM", "DUP"}
    pump(client, aws)

    # WHEN staff erase the old lead
    service.erase_lead(old, deps)

    # THEN the old lead is gone, and the newer lead keeps its guards
    assert [lead["lead_id"] for lead in leads(aws.table)] == [new]
    assert guards_of(aws, new) == {"IDEM", "DUP"}
    # AND a retry of the newer submission, keyed or not, still replays it: no second lead, no second notice
    keyed = post(client, body, key)
    unkeyed = post(client, body)
    assert keyed.headers["Idempotent-Replayed"] == unkeyed.headers["Idempotent-Replayed"] == "true"
    assert keyed.json_body["lead_id"] == unkeyed.json_body["lead_id"] == new
    pump(client, aws)
    assert [lead["lead_id"] for lead in leads(aws.table)] == [new]
    assert sum(new in n["texts"]["sms"] for n in aws.notices()) == 1


def test_erasing_a_lead_whose_guards_still_name_it_removes_them(client: Any, aws: Stack, deps: Any, clock: Any) -> None:
    # GIVEN a keyed lead whose guards are its own
    lead_id = post(client, lead_body(clock), {"Idempotency-Key": "erase-me"}).json_body["lead_id"]
    assert guards_of(aws, lead_id) == {"IDEM", "DUP"}

    # WHEN it is erased
    service.erase_lead(lead_id, deps)

    # THEN nothing names it any more, and the same submission makes a fresh lead
    assert [item for item in table_items(aws.table) if item.get("lead_id") == lead_id] == []
    again = post(client, lead_body(clock), {"Idempotency-Key": "erase-me"})
    assert "Idempotent-Replayed" not in again.headers and again.json_body["lead_id"] != lead_id


def test_erasing_a_lead_whose_guards_expired_and_vanished_still_succeeds(
    client: Any, aws: Stack, deps: Any, clock: Any
) -> None:
    # GIVEN a lead whose guard items TTL has already deleted
    import boto3

    lead_id = post(client, lead_body(clock), {"Idempotency-Key": "long-gone"}).json_body["lead_id"]
    db = boto3.client("dynamodb", region_name="us-east-1")
    for item in table_items(aws.table):
        if item["sk"] in ("IDEM", "DUP"):
            db.delete_item(TableName=aws.table, Key={"pk": {"S": item["pk"]}, "sk": {"S": item["sk"]}})

    # WHEN it is erased, THEN the lead is gone
    service.erase_lead(lead_id, deps)
    assert leads(aws.table) == []
