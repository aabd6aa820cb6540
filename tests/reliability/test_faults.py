"""Injected faults: SNS down and back, DynamoDB throttling the request path, notify_staff crashing mid-batch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import service
from tests.conftest import leads, post, table_items
from tests.reliability.conftest import connection_refused, sns_internal_error
from tests.reliability.support import START, Fault, ShardReader, aws_error, drain, lead_body, noticed, submit


def the_lead(aws, lead_id):
    return next(lead for lead in leads(aws.table) if lead["lead_id"] == lead_id)


@pytest.mark.parametrize("outage", [connection_refused, sns_internal_error], ids=["unreachable", "500"])
def test_sns_down_for_a_while_then_back_every_lead_is_notified_exactly_once(client, aws, deps, clock, sns, outage):
    # GIVEN SNS goes down just as five leads arrive, and stays down through two sweeps
    sns.answer, sns.active = outage, True
    ids = []
    for n in range(5):
        ids.append(submit(deps, clock, n))
        clock.advance(seconds=1)
    reader = drain(client, aws)
    clock.advance(minutes=2)
    service.sweep(deps)
    clock.advance(minutes=3)
    service.sweep(deps)
    assert aws.notices() == []
    assert {the_lead(aws, i)["notice_state"] for i in ids} == {"failed"}
    assert sns.failures == 5 * 3

    # WHEN SNS comes back and the sweeper runs again after the backoff
    sns.active = False
    clock.advance(minutes=5)
    tally = service.sweep(deps)

    # THEN every lead is notified, each exactly once
    assert tally["sent"] == 5
    assert noticed(aws) == dict.fromkeys(ids, 1)
    assert {(the_lead(aws, i)["notice_state"], the_lead(aws, i)["notice_attempts"]) for i in ids} == {("sent", 4)}
    # AND the stream's later records and later sweeps (short of the ACK_MINUTES reminder) add nothing
    drain(client, aws, reader)
    clock.advance(minutes=10)
    service.sweep(deps)
    assert len(aws.notices()) == 5


def throttled(_: int) -> Any:
    return aws_error("ProvisionedThroughputExceededException", "TransactWriteItems")


def no_connection(_: int) -> Any:
    from botocore.exceptions import EndpointConnectionError

    raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")


@pytest.mark.parametrize("failure", [throttled, no_connection], ids=["throttled", "unreachable"])
def test_dynamodb_failing_on_the_request_path_answers_503_writes_nothing_and_the_retry_succeeds(
    client, aws, deps, clock, failure
):
    # GIVEN DynamoDB refusing the new lead's write
    fault = Fault(deps.store._db, "TransactWriteItems", failure)
    body = lead_body(clock)
    key = {"Idempotency-Key": "b7e3f1c2-throttle-retry"}

    # WHEN the visitor submits
    answer = post(client, body, key)

    # THEN they get a 503 with Retry-After and a problem body, and nothing at all was written
    assert answer.status_code == 503
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.json_body["status"] == 503 and answer.json_body["title"] and answer.json_body["detail"]
    assert table_items(aws.table) == []
    assert fault.calls == 1

    # WHEN DynamoDB recovers and the same submission is retried with the same key
    fault.active = False
    clock.advance(seconds=5)
    retried = post(client, body, key)
    again = post(client, body, key)

    # THEN it is stored once: one lead, and the retry after that is a replay of it
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert [lead["lead_id"] for lead in leads(aws.table)] == [retried.json_body["lead_id"]]
    assert again.json_body["lead_id"] == retried.json_body["lead_id"]


def transaction_conflict(_: int) -> Any:
    # Another transaction held one of the items: DynamoDB cancels with TransactionConflict reasons.
    reasons = [{"Code": "None"}, {"Code": "TransactionConflict"}, {"Code": "None"}, {"Code": "None"}, {"Code": "None"}]
    return aws_error("TransactionCanceledException", "TransactWriteItems", CancellationReasons=reasons)


def test_a_transaction_conflict_is_retried_and_the_lead_stored_once(client, aws, deps, clock):
    # GIVEN two cancellations for a concurrent transaction, then DynamoDB clear
    fault = Fault(deps.store._db, "TransactWriteItems", transaction_conflict)
    fault.answer = lambda call: transaction_conflict(call) if call <= 2 else None

    # WHEN a lead is submitted
    answer = post(client, lead_body(clock), {"Idempotency-Key": "conflict-then-clear"})

    # THEN the store tried three times and stored it once
    assert answer.status_code == 201
    assert fault.calls == 3
    assert [lead["lead_id"] for lead in leads(aws.table)] == [answer.json_body["lead_id"]]


def test_a_conflict_that_does_not_clear_answers_503_and_writes_nothing(client, aws, deps, clock):
    # GIVEN every attempt cancelled by a conflicting transaction
    fault = Fault(deps.store._db, "TransactWriteItems", transaction_conflict)

    # WHEN a lead is submitted
    answer = post(client, lead_body(clock))

    # THEN after a few tries the visitor is asked to retry, and nothing was written
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0
    assert fault.calls == 5
    assert table_items(aws.table) == []


VALID_SECRET = "Quill-avery.quill@example.org"


class Crash(Exception):
    """Not a ClientError: a bug or a runtime failure inside the Lambda."""


def test_one_lead_whose_notice_crashes_does_not_hold_up_the_rest_of_its_batch(client, aws, deps, clock, sns, all_logs):
    # GIVEN five leads in one stream batch, and a publish that crashes on the third lead
    ids = [submit(deps, clock, n) for n in range(5)]
    # (On AWS their 20 records fit one 25-record batch; moto writes two INSERT
    # records for an Update that creates an item, so read 30 here.)
    [batch] = ShardReader(aws).events(batch_size=30)
    keys = [r["dynamodb"]["Keys"] for r in batch["Records"]]
    assert [k["pk"]["S"] for k in keys if k["sk"]["S"] == "LEAD"] == [f"LEAD#{i}" for i in ids]
    sns.answer = lambda call: (_ for _ in ()).throw(Crash("boom " + VALID_SECRET)) if call == 3 else None
    sns.active = True

    # WHEN notify_staff runs the batch
    tally = client.lambda_.invoke("notify_staff", batch).payload

    # THEN the invocation succeeds (Lambda does not retry the batch) and every other lead is notified
    assert (tally["sent"], tally["failed"]) == (4, 1)
    # AND the crashed lead is logged with its id and the error's type, never the error's text
    [line] = [line for line in all_logs().splitlines() if "notice_error" in line]
    assert ids[2] in line and "Crash" in line and VALID_SECRET not in line and "boom" not in line
    # AND Lambda delivering the same batch again sends nothing twice
    clock.advance(seconds=10)
    again = client.lambda_.invoke("notify_staff", batch).payload
    assert (again["sent"], again["skipped"]) == (0, 5)
    assert noticed(aws) == {ids[0]: 1, ids[1]: 1, ids[3]: 1, ids[4]: 1}
    assert the_lead(aws, ids[2])["notice_state"] == "sending"

    # WHEN the sweeper runs after the claim has lapsed
    clock.now = START + timedelta(minutes=5)
    service.sweep(deps)

    # THEN every lead is stored as new and was notified exactly once
    assert noticed(aws) == dict.fromkeys(ids, 1)
    assert {(lead["status"], lead["notice_state"]) for lead in leads(aws.table)} == {("new", "sent")}
    # AND yet another redelivery and sweep (short of the ACK_MINUTES reminder) change nothing
    client.lambda_.invoke("notify_staff", batch)
    clock.advance(minutes=20)
    service.sweep(deps)
    assert len(aws.notices()) == 5
