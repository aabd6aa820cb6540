"""Fixtures of the reliability suite: an SNS that can go down."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reliability.support import REGION, Fault, aws_error


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
