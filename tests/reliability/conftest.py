"""Fixtures of the reliability suite: a movable clock, an SNS that can go down, a quick moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scripts.emulator import quick_moto_transactions
from tests.reliability.support import REGION, Clock, Fault, aws_error


@pytest.fixture(autouse=True)
def _quick_moto() -> Iterator[None]:
    with quick_moto_transactions():
        yield


@pytest.fixture
def clock(deps: Any) -> Clock:
    """The service's clock, moved only by the test."""
    moved = Clock()
    deps.clock = moved
    return moved


def connection_refused(_: int) -> Any:
    """SNS cannot be reached at all (what botocore raises when the endpoint refuses)."""
    from botocore.exceptions import EndpointConnectionError

    raise EndpointConnectionError(endpoint_url=f"https://sns.{REGION}.amazonaws.com/")


def sns_internal_error(_: int) -> Any:
    """SNS answers 500 InternalError."""
    return aws_error("InternalError", "Publish", 500)


@pytest.fixture
def sns(deps: Any, aws: Any) -> Fault:
    """The publisher's SNS client, with a switch that makes every Publish fail (off to start)."""
    import boto3

    from chalicelib.notices import SnsPublisher

    client = boto3.client("sns", region_name=REGION)
    fault = Fault(client, "Publish", connection_refused, active=False)
    deps.publisher_factory = lambda: SnsPublisher(client, aws.topic_arn)
    deps._publisher = None
    return fault
