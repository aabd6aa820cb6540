"""Helpers of the abuse suite."""

from __future__ import annotations

from typing import Any


def assert_problem(answer: Any, status: int) -> dict[str, Any]:
    """The answer is RFC 9457 problem JSON with the given status; returns its body."""
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/problem+json"
    body = answer.json_body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return dict(body)
