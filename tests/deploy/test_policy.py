"""`make configure`: the stage's settings and its least-privilege policy, from the deployed stack."""

from __future__ import annotations

import json
import re
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
# Actions IAM authorises on "*" only (no resource type): ListStreams lists stream ARNs, no data.
RESOURCELESS = {"dynamodb:ListStreams"}
# Statements for Lambda's event source mapping, which reads the stream with the function's role.
STREAM_SIDS = {"ReadLeadStream", "ListLeadStreams"}


def wildcard_grants(policy: dict[str, Any]) -> list[str]:
    """Every grant of a wildcard action, or of a wildcard resource for a data service."""
    found = []
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        found += [f"action {a}" for a in actions if "*" in a]
        resourceless = set(actions) <= RESOURCELESS and resources == ["*"]
        if any(a.startswith(DATA_SERVICES) for a in actions) and not resourceless:
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
    # "*" is accepted only for an action that names no resource, and only alone in its statement.
    assert not wildcard_grants({"Statement": [{"Action": ["dynamodb:ListStreams"], "Resource": ["*"]}]})
    reads = ["dynamodb:ListStreams", "dynamodb:GetRecords"]
    assert wildcard_grants({"Statement": [{"Action": reads, "Resource": ["*"]}]})


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
        "notify_staff": {table, stream, "*", topic, key},  # "*": ListStreams alone
        "sweeper": {table, outputs["NoticeIndexArn"], outputs["AckIndexArn"], outputs["StatusIndexArn"], topic, key},
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
        assert [(s["Sid"], s["Action"], s.get("Condition")) for s in committed["Statement"]] == [
            (s["Sid"], s["Action"], s.get("Condition")) for s in generated["Statement"]
        ]
        assert all(
            f"next-steps-{stage}" in r
            for s in committed["Statement"]
            for r in s["Resource"]
            if ":key/" not in r and r != "*"
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


# What a request tells IAM: (condition key, its values) pairs, as a hashable tuple.
Context = tuple[tuple[str, tuple[str, ...]], ...]
Request = tuple[str, str, str | None, Context]

_KEYWORDS = {"SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "IN", "BETWEEN"}


def _attribute_names(body: dict[str, Any]) -> set[str]:
    """The top-level attribute names a DynamoDB request names: its key or item, and every expression."""
    names = set(body.get("Key") or body.get("Item") or {})
    aliases = body.get("ExpressionAttributeNames") or {}
    for field in ("UpdateExpression", "ConditionExpression", "ProjectionExpression", "FilterExpression"):
        expression = body.get(field) or ""
        for match in re.finditer(r"([#:]?)([A-Za-z_][A-Za-z0-9_]*)(\s*\()?", expression):
            sigil, word, call = match.groups()
            if sigil == ":" or call or word in _KEYWORDS:
                continue
            names.add(aliases[sigil + word] if sigil == "#" else word)
    return names


def _context(body: dict[str, Any], operation: str, enclosing: str | None) -> Context:
    context: dict[str, tuple[str, ...]] = {}
    key = body.get("Key") or body.get("Item")
    if key and "pk" in key:
        context["dynamodb:LeadingKeys"] = (key["pk"]["S"],)
    context["dynamodb:Attributes"] = tuple(sorted(_attribute_names(body)))
    partition = re.match(r"\s*pk\s*=\s*(:\w+)", body.get("KeyConditionExpression") or "")
    if operation == "Query" and partition and not body.get("IndexName"):
        # A query of the table names its partition, as IAM's LeadingKeys.
        context["dynamodb:LeadingKeys"] = (body["ExpressionAttributeValues"][partition.group(1)]["S"],)
    if operation in ("UpdateItem", "PutItem", "DeleteItem"):
        context["dynamodb:ReturnValues"] = (body.get("ReturnValues", "NONE"),)
    if enclosing:
        context["dynamodb:EnclosingOperation"] = (enclosing,)
    return tuple(sorted(context.items()))


def _requests(call: tuple[str, str, dict[str, Any]], arns: dict[str, str]) -> list[Request]:
    """The IAM (action, resource, enclosing operation, condition context) requests one API call makes."""
    service, operation, params = call
    if service == "sns":
        return [(f"sns:{operation}", params["TopicArn"], None, ())]
    if operation == "TransactWriteItems":
        return [
            (
                _TRANSACT_PARTS[kind],
                arns[body["TableName"]],
                "TransactWriteItems",
                _context(body, _TRANSACT_PARTS[kind].removeprefix("dynamodb:"), "TransactWriteItems"),
            )
            for item in params["TransactItems"]
            for kind, body in item.items()
        ]
    resource = arns[params["TableName"]]
    if params.get("IndexName"):
        resource += f"/index/{params['IndexName']}"
    return [(f"dynamodb:{operation}", resource, None, _context(params, operation, None))]


def _condition_holds(operator: str, key: str, wanted: list[str] | str, context: dict[str, tuple[str, ...]]) -> bool:
    """IAM's evaluation of one condition operator and key, for the operators the policies use."""
    wanted = [wanted] if isinstance(wanted, str) else wanted
    values = context.get(key)
    if operator == "ForAnyValue:StringEquals":
        return bool(values) and any(v in wanted for v in values or ())
    if operator == "ForAllValues:StringEquals":
        return all(v in wanted for v in values or ())
    if operator == "ForAllValues:StringLike":
        return all(any(fnmatchcase(v, w) for w in wanted) for v in values or ())
    if operator in ("StringEquals", "StringEqualsIfExists"):
        if values is None:
            return operator == "StringEqualsIfExists"
        return len(values) == 1 and values[0] in wanted
    raise AssertionError(f"a condition this check does not model: {operator}")


def _allows(policy: dict[str, Any], action: str, resource: str, enclosing: str | None, context: Context = ()) -> bool:
    facts = dict(context)
    if enclosing:
        facts.setdefault("dynamodb:EnclosingOperation", (enclosing,))
    for statement in policy["Statement"]:
        if action not in statement["Action"] or not any(fnmatchcase(resource, r) for r in statement["Resource"]):
            continue
        conditions = statement.get("Condition", {})
        if all(
            _condition_holds(operator, key, wanted, facts)
            for operator, keys in conditions.items()
            for key, wanted in keys.items()
        ):
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
    calls: dict[str, list[tuple[str, str, dict[str, Any]]]] = {handler: [] for handler in (*HANDLERS, "staff")}
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

    # Every lead's clock runs out at once: the sweep escalates, reminds and stops clocks.
    deps.settings = replace(deps.settings, notice_grace_seconds=0, urgent_ack_minutes=0, ack_minutes=0)

    body = valid_lead()
    first = post(client, body, {"Idempotency-Key": "k-1"})
    assert post(client, body, {"Idempotency-Key": "k-1"}).headers.get("Idempotent-Replayed") == "true"
    assert post(client, valid_lead(first_name="Rowan", email="rowan@example.org")).status_code == 201
    worked = post(client, valid_lead(first_name="Sam", email="sam@example.org"))
    assert (
        post(client, valid_lead(first_name="Jo", email="jo@example.org", message="I want to end my life")).status_code
        == 201
    )
    assert post(client, valid_lead(first_name="Bo", email="bo@example.org", website="x")).status_code == 201  # spam
    running[0] = "notify_staff"
    pump(client, aws)  # claim, publish, record
    running[0] = "staff"
    from chalicelib import service

    service.set_status(json.loads(worked.body)["lead_id"], "contacted", deps)  # worked without being opened
    running[0] = "sweeper"
    # The sweep runs within clinic hours (the next open minute), so the day's spam digest goes out too.
    from datetime import UTC, datetime

    from chalicelib.hours import add_clinic_minutes

    sweep_at = add_clinic_minutes(deps.settings.office_hours, datetime.now(UTC), 1)
    deps.clock = lambda: sweep_at
    tally = client.lambda_.invoke("sweeper", client.events.generate_cw_event("aws.events", "Scheduled Event", {}, []))
    assert first.status_code == 201
    assert (tally.payload["escalations"], tally.payload["reminders"], tally.payload["stopped"]) == (1, 2, 1)
    assert tally.payload["spam_digest"] == 1
    assert len(aws.notices()) == 4 + 3 + 1  # four new-lead notices, an escalation, two reminders, the spam digest

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
            if a.startswith(("sns:", "dynamodb:")) and s["Sid"] not in STREAM_SIDS
        }
        # GetItem reads a replay's first answer only if DynamoDB did not hand back the guard item
        # with the cancelled transaction; the store falls back to it.
        unused = {"dynamodb:GetItem"} if handler == "api_handler" else set()
        assert granted - {action for action, _, _, _ in made} <= unused, handler
        # Nothing is granted on a resource the function never touches (the stream aside).
        touched = {resource for _, resource, _, _ in made}
        data_resources = {
            r
            for s in policy["Statement"]
            if s["Sid"] not in STREAM_SIDS and s["Action"][0].startswith(("sns:", "dynamodb:"))
            for r in s["Resource"]
        }
        assert data_resources <= touched, handler


# ---------------------------------------------------------------------------
# Item- and attribute-level limits: what each function may touch in the table
# ---------------------------------------------------------------------------


def _recorded(store_calls: Any, table: str) -> list[Request]:
    """The IAM requests the store makes for store_calls(store), recorded without sending them."""
    import boto3

    from chalicelib.store import LeadStore

    made: list[tuple[str, str, dict[str, Any]]] = []
    session = boto3.session.Session(region_name="us-east-1")

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        made.append((model.service_model.endpoint_prefix, model.name, dict(params)))

    session.events.register("provide-client-params", record)
    store = LeadStore(session.client("dynamodb"), table)
    for call in store_calls:
        try:
            call(store)
        except Exception:
            pass  # only the request matters here (the item need not exist)
    arns = {table: _stack_outputs()["TableArn"]}
    return [request for call in made for request in _requests(call, arns)]


def test_the_api_may_read_back_its_guard_items_and_no_lead(configured: Path, aws: Stack) -> None:
    from chalicelib.ports import GuardKind

    policy = _policy(configured, "api_handler")
    idem, dup, lead, rate = _recorded(
        [
            lambda s: s.find_guard(GuardKind.IDEMPOTENCY, "a" * 64),
            lambda s: s.find_guard(GuardKind.DUPLICATE, "b" * 64),
            lambda s: s.get_lead("01JV6Q7T8KX2M4N5P6R7S8T9VW"),
            lambda s: s._db.get_item(
                TableName=aws.table, Key={"pk": {"S": "RATE#c#w1"}, "sk": {"S": "RATE"}}, ConsistentRead=True
            ),
        ],
        aws.table,
    )
    assert _allows(policy, *idem) and _allows(policy, *dup)
    assert not _allows(policy, *lead)
    assert not _allows(policy, *rate)


@pytest.mark.parametrize("handler", ["notify_staff", "sweeper"])
def test_the_notice_functions_may_change_only_notice_attributes_of_lead_items(
    configured: Path, aws: Stack, handler: str
) -> None:
    policy = _policy(configured, handler)
    lead = "01JV6Q7T8KX2M4N5P6R7S8T9VW"
    claim, contact, message, assign, old = _recorded(
        [
            lambda s: s._update(lead, {"notice_state": "sending"}, "notice_state = :p", {":p": "pending"}, (), True),
            lambda s: s._update(lead, {"email": "someone@example.org"}, "attribute_exists(sk)"),
            lambda s: s._update(lead, {"notice_state": "sent"}, "attribute_exists(sk)", remove=("message",)),
            lambda s: s._update(lead, {"assigned_to": "x"}, "notice_state = :p", {":p": "pending"}),
            lambda s: s._db.update_item(
                TableName=aws.table,
                Key={"pk": {"S": f"LEAD#{lead}"}, "sk": {"S": "LEAD"}},
                UpdateExpression="SET notice_state = :s",
                ExpressionAttributeValues={":s": {"S": "sent"}},
                ReturnValues="ALL_OLD",
            ),
        ],
        aws.table,
    )
    # The claim reads the lead back (ALL_NEW), as the keys-only stream needs.
    assert _allows(policy, *claim)
    for refused in (contact, message, assign, old):
        assert not _allows(policy, *refused), refused
    # Nothing but lead items: not a guard, not a rate counter.
    [counter] = _recorded(
        [
            lambda s: s._db.update_item(
                TableName=aws.table,
                Key={"pk": {"S": "RATE#c#w1"}, "sk": {"S": "RATE"}},
                UpdateExpression="SET notice_state = :s",
                ExpressionAttributeValues={":s": {"S": "sent"}},
            )
        ],
        aws.table,
    )
    assert not _allows(policy, *counter)


# ---------------------------------------------------------------------------
# parliament: a policy AWS would refuse, or that cannot work, fails the build
# ---------------------------------------------------------------------------

STREAM_READS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
# A stream's ARN ends in its label, a time with colons (.../stream/2026-11-28T19:03:50.327466).
STREAM_ARN = re.compile(r"^arn:[\w-]+:dynamodb:[\w-]+:\d{12}:table/[\w.-]+/stream/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+$")


def _stream_label_misread(policy: dict[str, Any], finding: Any) -> bool:
    """parliament 1.6.4's strict ARN check takes a colon after the account for a separator, so it
    calls every real stream ARN a mismatch for the stream actions. Suppressed only when the finding
    names nothing but those actions in their documented format, and every resource they are granted on
    is a well-formed stream ARN.
    """
    if finding.issue != "RESOURCE_MISMATCH":
        return False
    named = {d.get("action"): d.get("required_format") for d in finding.detail}
    if not named or set(named) - STREAM_READS or set(named.values()) != {"arn:*:dynamodb:*:*:table/*/stream/*"}:
        return False
    resources = [r for s in policy["Statement"] if STREAM_READS & set(s["Action"]) for r in s["Resource"]]
    return bool(resources) and all(STREAM_ARN.match(r) for r in resources)


def audit(policy: dict[str, Any]) -> list[str]:
    """parliament's findings for one policy (the one documented false positive aside)."""
    from parliament import analyze_policy_string

    findings = analyze_policy_string(json.dumps(policy)).findings
    return [f"{f.issue}: {f.detail}" for f in findings if not _stream_label_misread(policy, f)]


def test_the_audit_fails_a_policy_that_cannot_work() -> None:
    stream = "arn:aws:dynamodb:us-east-1:123456789012:table/next-steps-dev-leads/stream/2026-11-28T19:03:50.327466"
    table = stream.split("/stream/")[0]
    # ListStreams granted on the stream (it works on "*" only): the policy as it used to be.
    assert audit({"Version": "2012-10-17", "Statement": [_grant(sorted(STREAM_READS | RESOURCELESS), [stream])]})
    # Stream reads granted on the table, not its stream.
    assert audit({"Version": "2012-10-17", "Statement": [_grant(sorted(STREAM_READS), [table])]})
    assert audit({"Version": "2012-10-17", "Statement": [_grant(["sns:Publish"], [table])]})
    assert audit({"Version": "2012-10-17", "Statement": [_grant(["dynamodb:GetItems"], [table])]})
    # ... and passes the stream reads on the stream.
    assert audit({"Version": "2012-10-17", "Statement": [_grant(sorted(STREAM_READS), [stream])]}) == []


def _grant(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def test_parliament_finds_nothing_in_any_generated_or_committed_policy(configured: Path, aws: Stack) -> None:
    found = {}
    for handler in HANDLERS:
        found[f"generated {handler}"] = audit(_policy(configured, handler))
        for stage in ("dev", "prod"):
            found[f"committed {stage} {handler}"] = audit(_policy(ROOT, handler, stage))
    assert found == {name: [] for name in found}


@pytest.mark.parametrize("handler", ["notify_staff", "sweeper"])
def test_the_notice_policies_allow_every_failure_path_of_a_notice_and_an_escalation(
    configured: Path, aws: Stack, deps: Any, handler: str
) -> None:
    """SNS refusing: a notice failed, then dead; the escalation and reminder given back. Each write allowed."""
    from dataclasses import replace

    from chalicelib import service
    from chalicelib.escalation import escalate_waiting
    from chalicelib.notices import PublishFailed
    from tests.reliability.support import Clock, submit

    class Refusing:
        def publish(self, notice: Any) -> str:
            raise PublishFailed("InternalError")

    clock = Clock()
    deps.clock = clock
    first, _urgent = submit(deps, clock, 1), submit(deps, clock, 2, message="I want to end my life")

    def run(store: Any) -> None:
        busy = replace(deps, store=store, publisher_factory=Refusing, _publisher=None)
        assert service.deliver_notice(first, busy) == "failed"
        clock.advance(hours=1)
        dying = replace(busy, settings=replace(busy.settings, notice_max_attempts=2))
        assert service.deliver_notice(first, dying) == "dead"
        if handler == "sweeper":  # escalations and reminders are the sweeper's alone
            assert escalate_waiting(busy)["failed"] == 2

    policy = _policy(configured, handler)
    made = _recorded([run], aws.table)
    updates = [r for r in made if r[0] == "dynamodb:UpdateItem"]
    # claim + failed, claim + dead (and the sweeper's escalation and reminder: claim + give back each)
    assert len(updates) == (8 if handler == "sweeper" else 4)
    assert [r for r in updates if not _allows(policy, *r)] == []


def test_the_sweeper_may_take_and_give_back_the_days_spam_digest_and_nothing_else_with_it(
    configured: Path, aws: Stack
) -> None:
    from chalicelib.leads import Status

    policy = _policy(configured, "sweeper")
    claim, release, count = _recorded(
        [
            lambda s: s.claim_spam_digest("2026-12-01", now="2026-12-01T13:00:00.000Z", expires_at=1_800_000_000),
            lambda s: s.release_spam_digest("2026-12-01"),
            lambda s: s.count_leads(Status.SPAM, "2026-11-30T13:00:00.000Z"),
        ],
        aws.table,
    )
    for allowed in (claim, release, count):
        assert _allows(policy, *allowed), allowed
    # The marker's rights reach no lead, and write no other attribute.
    on_a_lead, other_attribute = _recorded(
        [
            lambda s: s._db.update_item(
                TableName=aws.table,
                Key={"pk": {"S": "LEAD#01JV6Q7T8KX2M4N5P6R7S8T9VW"}, "sk": {"S": "LEAD"}},
                UpdateExpression="SET sent_at = :s",
                ExpressionAttributeValues={":s": {"S": "x"}},
            ),
            lambda s: s._db.update_item(
                TableName=aws.table,
                Key={"pk": {"S": "DIGEST#spam"}, "sk": {"S": "2026-12-01"}},
                UpdateExpression="SET message = :s",
                ExpressionAttributeValues={":s": {"S": "x"}},
            ),
        ],
        aws.table,
    )
    assert not _allows(policy, *on_a_lead) and not _allows(policy, *other_attribute)
