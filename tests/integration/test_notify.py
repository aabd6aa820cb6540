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
