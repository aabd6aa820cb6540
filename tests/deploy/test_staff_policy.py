"""The staff API's own role: `make configure` points it at the stage's user pool and gives it its own policy."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts import configure_stage
from scripts.staff_pool import create_staff_pool
from tests.conftest import ROOT, Stack
from tests.deploy.conftest import HANDLERS, copy_project
from tests.deploy.test_policy import _actions, _allows, _policy, _requests, _stack_outputs, audit, wildcard_grants

# What the public form's function may do, exactly: a flaw in it can never list,
# read or delete leads, whatever the staff API is given.
PUBLIC_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem", "kms:Decrypt", "kms:GenerateDataKey"}
PUBLIC_LOGS = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}


@pytest.fixture
def configured(aws: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    """A project copy with its staff app, configured against the stack and the dev stage's user pool."""
    import boto3

    monkeypatch.setattr(sys, "path", list(sys.path))
    project = copy_project(tmp_path / "project")
    (project / "staff" / ".chalice").mkdir(parents=True)
    shutil.copy2(ROOT / "staff" / "app.py", project / "staff" / "app.py")
    shutil.copy2(ROOT / "staff" / ".chalice" / "config.json", project / "staff" / ".chalice" / "config.json")
    (project / "staff" / "chalicelib").symlink_to("../chalicelib")
    template = yaml.safe_load((ROOT / "infra" / "stack.yaml").read_text())
    pool = create_staff_pool(boto3.client("cognito-idp"), template, {"Stage": "dev"}, "us-east-1")
    assert configure_stage.main(["--stage", "dev", "--stack", "next-steps-test", "--project-dir", str(project)]) == 0
    return project, pool


def _staff_policy(project: Path, stage: str = "dev") -> dict[str, Any]:
    config = json.loads((project / "staff" / ".chalice" / "config.json").read_text())["stages"][stage]
    data: dict[str, Any] = json.loads((project / "staff" / ".chalice" / config["iam_policy_file"]).read_text())
    return data


def test_the_staff_api_gets_the_stages_table_pool_and_a_policy_of_its_own(
    configured: tuple[Path, dict[str, str]], aws: Stack
) -> None:
    project, pool = configured
    stage = json.loads((project / "staff" / ".chalice" / "config.json").read_text())["stages"]["dev"]
    assert stage["autogen_policy"] is False
    env = stage["environment_variables"]
    assert env["STAFF_USER_POOL_ARN"] == pool["StaffUserPoolArn"]
    assert env["STAFF_CLIENT_ID"] == pool["StaffClientId"]
    assert env["STAFF_ISSUER"] == pool["StaffIssuer"]
    assert (env["LEADS_TABLE"], env["STAFF_TOPIC_ARN"], env["STAGE"]) == (aws.table, aws.topic_arn, "dev")
    # A restored lead's notice reads the public app's settings; the form's own settings stay its own.
    public = json.loads((project / ".chalice" / "config.json").read_text())
    assert env["NOTICE_DETAIL"] == public["environment_variables"]["NOTICE_DETAIL"]
    assert not {"ALLOWED_ORIGINS", "LEADS_STREAM_ARN", "THANK_YOU_URL"} & set(env)
    assert stage["iam_policy_file"] == "../../.chalice/policy-dev-staff_api.json"
    policy = _staff_policy(project)
    assert wildcard_grants(policy) == []
    assert audit(policy) == []
    outputs = _stack_outputs()
    table, topic, key = outputs["TableArn"], outputs["TopicArn"], outputs["KeyArn"]
    data = {r for s in policy["Statement"] if not s["Sid"] == "WriteOwnLogs" for r in s["Resource"]}
    assert data == {table, outputs["StatusIndexArn"], f"{table}/index/by_audit_day", topic, key}
    assert not {"dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem"} & _actions(policy)
    [logs] = [s for s in policy["Statement"] if s["Sid"] == "WriteOwnLogs"]
    assert logs["Resource"] == ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/next-steps-staff-dev:*"]


def test_the_staff_api_can_add_audit_records_but_never_change_or_delete_one(
    configured: tuple[Path, dict[str, str]], aws: Stack
) -> None:
    policy = _staff_policy(configured[0])
    table = _stack_outputs()["TableArn"]
    for pk in ("AUDIT#LEAD#01HZZZZZZZZZZZZZZZZZZZZZZZ", "AUDIT#DAY#2026-03-02"):
        keys = (("dynamodb:LeadingKeys", (pk,)),)
        assert _allows(policy, "dynamodb:PutItem", table, None, keys)
        assert _allows(policy, "dynamodb:PutItem", table, "TransactWriteItems", keys)
        for enclosing in (None, "TransactWriteItems"):
            assert not _allows(policy, "dynamodb:UpdateItem", table, enclosing, keys)
            assert not _allows(policy, "dynamodb:DeleteItem", table, enclosing, keys)
    # Nor a rate counter or an urgent mark (the form's), and a lead is deleted only with its erase transaction.
    for pk in ("RATE#abc", "URGENT#abc"):
        assert not _allows(policy, "dynamodb:UpdateItem", table, None, (("dynamodb:LeadingKeys", (pk,)),))
    lead = (("dynamodb:LeadingKeys", ("LEAD#01HZZZZZZZZZZZZZZZZZZZZZZZ",)),)
    assert not _allows(policy, "dynamodb:DeleteItem", table, None, lead)
    assert _allows(policy, "dynamodb:DeleteItem", table, "TransactWriteItems", lead)


