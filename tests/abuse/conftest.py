"""Fixtures of the abuse suite: a movable clock and a moto that keeps up with many requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scripts.emulator import quick_moto_transactions
from tests.reliability.support import Clock


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


def assert_problem(answer: Any, status: int) -> dict[str, Any]:
    """The answer is RFC 9457 problem JSON with the given status; returns its body."""
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/problem+json"
    body = answer.json_body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return dict(body)
