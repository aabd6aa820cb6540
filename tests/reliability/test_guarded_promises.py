"""Promises of the write path that no other test pins: a lead is never overwritten,
an idempotency key replays for 24 hours, and a notice whose "sent" record is lost
is sent again once, not never and not forever."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import service
from chalicelib.errors import LeadExists
from chalicelib.service import RequestMeta, submit_lead
from chalicelib.store import StorageUnavailable, from_item, lead_key
from tests.conftest import leads
from tests.reliability.support import Fault, aws_error, lead_body, noticed, submit


def test_a_second_lead_with_the_same_id_is_refused_and_the_first_is_untouched(deps, aws, clock):
    # GIVEN a stored lead
    lead_id = submit(deps, clock, 1)
    [first] = leads(aws.table)

    # WHEN another write arrives for the same lead id (other content, fresh guards)
    impostor = dict(first, first_name="Mallory", email="mallory@example.org", status="new")
    epoch = int(clock().timestamp())
    with pytest.raises(LeadExists) as refused:
        deps.store.create_lead(impostor, [], now_epoch=epoch)

    # THEN the write is refused as a lead conflict and the stored lead is the first one, unchanged
    assert isinstance(refused.value, LeadExists)
    item = deps.store._db.get_item(TableName=aws.table, Key=lead_key(lead_id), ConsistentRead=True)["Item"]
    assert from_item(item) == first


def _keyed(deps: Any, body: dict[str, Any], key: str) -> Any:
    meta = RequestMeta(source_ip="192.0.2.77", user_agent="Mozilla/5.0 (test)", idempotency_key=key)
    return submit_lead(body, meta, deps)


def test_an_idempotency_key_replays_for_24_hours_and_then_makes_a_fresh_lead(deps, aws, clock):
    # GIVEN a keyed submission
    body = lead_body(clock, 2)
    key = "4f1c9a2e-keyed-replay-window"
    first = _keyed(deps, body, key)
    assert not first.replayed

    # WHEN the same request is sent again with the same key just inside 24 hours
    clock.advance(hours=23, minutes=59)
    again = _keyed(deps, body, key)

    # THEN it replays the first answer and stores nothing new
    assert again.replayed
    assert again.body["lead_id"] == first.body["lead_id"]
    assert len(leads(aws.table)) == 1

    # AND once 24 hours have passed since the first, the same request is a fresh lead
    clock.advance(minutes=1, seconds=1)
    later = _keyed(deps, body, key)
    assert not later.replayed
    assert later.body["lead_id"] != first.body["lead_id"]
    assert len(leads(aws.table)) == 2


def _refuse_the_sent_record(params: dict[str, Any], **_: Any) -> Any:
    body = params.get("body") or b""
    if b'"sent"' in (body if isinstance(body, bytes) else body.encode()):
        return aws_error("InternalServerError", "UpdateItem", 500)
    return None


def test_a_lost_sent_record_after_sns_accepted_gives_exactly_one_second_notice_after_the_lease(deps, aws, clock):
    """At-least-once, pinned: SNS accepted but DynamoDB refused to record it.

    The notice is sent again once the claim's lease expires (a duplicate staff
    can see), never lost and never repeated after that.
    """
    lead_id = submit(deps, clock, 3)
    db = deps.store._db
    event = "before-call.dynamodb.UpdateItem"
    db.meta.events.register(event, _refuse_the_sent_record)
    refusals = Fault(db, "UpdateItem", lambda _: None, active=False)  # counts UpdateItem calls
    try:
        # WHEN the stream delivers the lead, SNS accepts, and the "sent" update is refused
        with pytest.raises(StorageUnavailable):
            service.deliver_notice(lead_id, deps)
        assert noticed(aws) == {lead_id: 1}
        [lead] = leads(aws.table)
        assert lead["notice_state"] == "sending"

        # AND the stream retries at once, and a sweep runs a minute in: the claim's lease holds
        assert service.deliver_notice(lead_id, deps) == "skipped"
        clock.advance(seconds=59)
        service.sweep(deps)
        assert noticed(aws) == {lead_id: 1}
    finally:
        db.meta.events.unregister(event, _refuse_the_sent_record)
        refusals.remove()
    assert refusals.calls >= 2

    # WHEN DynamoDB is back and the lease has expired (the grace has passed too)
    clock.advance(seconds=62)
    tally = service.sweep(deps)

    # THEN the notice is sent a second time and the lead ends `sent`
    assert tally["sent"] == 1
    assert noticed(aws) == {lead_id: 2}
    [lead] = leads(aws.table)
    assert lead["notice_state"] == "sent"
    assert lead["notice_message_id"] == aws.notices()[-1]["id"]

    # AND no later stream retry or sweep (short of the follow-up reminder) sends a third
    assert service.deliver_notice(lead_id, deps) == "skipped"
    for _ in range(3):
        clock.advance(minutes=30)
        service.sweep(deps)
    assert noticed(aws) == {lead_id: 2}


@pytest.mark.parametrize(
    ("aws_code", "logged"),
    [
        ("AccessDeniedException", "AccessDeniedException"),
        ("ProvisionedThroughputExceededException", "ProvisionedThroughputExceededException"),
        ("ResourceNotFoundException", "ResourceNotFound"),
        ("Dénié", "ClientError"),
        ("Y" * 64, "Y" * 64),
        ("X" * 65, "ClientError"),
    ],
)
@pytest.mark.parametrize("operation", ["GetItem", "TransactWriteItems"])
def test_a_refused_storage_call_keeps_a_short_code_staff_and_alarms_can_tell_apart(
    deps, aws, aws_code, logged, operation
):
    Fault(deps.store._db, operation, lambda _: aws_error(aws_code, operation))
    with pytest.raises(StorageUnavailable) as refused:
        if operation == "GetItem":
            deps.store.get_lead("01JV6Q7T8KX2M4N5P6R7S8T9VW")
        else:
            deps.store.create_lead({"lead_id": "01JV6Q7T8KX2M4N5P6R7S8T9VW"}, [], now_epoch=0)
    assert refused.value.code == logged
    assert str(refused.value) == logged


def test_a_replay_whose_refusal_did_not_carry_the_first_answer_reads_it_from_the_guard(deps, aws, clock, monkeypatch):
    """DynamoDB returns the conflicting item only when asked and able; without it the guard is read back."""
    from botocore.exceptions import ClientError

    body = lead_body(clock, 4)
    key = "7d0e5b1a-replay-without-item"
    first = _keyed(deps, body, key)
    real = deps.store._db.transact_write_items

    def without_items(**kwargs: Any) -> Any:
        try:
            return real(**kwargs)
        except ClientError as exc:
            for reason in exc.response.get("CancellationReasons") or []:
                reason.pop("Item", None)
            raise

    monkeypatch.setattr(deps.store._db, "transact_write_items", without_items)
    clock.advance(minutes=1)
    again = _keyed(deps, body, key)
    assert again.replayed
    assert again.body == first.body
    assert again.text == first.text
    assert len(leads(aws.table)) == 1


def _unreachable(_: int) -> Any:
    from botocore.exceptions import EndpointConnectionError

    raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")


@pytest.mark.parametrize("operation", ["GetItem", "TransactWriteItems"])
def test_an_unreachable_table_is_named_by_the_error_kind(deps, aws, operation):
    Fault(deps.store._db, operation, _unreachable)
    with pytest.raises(StorageUnavailable) as refused:
        if operation == "GetItem":
            deps.store.get_lead("01JV6Q7T8KX2M4N5P6R7S8T9VW")
        else:
            deps.store.create_lead({"lead_id": "01JV6Q7T8KX2M4N5P6R7S8T9VW"}, [], now_epoch=0)
    assert refused.value.code == "EndpointConnectionError"


@pytest.mark.parametrize(
    ("reasons", "logged"),
    [
        ([{"Code": "None"}, {"Code": "ThrottlingError"}, {"Code": "None"}], "ThrottlingError"),
        ([{"Code": "ValidationError"}, {"Code": "ThrottlingError"}], "ThrottlingError"),
        ([], "TransactionCanceled"),
    ],
    ids=["throttled", "two-codes", "no-reasons"],
)
def test_a_cancelled_lead_transaction_that_no_condition_refused_names_why(deps, aws, clock, reasons, logged):
    """Throttling inside a transaction is 'try later', named by its code, not a conflict or a replay."""
    Fault(
        deps.store._db,
        "TransactWriteItems",
        lambda _: aws_error("TransactionCanceledException", "TransactWriteItems", CancellationReasons=reasons),
    )
    with pytest.raises(StorageUnavailable) as refused:
        submit(deps, clock, 5)
    assert refused.value.code == logged
    assert leads(aws.table) == []


def test_a_reused_key_with_a_changed_answer_is_refused_even_when_the_duplicate_guard_also_matches(deps, aws, clock):
    """Key and person both seen: the key's rule (same payload or 409) decides, not the duplicate guard's replay."""
    from chalicelib.service import KeyReused

    body = lead_body(clock, 6)
    key = "c2a8f4e6-key-reused-changed"
    first = _keyed(deps, body, key)
    assert not first.replayed
    with pytest.raises(KeyReused):
        _keyed(deps, dict(body, best_time="morning" if body.get("best_time") != "morning" else "evening"), key)
    assert len(leads(aws.table)) == 1
