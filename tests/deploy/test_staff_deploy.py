"""`chalice deploy` of both apps into one emulated stage: the staff API's own function, role, API and authorizer."""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from scripts.staff_pool import create_staff_pool
from tests.conftest import REGION, ROOT
from tests.deploy.conftest import HANDLERS, Emulator, copy_project, create_stack, run
from tests.deploy.test_chalice_deploy import MAX_ZIP_BYTES, lint
from tests.deploy.test_staff_policy import PUBLIC_ACTIONS, PUBLIC_LOGS
from tests.integration.test_staff_api import METHODS, taken

pytestmark = [pytest.mark.deploy, pytest.mark.xdist_group("deploy")]


def test_both_apps_deploy_and_the_staff_api_has_its_own_role_and_a_cognito_authorizer(
    emulator: Emulator, tmp_path: Path
) -> None:
    stage = "staffdeploy"  # a stage of its own, beside the public app's deploy test
    create_stack(emulator, stage)
    template = yaml.safe_load((ROOT / "infra" / "stack.yaml").read_text())
    pool = create_staff_pool(emulator.client("cognito-idp"), template, {"Stage": stage}, REGION)
    project = copy_project(tmp_path / "project")
    (project / "staff" / ".chalice").mkdir(parents=True)
    for name in ("app.py", "requirements.txt", ".chalice/config.json"):
        shutil.copy2(ROOT / "staff" / name, project / "staff" / name)
    (project / "staff" / "chalicelib").symlink_to("../chalicelib")
    configure = [sys.executable, "-m", "scripts.configure_stage", "--stage", stage, "--project-dir", str(project)]
    run(configure, emulator.env())

    shim = Path(__file__).with_name("chalice_emulated.py")
    run([sys.executable, str(shim), "deploy", "--stage", stage], emulator.env(), cwd=project)
    done = run([sys.executable, str(shim), "deploy", "--stage", stage], emulator.env(), cwd=project / "staff")
    assert "Rest API URL" in done.stdout
    record = json.loads((project / "staff" / ".chalice" / "deployed" / f"{stage}.json").read_text())
    resources = {r["name"]: r for r in record["resources"]}

    lam, iam, apigw = (emulator.client(s) for s in ("lambda", "iam", "apigateway"))
    function = lam.get_function(FunctionName=resources["api_handler"]["lambda_arn"])["Configuration"]
    assert function["FunctionName"] == f"next-steps-staff-{stage}"
    env = function["Environment"]["Variables"]
    assert env["STAFF_USER_POOL_ARN"] == pool["StaffUserPoolArn"]
    assert env["STAFF_CLIENT_ID"] == pool["StaffClientId"]
    assert env["STAFF_ISSUER"] == pool["StaffIssuer"]
    assert (env["LEADS_TABLE"], env["STAGE"]) == (f"next-steps-{stage}-leads", stage)
    # Its own role, holding only the staff policy `make configure` wrote.
    role = function["Role"].rsplit("/", 1)[1]
    [policy_name] = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    assert document == json.loads((project / ".chalice" / f"policy-{stage}-staff_api.json").read_text())
    granted = {a for s in document["Statement"] for a in s["Action"]}
    assert {"dynamodb:GetItem", "dynamodb:Query", "sns:Publish"} <= granted

    # The public app beside it: each function its own role, the form's exactly as before.
    public = json.loads((project / ".chalice" / "deployed" / f"{stage}.json").read_text())
    public_roles = {}
    for resource in public["resources"]:
        if resource["resource_type"] == "lambda_function":
            configuration = lam.get_function(FunctionName=resource["lambda_arn"])["Configuration"]
            public_roles[resource["name"]] = configuration["Role"].rsplit("/", 1)[1]
    assert set(public_roles) == set(HANDLERS)
    assert role not in public_roles.values()
    [form_policy] = iam.list_role_policies(RoleName=public_roles["api_handler"])["PolicyNames"]
    form = iam.get_role_policy(RoleName=public_roles["api_handler"], PolicyName=form_policy)["PolicyDocument"]
    assert {a for s in form["Statement"] for a in s["Action"]} == PUBLIC_ACTIONS | PUBLIC_LOGS

    api_id = resources["rest_api"]["rest_api_id"]
    assert apigw.get_rest_api(restApiId=api_id)["name"] == "next-steps-staff"
    # The gateway's own refusals (the Cognito authorizer's 401 above all) answer as the function does.
    gateway = [sys.executable, "-m", "scripts.staff_gateway", "--stage", stage, "--project-dir", str(project / "staff")]
    run(gateway, emulator.env())
    unauthorized = apigw.get_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED")
    assert unauthorized["statusCode"] == "401"
    headers = unauthorized["responseParameters"]
    assert headers["gatewayresponse.header.WWW-Authenticate"] == "'Bearer realm=\"next-steps-staff\"'"
    assert headers["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
    body = json.loads(unauthorized["responseTemplates"]["application/json"])
    assert (body["status"], body["title"]) == (401, "Sign-in required")
    default = apigw.get_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX")
    assert json.loads(default["responseTemplates"]["application/json"])["type"] == "about:blank"
    assert "/staff/me" in {r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    # moto's API Gateway imports no authorizers from the document, so the one
    # Chalice deploys is read off the same document, as `chalice package` writes it.
    out = tmp_path / "package"
    package_env = emulator.env()
    package_env.pop("AWS_ENDPOINT_URL")
    run([sys.executable, str(shim), "package", "--stage", stage, str(out)], package_env, cwd=project / "staff")
    assert lint(out / "sam.json") == []
    sam = json.loads((out / "sam.json").read_text())
    [api] = [r for r in sam["Resources"].values() if r["Type"] == "AWS::Serverless::Api"]
    document = api["Properties"]["DefinitionBody"]
    [(name, scheme)] = document["securityDefinitions"].items()
    assert scheme["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert scheme["x-amazon-apigateway-authorizer"]["providerARNs"] == [pool["StaffUserPoolArn"]]
    # Every route is guarded by it, but the inbox page's own files and sign-in settings, which hold no data,
    # and each path's answer to a method it does not take (a 405 that reads nothing: staff/app.py).
    public = {"/staff", "/staff/inbox.js", "/staff/inbox.css", "/staff/qr.js", "/staff/config"}
    served = {path.replace("{id}", "{lead_id}"): methods for path, methods in taken().items()}
    assert public <= set(served) and set(document["paths"]) == set(served)
    for path, operations in document["paths"].items():
        # Every method reaches the function, none is left to the gateway's "no such route".
        assert set(operations) - {"options"} == {m.lower() for m in METHODS}, path
        for verb, operation in operations.items():
            if verb == "options":
                continue
            if path in public or verb.upper() not in served[path]:
                assert "security" not in operation, (path, verb)
            else:
                assert operation["security"] == [{name: []}], (path, verb)

    zipped = sorted((project / "staff").rglob("*.zip"))
    assert zipped, "no deployment package"
    assert all(z.stat().st_size < MAX_ZIP_BYTES for z in zipped)
    names = zipfile.ZipFile(out / "deployment.zip").namelist()
    assert {"app.py", "chalicelib/staff_api.py", "chalicelib/staff/actions.py", "jose/jws.py"} <= set(names)
    assert not [n for n in names if n.split("/")[0] in {"boto3", "botocore", "moto", "tests", "cryptography"}]
