"""A new lead costs one DynamoDB call (its transaction) and no SNS call at all."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest

from chalicelib import runtime
from tests.conftest import leads, post
from tests.reliability.support import aws_calls, lead_body


@pytest.fixture
def clients_made() -> Iterator[list[str]]:
    """Every boto3 client created on the default session (where the app makes its own)."""
    made: list[str] = []

    def record(event_name: str, **_: Any) -> None:
        made.append(event_name.removeprefix("creating-client-class."))

    events = boto3._get_default_session().events
    events.register("creating-client-class", record)
    yield made
    events.unregister("creating-client-class", record)


@pytest.fixture
def publisher_built(deps) -> list[int]:
    """Counts how often the SNS publisher (and its client) is built."""
    built: list[int] = []
    factory = deps.publisher_factory

    def counting() -> Any:
        built.append(1)
        return factory()

    deps.publisher_factory = counting
    return built


@pytest.mark.parametrize(
    "changes",
    [{}, {"website": "https://spam.example"}, {"message": "I want to end my life"}],
    ids=["lead", "spam", "crisis"],
)
def test_a_new_lead_is_one_transact_write_items_and_no_sns(
    client, aws, deps, clock, clients_made, publisher_built, changes
):
    # WHEN a new lead is posted
    with aws_calls(deps.store._db) as calls:
        answer = post(client, lead_body(clock, **changes), {"Idempotency-Key": "one-round-trip"})

    # THEN it was stored with exactly one DynamoDB call, and SNS was never touched, not even a client made
    assert answer.status_code == 201
    assert calls == ["dynamodb.TransactWriteItems"]
    assert len(leads(aws.table)) == 1
    assert publisher_built == [] and "sns" not in clients_made
    assert deps._publisher is None


def test_replays_and_refusals_cost_one_call_too(client, aws, deps, clock, publisher_built):
    # GIVEN a stored lead and a stage that allows two per ten minutes
    deps.settings = replace(deps.settings, rate_limit_window=2)
    body = lead_body(clock)
    post(client, body, {"Idempotency-Key": "k-1"})

    # WHEN the same submission is replayed (the first answer comes back with the cancellation), and the limit is hit
    with aws_calls(deps.store._db) as replay_calls:
        replay = post(client, body, {"Idempotency-Key": "k-1"})
    post(client, lead_body(clock, 2))
    with aws_calls(deps.store._db) as limited_calls:
        limited = post(client, lead_body(clock, 3))

    # THEN each answer took a single DynamoDB call
    assert replay.headers["Idempotent-Replayed"] == "true" and replay_calls == ["dynamodb.TransactWriteItems"]
    assert limited.status_code == 429 and limited_calls == ["dynamodb.TransactWriteItems"]
    assert publisher_built == []


def test_the_deployed_wiring_also_makes_one_call_and_no_sns_client(client, aws, deps, clock, clients_made, monkeypatch):
    # GIVEN the app's own dependencies, built from a stage environment as in Lambda
    for name, value in {"STAGE": "test", "LEADS_TABLE": aws.table, "STAFF_TOPIC_ARN": aws.topic_arn}.items():
        monkeypatch.setenv(name, value)
    runtime.reset()
    built = runtime.deps()
    built.clock = clock
    assert clients_made == ["dynamodb"]

    # WHEN a lead is posted
    with aws_calls(built.store._db) as calls:
        answer = post(client, lead_body(clock), {"Origin": None})

    # THEN one DynamoDB call, and still no SNS client in the process
    assert answer.status_code == 201
    assert calls == ["dynamodb.TransactWriteItems"]
    assert clients_made == ["dynamodb"]
