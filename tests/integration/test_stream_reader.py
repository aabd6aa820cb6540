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
