"""The local stream pump keeps delivering after a submission is replayed."""

from __future__ import annotations

from typing import Any

from tests.conftest import Stack, post, pump, valid_lead


def test_a_lead_after_a_replay_is_still_notified(client: Any, aws: Stack) -> None:
    # GIVEN a lead, notified, then sent again with the same key (a failed conditional write)
    first = valid_lead()
    assert post(client, first, {"Idempotency-Key": "first"}).status_code == 201
    reader = pump(client, aws)
    replay = post(client, first, {"Idempotency-Key": "first"})
    assert replay.headers["Idempotent-Replayed"] == "true"
    pump(client, aws, reader)

    # WHEN another visitor sends a lead, read by the same pump
    second = valid_lead(first_name="Blake", email="blake@example.org", phone="(202) 555-0187")
    assert post(client, second, {"Idempotency-Key": "second"}).status_code == 201
    pump(client, aws, reader)

    # THEN the staff hear about both
    assert len(aws.notices()) == 2


def test_a_record_reusing_an_undone_sequence_number_is_still_delivered(client: Any, aws: Stack) -> None:
    from moto.dynamodb.models import dynamodb_backends

    from tests.conftest import ACCOUNT, REGION

    # GIVEN a lead the pump has read, after which moto undoes the last few stream
    # records (as its rollback of a failed transaction undoes a write made meanwhile)
    assert post(client, valid_lead(), {"Idempotency-Key": "first"}).status_code == 201
    reader = pump(client, aws)
    shard = dynamodb_backends[ACCOUNT][REGION].tables[aws.table].stream_shard
    del shard.items[-5:]

    # WHEN the next lead's records are given those sequence numbers again
    second = valid_lead(first_name="Blake", email="blake@example.org", phone="(202) 555-0187")
    assert post(client, second, {"Idempotency-Key": "second"}).status_code == 201
    pump(client, aws, reader)

    # THEN its notice is still sent, and the first lead's is not sent again
    assert len(aws.notices()) == 2
