"""notify_staff driven by real moto stream records."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Stack, leads, post, pump, valid_lead


def test_inserted_lead_is_notified_once_and_marked_sent(client: Any, aws: Stack) -> None:
    answer = json.loads(post(client, valid_lead()).body)
    pump(client, aws)
    [notice] = aws.notices()
    assert notice["attributes"] == {
        "priority": "normal",
        "preferred_contact": "phone",
        "language": "en",
        "event": "new_lead",
    }
    assert set(notice["texts"]) == {"default", "sms", "email"}
    assert answer["lead_id"] in notice["texts"]["sms"]
    [lead] = leads(aws.table)
    assert lead["notice_state"] == "sent"
    assert lead["notice_message_id"] == notice["id"]
    assert lead["notice_attempts"] == 1
    assert "notice_queue" not in lead


def test_notice_contains_no_message_email_or_phone(client: Any, aws: Stack) -> None:
    post(client, valid_lead())
    pump(client, aws)
    [notice] = aws.notices()
    text = json.dumps(notice["texts"]) + (notice["subject"] or "")
    for value in ["Avery", "Quill", "avery.quill@example.org", "555", "0143", "nightmares", "SSRIs", "therapy"]:
        assert value not in text


def test_a_stream_retry_does_not_send_a_second_notice(client: Any, aws: Stack) -> None:
    from scripts.stream import StreamReader

    post(client, valid_lead())
    import boto3

    reader = StreamReader(boto3.client("dynamodbstreams"), aws.stream_arn, "us-east-1")
    events = reader.events()
    for event in events:
        client.lambda_.invoke("notify_staff", event)
    for event in events:  # Lambda re-delivers the same batch
        client.lambda_.invoke("notify_staff", event)
    assert len(aws.notices()) == 1


def test_modify_and_guard_records_are_ignored(client: Any, aws: Stack) -> None:
    post(client, valid_lead(), {"Idempotency-Key": "abc"})
    reader = pump(client, aws)  # INSERTs: lead, idempotency and duplicate guards, rate counters
    pump(client, aws, reader)  # MODIFY: the lead's notice state
    assert len(aws.notices()) == 1


def test_contact_detail_level_adds_first_name_and_callback_to_email_only(client: Any, aws: Stack, deps: Any) -> None:
    from dataclasses import replace

    deps.settings = replace(deps.settings, notice_detail="contact")
    post(client, valid_lead())
    pump(client, aws)
    [notice] = aws.notices()
    assert "First name: Avery" in notice["texts"]["email"]
    assert "+12025550143" in notice["texts"]["email"]
    assert "Avery" not in notice["texts"]["sms"] and "+1202" not in notice["texts"]["sms"]
    assert "Quill" not in notice["raw"] and "nightmares" not in notice["raw"]


# ---------------------------------------------------------------------------
# The stream carries keys only: no copy of a lead outlives its erasure there
# ---------------------------------------------------------------------------

PHI = ["Quill", "avery.quill@example.org", "2025550143", "nightmares", "SSRIs", "ssri_snri", "ketamine_assisted"]


def _stream_records(aws: Stack) -> list[dict[str, Any]]:
    import boto3

    from scripts.stream import StreamReader

    return StreamReader(boto3.client("dynamodbstreams"), aws.stream_arn, "us-east-1").poll()


def test_the_stream_holds_no_health_detail_of_a_lead_before_or_after_it_is_erased(
    client: Any, aws: Stack, deps: Any
) -> None:
    from chalicelib import service

    # GIVEN a lead stored with its guards and counters, notified (MODIFY records), then erased (REMOVE records)
    lead_id = json.loads(post(client, valid_lead(), {"Idempotency-Key": "erase-me"}).body)["lead_id"]
    pump(client, aws)
    service.erase_lead(lead_id, deps)
    assert leads(aws.table) == []

    # WHEN everything the stream kept is read back, as anyone with the notice function's role could
    records = _stream_records(aws)

    # THEN every record is keys only, and none of them carries anything the visitor typed
    assert {r["eventName"] for r in records} >= {"INSERT", "MODIFY", "REMOVE"}
    for record in records:
        assert record["dynamodb"]["StreamViewType"] == "KEYS_ONLY"
        assert set(record["dynamodb"]["Keys"]) == {"pk", "sk"}
        assert not {"NewImage", "OldImage"} & set(record["dynamodb"])
    text = json.dumps(records, default=str)
    assert [value for value in [*PHI, "Avery"] if value in text] == []


def test_keys_only_records_send_each_new_lead_one_notice_and_spam_none(client: Any, aws: Stack) -> None:
    # GIVEN two real leads and one flagged as spam (honeypot filled), each with guards and counters
    first = json.loads(post(client, valid_lead(), {"Idempotency-Key": "a"}).body)["lead_id"]
    second = json.loads(post(client, valid_lead(first_name="Rowan", email="rowan@example.org")).body)["lead_id"]
    spam = json.loads(post(client, valid_lead(first_name="Bot", email="bot@example.org", website="x")).body)["lead_id"]

    # WHEN the stream's keys-only records are delivered, then delivered again, then the MODIFY records follow
    import boto3

    from scripts.stream import StreamReader

    reader = StreamReader(boto3.client("dynamodbstreams"), aws.stream_arn, "us-east-1")
    events = reader.events()
    assert all("NewImage" not in r["dynamodb"] for e in events for r in e["Records"])
    for event in events + events:
        client.lambda_.invoke("notify_staff", event)
    pump(client, aws, reader)

    # THEN each real lead got exactly one notice, and the spam lead none
    sent = [n["texts"]["sms"] for n in aws.notices()]
    assert len(sent) == 2
    assert [lead_id for lead_id in (first, second, spam) if any(lead_id in text for text in sent)] == [first, second]
    by_id = {lead["lead_id"]: lead for lead in leads(aws.table)}
    assert (by_id[first]["notice_state"], by_id[second]["notice_state"]) == ("sent", "sent")
    assert by_id[spam]["notice_state"] == "suppressed"


def test_only_inserted_lead_keys_name_a_lead_to_notify() -> None:
    from chalicelib.store import inserted_lead_ids

    lead = {"pk": {"S": "LEAD#01ABC"}, "sk": {"S": "LEAD"}}
    records = [
        ("INSERT", lead),
        ("MODIFY", lead),
        ("REMOVE", lead),
        ("INSERT", {"pk": {"S": "IDEM#x"}, "sk": {"S": "IDEM"}}),
        ("INSERT", {"pk": {"S": "DUP#x"}, "sk": {"S": "DUP"}}),
        ("INSERT", {"pk": {"S": "RATE#x#w1"}, "sk": {"S": "RATE"}}),
        ("INSERT", {"pk": {"S": "LEAD#01ABC"}, "sk": {"S": "NOTE#1"}}),
        ("INSERT", {"pk": {"S": "LEAD#"}, "sk": {"S": "LEAD"}}),
        ("INSERT", {"pk": {"N": "1"}}),
        ("INSERT", None),
        ("INSERT", {"pk": {"S": "LEAD#01DEF"}, "sk": {"S": "LEAD"}}),
    ]
    assert list(inserted_lead_ids(records)) == ["01ABC", "01DEF"]


def test_a_batch_with_one_poisoned_lead_notifies_every_other_lead(
    client: Any, aws: Stack, deps: Any, all_logs: Any
) -> None:
    import boto3

    from scripts.stream import StreamReader

    # GIVEN three leads, and between them a lead item whose notice cannot be built (a corrupt record)
    reader = StreamReader(boto3.client("dynamodbstreams"), aws.stream_arn, "us-east-1")
    before = json.loads(post(client, valid_lead(first_name="Ada", email="ada@example.org")).body)["lead_id"]
    boto3.client("dynamodb").put_item(
        TableName=aws.table,
        Item={
            "pk": {"S": "LEAD#01POISON"},
            "sk": {"S": "LEAD"},
            "entity": {"S": "lead"},
            "lead_id": {"S": "01POISON"},
            "status": {"S": "new"},
            "notice_state": {"S": "pending"},
        },
    )
    after = json.loads(post(client, valid_lead(first_name="Bo", email="bo@example.org")).body)["lead_id"]
    last = json.loads(post(client, valid_lead(first_name="Cy", email="cy@example.org")).body)["lead_id"]
    [event] = reader.events(batch_size=100)

    # WHEN notify_staff gets the whole batch in one invocation
    tally = client.lambda_.invoke("notify_staff", event).payload

    # THEN it returns normally (no batch retry), every other lead is notified, the poisoned one is logged by id
    assert (tally["sent"], tally["failed"]) == (3, 1)
    sent = " ".join(n["texts"]["sms"] for n in aws.notices())
    assert all(lead_id in sent for lead_id in (before, after, last))
    assert "01POISON" not in sent
    [line] = [line for line in all_logs().splitlines() if "notice_error" in line]
    assert "01POISON" in line and "KeyError" in line
