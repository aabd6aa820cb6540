"""`make deploy`: the zip with bytecode, the stage's memory, concurrency and throttling, and a POST through it.

Against a moto server of this module's own; nothing reaches AWS. The
emulator cannot run Lambda code, so the POST is served the way Lambda
serves it: the deployed zip (the emulator's CodeSha256 proves it is the one
`make package` wrote) unzipped into a read-only directory, the function's
deployed environment, boto3 from outside the zip, `app.app(event, context)`.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, valid_lead
from tests.deploy.conftest import STACK, STAGE, Emulator, copy_project, create_stack, run, running_emulator
from tests.deploy.test_chalice_deploy import lint

pytestmark = [pytest.mark.deploy, pytest.mark.xdist_group("deploy")]

SHIM = Path(__file__).with_name("chalice_emulated.py")
FUNCTIONS = {
    "api_handler": "next-steps-dev",
    "notify_staff": "next-steps-dev-notify_staff",
    "sweeper": "next-steps-dev-sweeper",
}

# Served from the unzipped package, as Lambda's bootstrap would: prints the
# answer and every module imported from the package that had no bytecode there.
SERVE = """
import importlib.util, json, os, sys
task = os.getcwd()
event = json.loads(sys.stdin.read())
import app
class Context:
    function_name = "next-steps-dev"
    memory_limit_in_mb = 1769
    aws_request_id = "deploy-test"
    def get_remaining_time_in_millis(self):
        return 30000
response = app.app(event, Context())
modules = [m for m in list(sys.modules.values()) if (getattr(m, "__file__", None) or "").startswith(task + os.sep)]
from_source = sorted(
    m.__file__[len(task) + 1:] for m in modules
    if m.__file__.endswith(".py") and not os.path.exists(importlib.util.cache_from_source(m.__file__))
)
print(json.dumps({"status": response["statusCode"], "body": response["body"],
                  "from_package": sorted({m.__name__.split(".")[0] for m in modules}),
                  "without_bytecode": from_source}))
"""


def config() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return data


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, Path, dict[str, str]]]:
    """`make configure` and `make deploy` of a project copy, into an emulator of this module's own."""
    with running_emulator() as emulator:
        outputs = create_stack(emulator)
        project = copy_project(tmp_path_factory.mktemp("deployed"))
        env = emulator.env()
        run([sys.executable, "-m", "scripts.configure_stage", "--stage", STAGE, "--stack", STACK,
             "--project-dir", str(project)], env)  # fmt: skip
        done = run(
            [sys.executable, "-m", "scripts.deploy", "deploy", "--stage", STAGE, "--project-dir", str(project),
             "--chalice", f"{sys.executable} {SHIM}"],
            env,
        )  # fmt: skip
        assert "Rest API URL" in done.stdout
        yield emulator, project, outputs


def test_make_deploy_ships_the_zip_make_package_wrote_with_bytecode_for_lambdas_python(
    deployed: tuple[Emulator, Path, dict[str, str]],
) -> None:
    emulator, project, _ = deployed
    package = project / "build" / "package" / "deployment.zip"
    digest = base64.b64encode(hashlib.sha256(package.read_bytes()).digest()).decode()
    lam = emulator.client("lambda")
    for name in FUNCTIONS.values():
        assert lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"] == digest

    assert package.stat().st_size < 5_000_000
    names = set(zipfile.ZipFile(package).namelist())
    ours = ["app.py", "chalice/app.py", *(n for n in names if n.startswith("chalicelib/") and n.endswith(".py"))]
    for source in [*ours, "pydantic/main.py", "email_validator/__init__.py", "phonenumbers/phonenumberutil.py"]:
        assert importlib.util.cache_from_source(source) in names, source
    # No bytecode left behind in the project for a plain `chalice deploy` to pick up.
    assert not (project / "vendor").exists()


