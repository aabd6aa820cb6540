"""`make configure`: the stage's settings and its least-privilege policy, from the deployed stack."""

from __future__ import annotations

import json
import sys
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

import app as _app  # noqa: F401 - the app under test is this checkout's, whatever project dir is configured
from scripts import configure_stage
from tests.conftest import ROOT, Stack, post, pump, valid_lead
from tests.deploy.conftest import HANDLERS, copy_project

DATA_SERVICES = ("dynamodb:", "sns:", "kms:")


def wildcard_grants(policy: dict[str, Any]) -> list[str]:
    """Every grant of a wildcard action, or of a wildcard resource for a data service."""
    found = []
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        found += [f"action {a}" for a in actions if "*" in a]
        if any(a.startswith(DATA_SERVICES) for a in actions):
            found += [f"resource {r} for {actions}" for r in resources if "*" in r]
        if "NotAction" in statement or "NotResource" in statement:
            found.append("NotAction/NotResource")
    return found


@pytest.fixture
def configured(aws: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project copy configured by `make configure` from the stack in the `aws` fixture."""
    monkeypatch.setattr(sys, "path", list(sys.path))  # Chalice puts the project on sys.path
    project = copy_project(tmp_path / "project")
    assert configure_stage.main(["--stage", "dev", "--stack", "next-steps-test", "--project-dir", str(project)]) == 0
    return project


def _policy(project: Path, handler: str, stage: str = "dev") -> dict[str, Any]:
    """The policy file the stage's config.json names for one function."""
    config = json.loads((project / ".chalice" / "config.json").read_text())
    name = config["stages"][stage]["lambda_functions"][handler]["iam_policy_file"]
    data: dict[str, Any] = json.loads((project / ".chalice" / name).read_text())
    return data


def _actions(policy: dict[str, Any]) -> set[str]:
    return {a for s in policy["Statement"] for a in s["Action"]}


def _stack_outputs() -> dict[str, str]:
    import boto3

    stack = boto3.client("cloudformation").describe_stacks(StackName="next-steps-test")["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_wildcard_check_catches_wildcards() -> None:
    """The check the policy tests rely on does flag what it must."""
    assert wildcard_grants({"Statement": [{"Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:::table/t"}]})
    assert wildcard_grants({"Statement": [{"Action": ["sns:Publish"], "Resource": "*"}]})
    assert wildcard_grants({"Statement": [{"Action": ["dynamodb:Query"], "Resource": ["arn:x:table/t/index/*"]}]})
    assert not wildcard_grants({"Statement": [{"Action": ["sns:Publish"], "Resource": ["arn:aws:sns:r:1:t"]}]})


def test_each_function_gets_its_own_policy_without_wildcards_on_the_stacks_resources_only(
    configured: Path, aws: Stack
) -> None:
    outputs = _stack_outputs()
    written = sorted(p.name for p in (configured / ".chalice").glob("policy-*.json"))
    assert written == [f"policy-dev-{handler}.json" for handler in HANDLERS]
    resources: dict[str, set[str]] = {}
    for handler in HANDLERS:
        policy = _policy(configured, handler)
        assert wildcard_grants(policy) == []
        resources[handler] = {
            r
            for s in policy["Statement"]
            if any(a.startswith(DATA_SERVICES) for a in s["Action"])
            for r in s["Resource"]
        }
        # Erasing a lead and the staff CLI run with staff credentials, never as the app.
        assert not {"dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:BatchWriteItem"} & _actions(policy)
    table, key, topic, stream = (outputs[k] for k in ("TableArn", "KeyArn", "TopicArn", "StreamArn"))
    assert resources == {
        "api_handler": {table, key},
        "notify_staff": {table, stream, topic, key},
        "sweeper": {table, outputs["StatusIndexArn"], outputs["NoticeIndexArn"], topic, key},
    }
    # Each function writes its own log group, and no other.
    logs = {
        handler: [
            r for s in _policy(configured, handler)["Statement"] if s["Sid"] == "WriteOwnLogs" for r in s["Resource"]
        ]
        for handler in HANDLERS
    }
    assert logs == {
        "api_handler": ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/next-steps-dev:*"],
        "notify_staff": ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/next-steps-dev-notify_staff:*"],
        "sweeper": ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/next-steps-dev-sweeper:*"],
    }


def test_the_api_cannot_publish_read_the_stream_query_or_write_outside_the_lead_transaction(
    configured: Path, aws: Stack
) -> None:
    """A flaw in the public endpoint cannot send staff notices, read every lead off the stream or list leads."""
    policy = _policy(configured, "api_handler")
    actions = _actions(policy)
    assert not [a for a in actions if a.startswith("sns:")]
    stream_actions = {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    assert not stream_actions & actions
    assert "dynamodb:Query" not in actions
    stream = _stack_outputs()["StreamArn"]
    assert not [r for s in policy["Statement"] for r in s["Resource"] if fnmatchcase(stream, r)]
    table = _stack_outputs()["TableArn"]
    for action in ("dynamodb:PutItem", "dynamodb:UpdateItem"):
        assert _allows(policy, action, table, "TransactWriteItems")
        assert not _allows(policy, action, table, None)
    # The key only through DynamoDB, never through SNS.
    [kms] = [s for s in policy["Statement"] if s["Action"][0].startswith("kms:")]
    assert kms["Condition"]["StringEquals"]["kms:ViaService"] == ["dynamodb.us-east-1.amazonaws.com"]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_committed_stage_policies_have_no_wildcard_and_grant_what_the_generator_grants(stage: str) -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][stage]
    assert config["autogen_policy"] is False
    # No stage-wide file: Chalice would hand it to any function without one of its own.
    assert "iam_policy_file" not in config
    assert set(config["lambda_functions"]) == set(HANDLERS)
    assert not (ROOT / ".chalice" / f"policy-{stage}.json").exists()
    example = configure_stage.StackOutputs.from_outputs(
        {key: f"arn:aws:dynamodb:us-east-1:123456789012:table/x/{key}" for key in configure_stage.REQUIRED_OUTPUTS}
    )
    for handler in HANDLERS:
        committed = _policy(ROOT, handler, stage)
        assert wildcard_grants(committed) == []
        generated = configure_stage.build_policy(example, handler, "f")
        assert [(s["Sid"], s["Action"]) for s in committed["Statement"]] == [
            (s["Sid"], s["Action"]) for s in generated["Statement"]
        ]
        assert all(
            f"next-steps-{stage}" in r for s in committed["Statement"] for r in s["Resource"] if ":key/" not in r
        )


def test_configure_refuses_a_handler_it_has_no_policy_for() -> None:
    """A handler added to app.py gets nothing until someone says what it calls (Chalice has no fallback file)."""
    example = configure_stage.StackOutputs.from_outputs(
        {key: f"arn:aws:dynamodb:us-east-1:123456789012:table/x/{key}" for key in configure_stage.REQUIRED_OUTPUTS}
    )
    with pytest.raises(configure_stage.ConfigureError, match="handler exporter"):
        configure_stage.build_policy(example, "exporter", "next-steps-dev-exporter")


def test_configure_sets_the_stage_to_the_stack_and_keeps_every_other_setting(configured: Path, aws: Stack) -> None:
    before = json.loads((ROOT / ".chalice" / "config.json").read_text())
    after = json.loads((configured / ".chalice" / "config.json").read_text())
    env = after["stages"]["dev"]["environment_variables"]
    assert env["LEADS_TABLE"] == aws.table
    assert env["STAFF_TOPIC_ARN"] == aws.topic_arn
    assert env["LEADS_STREAM_ARN"] == aws.stream_arn
    assert env["STAGE"] == "dev"
    assert after["stages"]["dev"]["autogen_policy"] is False
    assert "iam_policy_file" not in after["stages"]["dev"]
    # Each function's policy file is set; its other settings (memory, concurrency) are kept.
    old_functions = before["stages"]["dev"].get("lambda_functions", {})
    assert after["stages"]["dev"]["lambda_functions"] == {
        handler: {**old_functions.get(handler, {}), "iam_policy_file": f"policy-dev-{handler}.json"}
        for handler in HANDLERS
    }
    changed = {"LEADS_TABLE", "STAFF_TOPIC_ARN", "LEADS_STREAM_ARN", "STAGE"}
    old_env = before["stages"]["dev"]["environment_variables"]
    assert {k: v for k, v in env.items() if k not in changed} == {k: v for k, v in old_env.items() if k not in changed}
    assert {k: v for k, v in after.items() if k != "stages"} == {k: v for k, v in before.items() if k != "stages"}
    assert {k: v for k, v in after["stages"].items() if k != "dev"} == {
        k: v for k, v in before["stages"].items() if k != "dev"
    }


def test_configure_adds_a_new_stage_with_its_own_policy(aws: Stack, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    project = copy_project(tmp_path / "project")
    args = ["--stage", "staging", "--stack", "next-steps-test", "--project-dir", str(project)]
    assert configure_stage.main([*args, "--allowed-origins", "https://staging.clinic.example"]) == 0
    stage = json.loads((project / ".chalice" / "config.json").read_text())["stages"]["staging"]
    assert {h: f["iam_policy_file"] for h, f in stage["lambda_functions"].items()} == {
        handler: f"policy-staging-{handler}.json" for handler in HANDLERS
    }
    assert stage["environment_variables"]["ALLOWED_ORIGINS"] == "https://staging.clinic.example"
    for handler in HANDLERS:
        assert wildcard_grants(_policy(project, handler, "staging")) == []


def test_configure_refuses_a_stack_that_is_not_there_and_changes_nothing(
    aws: Stack, tmp_path: Path, capsys: Any
) -> None:
    project = copy_project(tmp_path / "project")
    before = (project / ".chalice" / "config.json").read_text()
    assert configure_stage.main(["--stage", "dev", "--stack", "no-such-stack", "--project-dir", str(project)]) == 1
    assert "cannot read stack no-such-stack" in capsys.readouterr().err
    assert (project / ".chalice" / "config.json").read_text() == before
    assert not list((project / ".chalice").glob("policy-*.json"))


# ---------------------------------------------------------------------------
# The policy grants exactly what the functions call
# ---------------------------------------------------------------------------

_TRANSACT_PARTS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def _requests(call: tuple[str, str, dict[str, Any]], arns: dict[str, str]) -> list[tuple[str, str, str | None]]:
    """The IAM (action, resource, enclosing operation) requests one API call makes."""
    service, operation, params = call
    if service == "sns":
        return [(f"sns:{operation}", params["TopicArn"], None)]
    if operation == "TransactWriteItems":
        return [
            (_TRANSACT_PARTS[kind], arns[body["TableName"]], "TransactWriteItems")
            for item in params["TransactItems"]
            for kind, body in item.items()
        ]
    resource = arns[params["TableName"]]
    if params.get("IndexName"):
        resource += f"/index/{params['IndexName']}"
    return [(f"dynamodb:{operation}", resource, None)]


def _allows(policy: dict[str, Any], action: str, resource: str, enclosing: str | None) -> bool:
    for statement in policy["Statement"]:
        if action not in statement["Action"] or not any(fnmatchcase(resource, r) for r in statement["Resource"]):
            continue
        condition = statement.get("Condition", {})
        if set(condition) - {"ForAnyValue:StringEquals"}:
            continue  # a condition this check does not model never counts as allowing
        wanted = condition.get("ForAnyValue:StringEquals", {}).get("dynamodb:EnclosingOperation")
        if wanted is None or enclosing in wanted:
            return True
    return False


def test_each_policy_allows_every_call_its_function_makes_and_nothing_more(
    configured: Path, aws: Stack, deps: Any, client: Any
) -> None:
    """Run the API, the stream handler and the sweeper through their busy paths, recording each AWS call by function."""
    import boto3

    from chalicelib.notices import SnsPublisher
    from chalicelib.store import LeadStore

    running = ["api_handler"]
    calls: dict[str, list[tuple[str, str, dict[str, Any]]]] = {handler: [] for handler in HANDLERS}
    session = boto3.session.Session(region_name="us-east-1")
    session.events.register(
        "provide-client-params",
        lambda params, model, **kw: calls[running[0]].append(
            (model.service_model.endpoint_prefix, model.name, dict(params))
        ),
    )
    deps.store = LeadStore(session.client("dynamodb"), aws.table)
    deps.publisher_factory = lambda: SnsPublisher(session.client("sns"), aws.topic_arn)
    from dataclasses import replace

    deps.settings = replace(deps.settings, notice_grace_seconds=0, follow_up_hours=0)

    body = valid_lead()
    first = post(client, body, {"Idempotency-Key": "k-1"})
    assert post(client, body, {"Idempotency-Key": "k-1"}).headers.get("Idempotent-Replayed") == "true"
    assert post(client, valid_lead(first_name="Rowan", email="rowan@example.org")).status_code == 201
    running[0] = "notify_staff"
    pump(client, aws)  # claim, publish, record
    running[0] = "sweeper"
    client.lambda_.invoke("sweeper", client.events.generate_cw_event("aws.events", "Scheduled Event", {}, []))
    assert first.status_code == 201
    assert len(aws.notices()) >= 3  # two new-lead notices and at least one follow-up reminder

    arns = {aws.table: _stack_outputs()["TableArn"]}
    for handler in HANDLERS:
        policy = _policy(configured, handler)
        made = {request for call in calls[handler] for request in _requests(call, arns)}
        assert made, handler
        assert [r for r in made if not _allows(policy, *r)] == [], handler
        # The stream is read by Lambda's event source mapping, not by the code.
        granted = {
            a
            for s in policy["Statement"]
            for a in s["Action"]
            if a.startswith(("sns:", "dynamodb:")) and s["Sid"] != "ReadLeadStream"
        }
        # GetItem reads a replay's first answer only if DynamoDB did not hand back the guard item
        # with the cancelled transaction; the store falls back to it.
        unused = {"dynamodb:GetItem"} if handler == "api_handler" else set()
        assert granted - {action for action, _, _ in made} <= unused, handler
        # Nothing is granted on a resource the function never touches (the stream aside).
        touched = {resource for _, resource, _ in made}
        data_resources = {
            r
            for s in policy["Statement"]
            if s["Sid"] != "ReadLeadStream" and s["Action"][0].startswith(("sns:", "dynamodb:"))
            for r in s["Resource"]
        }
        assert data_resources <= touched, handler