# Chalice's test client lets every Cognito-guarded request through; the staff function checks the token itself.
@pytest.mark.filterwarnings("ignore:CognitoUserPoolAuthorizer is not a supported:UserWarning")
def test_the_staff_policy_allows_every_call_the_staff_api_makes_and_nothing_more(
    configured: tuple[Path, dict[str, str]], aws: Stack, deps: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every route run in process against the stack, each AWS call recorded and held against the staff policy."""
    import boto3

    from chalicelib.notices import SnsPublisher
    from chalicelib.store import LeadStore
    from tests.integration.staff_client import Signer, staff_client
    from tests.reliability.support import submit

    lead_id = submit(deps, clock, 1, submission_id="first-visit-1")  # with an idempotency guard to erase
    spam_id = submit(deps, clock, 2, website="http://spam.example")
    calls: list[tuple[str, str, dict[str, Any]]] = []
    session = boto3.session.Session(region_name="us-east-1")
    session.events.register(
        "provide-client-params",
        lambda params, model, **kw: calls.append((model.service_model.endpoint_prefix, model.name, dict(params))),
    )
    deps.store = LeadStore(session.client("dynamodb"), aws.table)
    deps.publisher_factory = lambda: SnsPublisher(session.client("sns"), aws.topic_arn)
    lead = f"/staff/leads/{lead_id}"
    with staff_client(Signer(), monkeypatch) as staff:
        answers = [
            staff.get("/staff/leads"),
            staff.get(lead),
            staff.post(f"{lead}/claim"),
            staff.post(f"{lead}/notes", {"text": "Left a voicemail."}),
            staff.post(f"{lead}/status", {"status": "closed", "expected": "new"}),
            staff.post(f"/staff/leads/{spam_id}/restore"),
            staff.get("/staff/export"),
            staff.get("/staff/stats"),
            staff.get(f"/staff/audit?date={clock().date().isoformat()}", "ada"),
            staff.call("DELETE", lead, "ada"),
        ]
    assert [a.status for a in answers] == [200, 200, 200, 201, 200, 200, 200, 200, 200, 204], [a.raw for a in answers]

    policy = _staff_policy(configured[0])
    made = {request for call in calls for request in _requests(call, {aws.table: _stack_outputs()["TableArn"]})}
    assert [r for r in made if not _allows(policy, *r)] == []
    granted = {a for s in policy["Statement"] for a in s["Action"] if a.startswith(("sns:", "dynamodb:"))}
    assert granted == {action for action, _, _, _ in made}
    used = {s["Sid"] for s in policy["Statement"] if any(_allows({"Statement": [s]}, *r) for r in made)}
    # Each statement is needed by some call (the key is used through the services, not called).
    assert used == {s["Sid"] for s in policy["Statement"]} - {"UseKeyThroughTableAndTopic", "WriteOwnLogs"}
    touched = {resource for _, resource, _, _ in made}
    data = {r for s in policy["Statement"] if s["Action"][0].startswith(("sns:", "dynamodb:")) for r in s["Resource"]}
    assert data == touched


def test_the_public_functions_policy_is_unchanged_by_the_staff_api(configured: tuple[Path, dict[str, str]]) -> None:
    project, _ = configured
    policy = _policy(project, "api_handler")
    assert _actions(policy) == PUBLIC_ACTIONS | PUBLIC_LOGS
    for never in ("dynamodb:Query", "dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "cognito-idp:"):
        assert not [a for a in _actions(policy) if a.startswith(never)]
    config = json.loads((project / ".chalice" / "config.json").read_text())["stages"]["dev"]
    assert set(config["lambda_functions"]) == set(HANDLERS)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_committed_staff_policies_are_what_the_generator_writes(stage: str) -> None:
    example = configure_stage.StackOutputs.from_outputs(
        {key: f"arn:aws:dynamodb:us-east-1:123456789012:table/x/{key}" for key in configure_stage.REQUIRED_OUTPUTS}
    )
    committed = json.loads((ROOT / ".chalice" / f"policy-{stage}-staff_api.json").read_text())
    generated = configure_stage.build_staff_policy(example, f"next-steps-staff-{stage}")
    assert wildcard_grants(committed) == [] and audit(committed) == []
    assert [(s["Sid"], s["Action"], s.get("Condition")) for s in committed["Statement"]] == [
        (s["Sid"], s["Action"], s.get("Condition")) for s in generated["Statement"]
    ]
    # On the stage's own resources (its key aside, whose ARN names no stage).
    named = [r for s in committed["Statement"] for r in s["Resource"] if ":key/" not in r]
    assert all(f"next-steps-{stage}-" in r or f"next-steps-staff-{stage}:" in r for r in named)
    staff = json.loads((ROOT / "staff" / ".chalice" / "config.json").read_text())["stages"][stage]
    assert staff["iam_policy_file"] == f"../../.chalice/policy-{stage}-staff_api.json"
    assert staff["autogen_policy"] is False