def test_each_function_gets_the_stages_memory_and_reserved_concurrency_and_the_api_its_throttling(
    deployed: tuple[Emulator, Path, dict[str, str]],
) -> None:
    emulator, project, _ = deployed
    stage = config()["stages"][STAGE]
    lam = emulator.client("lambda")
    for handler, name in FUNCTIONS.items():
        wanted = stage["lambda_functions"][handler]
        function = lam.get_function(FunctionName=name)
        assert function["Configuration"]["MemorySize"] == wanted["lambda_memory_size"]
        assert function["Concurrency"]["ReservedConcurrentExecutions"] == wanted["reserved_concurrency"]

    record = json.loads((project / ".chalice" / "deployed" / f"{STAGE}.json").read_text())
    [api] = [r for r in record["resources"] if r["resource_type"] == "rest_api"]
    settings = emulator.client("apigateway").get_stage(restApiId=api["rest_api_id"], stageName="api")
    every_method = settings["methodSettings"]["*/*"]
    assert every_method["throttlingRateLimit"] == stage["api_throttling"]["rate_limit"]
    assert every_method["throttlingBurstLimit"] == stage["api_throttling"]["burst_limit"]

    # The CloudFormation path (`chalice package`) carries the same limits, in a template cfn-lint accepts.
    template = project / "build" / "package" / "sam.json"
    assert lint(template) == []
    sam = json.loads(template.read_text())
    [rest_api] = [r for r in sam["Resources"].values() if r["Type"] == "AWS::Serverless::Api"]
    assert rest_api["Properties"]["MethodSettings"] == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": stage["api_throttling"]["rate_limit"],
            "ThrottlingBurstLimit": stage["api_throttling"]["burst_limit"],
        }
    ]


def _read_only(tree: Path) -> None:
    for path in [tree, *tree.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def test_a_post_through_the_deployed_zip_stores_the_lead_using_only_the_bytecode_in_the_zip(
    deployed: tuple[Emulator, Path, dict[str, str]], tmp_path: Path
) -> None:
    emulator, project, outputs = deployed
    task = tmp_path / "task"
    with zipfile.ZipFile(project / "build" / "package" / "deployment.zip") as archive:
        archive.extractall(task)
    _read_only(task)  # as /var/task
    shipped = sorted(task.rglob("*.pyc"))

    function = emulator.client("lambda").get_function(FunctionName=FUNCTIONS["api_handler"])["Configuration"]
    env = emulator.env(**function["Environment"]["Variables"])
    env.update(
        ALLOWED_ORIGINS="https://clinic.example",
        PYTHONPATH=str(task),
        # The tests may run as root, whom a read-only directory does not stop.
        PYTHONDONTWRITEBYTECODE="1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )
    body = json.dumps(valid_lead())
    headers = {"Content-Type": "application/json", "Origin": "https://clinic.example", "Idempotency-Key": "deploy-1"}
    event = {
        "resource": "/leads",
        "path": "/leads",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/leads",
            "httpMethod": "POST",
            "path": "/api/leads",
            "stage": "api",
            "requestId": "deploy-test",
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "deploy-test"},
        },
        "body": body,
        "isBase64Encoded": False,
    }
    done = subprocess.run(
        [sys.executable, "-c", SERVE],
        input=json.dumps(event),
        cwd=task,
        env={k: v for k, v in env.items() if k != "PYTHONSAFEPATH"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    served = json.loads(done.stdout.strip().splitlines()[-1])
    assert served["status"] == 201, served["body"]
    # app, chalicelib and the dependencies a POST needs all came from the zip
    assert {"app", "chalicelib", "chalice", "email_validator", "phonenumbers"} <= set(served["from_package"])
    assert served["without_bytecode"] == []
    assert sorted(task.rglob("*.pyc")) == shipped  # nothing was compiled into the package at run time

    lead_id = json.loads(served["body"])["lead_id"]
    item = emulator.client("dynamodb").get_item(
        TableName=outputs["TableName"], Key={"pk": {"S": f"LEAD#{lead_id}"}, "sk": {"S": "LEAD"}}
    )["Item"]
    assert item["email"] == {"S": valid_lead()["email"]}
