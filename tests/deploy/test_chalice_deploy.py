"""The slow path a developer takes: lint, package, `chalice deploy`, redeploy, `chalice delete`.

All against a moto server of the test's own; nothing reaches AWS.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REGION
from tests.deploy.conftest import BIN, HANDLERS, STAGE, TEMPLATE, Project, run, template

pytestmark = [pytest.mark.deploy, pytest.mark.xdist_group("deploy")]

MAX_ZIP_BYTES = 5 * 1024 * 1024


def lint(path: Path) -> list[str]:
    """cfn-lint's findings (errors and warnings) for one template."""
    from cfnlint.api import ManualArgs, lint_file

    return [str(match) for match in lint_file(path, config=ManualArgs(regions=[REGION]))]


def test_infra_template_passes_cfn_lint() -> None:
    assert lint(TEMPLATE) == []


def test_chalice_package_passes_cfn_lint_fits_lambda_and_gives_each_function_its_own_role_and_policy(
    project: Project, tmp_path: Path
) -> None:
    out = tmp_path / "package"
    env = project.emulator.env()
    env.pop("AWS_ENDPOINT_URL")
    run([str(BIN / "chalice"), "package", "--stage", STAGE, str(out)], env, project.path)

    assert lint(out / "sam.json") == []

    package = out / "deployment.zip"
    assert package.stat().st_size < MAX_ZIP_BYTES
    names = zipfile.ZipFile(package).namelist()
    assert {"app.py", "chalicelib/service.py", "chalicelib/data/crisis_phrases.txt"} <= set(names)
    assert any(name.startswith("pydantic_core/") for name in names)
    # The Lambda runtime brings boto3; dev tools and tests never ship.
    assert not [n for n in names if n.split("/")[0] in {"boto3", "botocore", "moto", "tests", "pytest", ".chalice"}]

    sam = json.loads((out / "sam.json").read_text())
    resources = sam["Resources"]
    functions = {
        v["Properties"]["Handler"].removeprefix("app."): v["Properties"]
        for v in resources.values()
        if v["Type"] == "AWS::Serverless::Function"
    }
    assert set(functions) == {"app", "notify_staff", "sweeper"}
    role_of = {("api_handler" if name == "app" else name): f["Role"]["Fn::GetAtt"][0] for name, f in functions.items()}
    assert len(set(role_of.values())) == len(HANDLERS)  # one role per function
    assert {k for k, v in resources.items() if v["Type"] == "AWS::IAM::Role"} == set(role_of.values())
    for handler in HANDLERS:
        [policy] = resources[role_of[handler]]["Properties"]["Policies"]
        assert policy["PolicyDocument"] == project.policy(handler)


def assert_stream_settings(mapping: dict[str, Any]) -> None:
    """A failing batch is split and given up on soon (the sweeper sends what it held); only new leads invoke."""
    assert mapping["MaximumRetryAttempts"] == 2
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRecordAgeInSeconds"] == 900
    [pattern] = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern == {
        "eventName": ["INSERT"],
        "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "LEAD#"}]}, "sk": {"S": ["LEAD"]}}},
    }


def deployed(project: Project) -> dict[str, Any]:
    """Chalice's record of what it deployed for the stage."""
    record = json.loads((project.path / ".chalice" / "deployed" / f"{STAGE}.json").read_text())
    return {r["name"]: r for r in record["resources"]}


