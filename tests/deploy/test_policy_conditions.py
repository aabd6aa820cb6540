"""The conditions that make each function's grants least-privilege, in the
generated policies and in the committed .chalice/policy-*.json alike."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scripts import configure_stage
from tests.conftest import ROOT
from tests.deploy.conftest import HANDLERS

KEY_THROUGH = {
    "api_handler": {"dynamodb"},
    "notify_staff": {"dynamodb", "sns"},
    "sweeper": {"dynamodb", "sns"},
}
TRANSACTION_ONLY = {"ForAnyValue:StringEquals": {"dynamodb:EnclosingOperation": ["TransactWriteItems"]}}


def _generated(handler: str) -> dict[str, Any]:
    example = configure_stage.StackOutputs.from_outputs(
        {key: f"arn:aws:dynamodb:us-east-1:123456789012:table/x/{key}" for key in configure_stage.REQUIRED_OUTPUTS}
    )
    return configure_stage.build_policy(example, handler, "f")


def _committed(stage: str, handler: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / ".chalice" / f"policy-{stage}-{handler}.json").read_text())
    return data


POLICIES = [("generated", h, lambda h=h: _generated(h)) for h in HANDLERS] + [
    (stage, h, lambda s=stage, h=h: _committed(s, h)) for stage in ("dev", "prod") for h in HANDLERS
]


def _grants(policy: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [s for s in policy["Statement"] if any(a.startswith(prefix) for a in s["Action"])]


@pytest.mark.parametrize(("source", "handler", "load"), POLICIES, ids=[f"{s}-{h}" for s, h, _ in POLICIES])
def test_every_key_grant_holds_only_through_the_services_that_store_the_functions_data(
    source: str, handler: str, load: Any
) -> None:
    """Without kms:ViaService a function's role could decrypt with the key directly, outside DynamoDB and SNS."""
    grants = _grants(load(), "kms:")
    assert grants, "the function needs the key through its services"
    for statement in grants:
        assert set(statement["Condition"]) == {"StringEquals"}
        via = statement["Condition"]["StringEquals"]["kms:ViaService"]
        assert {v.split(".")[0] for v in via} == KEY_THROUGH[handler]
        assert all(v.endswith(".us-east-1.amazonaws.com") for v in via)


@pytest.mark.parametrize("source", ["generated", "dev", "prod"])
def test_the_api_writes_items_only_inside_the_lead_transaction(source: str) -> None:
    """The internet-facing role cannot PutItem/UpdateItem on its own: only as parts of TransactWriteItems."""
    policy = _generated("api_handler") if source == "generated" else _committed(source, "api_handler")
    writes = [
        s
        for s in policy["Statement"]
        if {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} & set(s["Action"])
    ]
    assert writes
    for statement in writes:
        assert statement["Condition"] == TRANSACTION_ONLY


@pytest.mark.parametrize("stage", ["dev", "prod"])
@pytest.mark.parametrize("handler", HANDLERS)
def test_each_committed_statement_carries_the_generators_condition(stage: str, handler: str) -> None:
    """A hand edit of a committed policy that drops or loosens a condition differs from what make configure writes."""
    generated = {s["Sid"]: s.get("Condition") for s in _generated(handler)["Statement"]}
    committed = {s["Sid"]: s.get("Condition") for s in _committed(stage, handler)["Statement"]}
    assert committed == generated
