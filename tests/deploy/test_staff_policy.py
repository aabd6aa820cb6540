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
from tests.deploy.test_policy import _actions, _policy, wildcard_grants

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


def test_the_staff_api_gets_the_stages_pool_and_a_policy_of_its_own(configured: tuple[Path, dict[str, str]]) -> None:
    project, pool = configured
    stage = json.loads((project / "staff" / ".chalice" / "config.json").read_text())["stages"]["dev"]
    assert stage["autogen_policy"] is False
    env = stage["environment_variables"]
    assert env["STAFF_USER_POOL_ARN"] == pool["StaffUserPoolArn"]
    assert env["STAFF_CLIENT_ID"] == pool["StaffClientId"]
    assert env["STAFF_ISSUER"] == pool["StaffIssuer"]
    policy: dict[str, Any] = json.loads((project / "staff" / ".chalice" / stage["iam_policy_file"]).read_text())
    assert stage["iam_policy_file"] == "../../.chalice/policy-dev-staff_api.json"
    assert wildcard_grants(policy) == []
    # GET /staff/me touches no data: its own log group, nothing else.
    assert _actions(policy) == PUBLIC_LOGS
    [logs] = policy["Statement"]
    assert logs["Resource"] == ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/next-steps-staff-dev:*"]


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
    assert committed == configure_stage.build_staff_policy(example, f"next-steps-staff-{stage}")
    staff = json.loads((ROOT / "staff" / ".chalice" / "config.json").read_text())["stages"][stage]
    assert staff["iam_policy_file"] == f"../../.chalice/policy-{stage}-staff_api.json"
    assert staff["autogen_policy"] is False