def test_chalice_deploy_redeploy_and_delete_keep_the_leads(project: Project) -> None:
    emulator, outputs = project.emulator, project.outputs
    lam, iam, apigw, events, db = (emulator.client(s) for s in ("lambda", "iam", "apigateway", "events", "dynamodb"))

    # -- first deploy ----------------------------------------------------------
    first = project.chalice("deploy", "--stage", STAGE)
    assert "Rest API URL" in first.stdout
    resources = deployed(project)
    functions = {
        name: lam.get_function(FunctionName=resources[name]["lambda_arn"])["Configuration"]
        for name in ("api_handler", "notify_staff", "sweeper")
    }
    params = template()["Parameters"]
    app_name, api_stage = params["AppName"]["Default"], params["ApiStageName"]["Default"]
    assert {f["FunctionName"] for f in functions.values()} == {
        f"{app_name}-{STAGE}",
        f"{app_name}-{STAGE}-notify_staff",  # the names the handler-error alarms watch
        f"{app_name}-{STAGE}-sweeper",
    }
    for handler, function in functions.items():
        env = function["Environment"]["Variables"]
        assert env["LEADS_TABLE"] == outputs["TableName"]
        assert env["STAFF_TOPIC_ARN"] == outputs["TopicArn"]
        assert env["LEADS_STREAM_ARN"] == outputs["StreamArn"]
        # Each function runs with a role of its own, holding only its own policy.
        role_name = function["Role"].rsplit("/", 1)[1]
        [policy_name] = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
        assert document == project.policy(handler)
    assert len({f["Role"] for f in functions.values()}) == len(functions)
    assert "sns:Publish" not in json.dumps(project.policy("api_handler"))

    [mapping] = lam.list_event_source_mappings(FunctionName=functions["notify_staff"]["FunctionArn"])[
        "EventSourceMappings"
    ]
    assert mapping["EventSourceArn"] == outputs["StreamArn"]
    # The retry limits and filter Chalice cannot set, from the documented post-deploy step.
    stream_settings = [sys.executable, "-m", "scripts.stream_settings", "--stage", STAGE]
    run([*stream_settings, "--project-dir", str(project.path)], emulator.env())
    assert_stream_settings(lam.get_event_source_mapping(UUID=mapping["UUID"]))

    rule = events.describe_rule(Name=resources["sweeper-event"]["rule_name"])
    assert rule["ScheduleExpression"] == "rate(1 minute)"

    api_id = resources["rest_api"]["rest_api_id"]
    api = apigw.get_rest_api(restApiId=api_id)
    assert api["name"] == app_name  # the ApiName the 5xx alarm watches
    routes = {r["path"]: set(r.get("resourceMethods", {})) for r in apigw.get_resources(restApiId=api_id)["items"]}
    assert {"POST", "OPTIONS"} <= routes["/leads"]
    assert "GET" in routes["/health"]
    assert api_stage in {s["stageName"] for s in apigw.get_stages(restApiId=api_id)["item"]}

    # A lead arrives between deploys.
    lead_key = {"pk": {"S": "LEAD#01KEEPME"}, "sk": {"S": "LEAD"}}
    db.put_item(TableName=outputs["TableName"], Item={**lead_key, "status": {"S": "new"}})

    # -- upgrade: new settings, same endpoint ---------------------------------
    project.configure("--allowed-origins", "https://www.clinic.example, https://clinic.example")
    second = project.chalice("deploy", "--stage", STAGE)
    assert "Updating rest API" in second.stdout
    assert deployed(project)["rest_api"]["rest_api_id"] == api_id
    env = lam.get_function(FunctionName=functions["api_handler"]["FunctionArn"])["Configuration"]["Environment"]
    assert env["Variables"]["ALLOWED_ORIGINS"] == "https://www.clinic.example,https://clinic.example"
    assert (
        len(
            lam.list_event_source_mappings(FunctionName=functions["notify_staff"]["FunctionArn"])["EventSourceMappings"]
        )
        == 1
    )
    # A redeploy keeps them (Chalice updates only the batch size and window).
    assert_stream_settings(lam.get_event_source_mapping(UUID=mapping["UUID"]))

    # -- chalice delete: the app goes, the data stays -------------------------
    project.chalice("delete", "--stage", STAGE)
    assert lam.list_functions()["Functions"] == []
    assert apigw.get_rest_apis()["items"] == []
    assert iam.list_roles()["Roles"] == []
    assert events.list_rules()["Rules"] == []
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []

    table = db.describe_table(TableName=outputs["TableName"])["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert db.get_item(TableName=outputs["TableName"], Key=lead_key)["Item"]["status"] == {"S": "new"}
    assert emulator.client("sns").get_topic_attributes(TopicArn=outputs["TopicArn"])["Attributes"]
    # (moto's DescribeKey fails on keys its CloudFormation made, so list instead.)
    assert outputs["KeyArn"] in {k["KeyArn"] for k in emulator.client("kms").list_keys()["Keys"]}
