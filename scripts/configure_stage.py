"""`make configure`: point a Chalice stage at its deployed infra/ stack.

Reads the outputs of the stage's CloudFormation stack (infra/stack.yaml) and
writes the files the next `chalice deploy --stage <stage>` uses:

- .chalice/config.json: the stage's LEADS_TABLE, STAFF_TOPIC_ARN and
  LEADS_STREAM_ARN (and ALLOWED_ORIGINS / THANK_YOU_URL when given); every
  other setting of the stage is kept as it is.
- .chalice/policy-<stage>-<handler>.json, one per Lambda function
  (api_handler, notify_staff, sweeper): that function's IAM policy, with
  exactly the DynamoDB, SNS, KMS and CloudWatch Logs actions it calls, on the
  stack's resources only (no wildcard action, no wildcard on data). Chalice
  gives each function its own role with its own policy.
- staff/.chalice/config.json: the staff API's stage (the table and topic,
  STAFF_ISSUER, STAFF_CLIENT_ID, STAFF_USER_POOL_ARN for its Cognito
  authorizer, and the public app's shared settings), and its own policy
  .chalice/policy-<stage>-staff_api.json: what the staff actions call, on the
  table, the by_status and by_audit_day indexes and the topic only.

AWS credentials, region and AWS_ENDPOINT_URL come from the usual AWS_*
variables (or --region).

    python -m scripts.configure_stage --stage dev --stack next-steps-dev
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# The stack outputs the app and its policy need (see infra/stack.yaml).
REQUIRED_OUTPUTS = (
    "TableName",
    "TableArn",
    "StreamArn",
    "TopicArn",
    "KeyArn",
    "StatusIndexArn",
    "NoticeIndexArn",
    "AckIndexArn",
)
# A stack in any other state has no usable outputs (still creating, failed, rolled back).
USABLE_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"})


class ConfigureError(Exception):
    """The stage cannot be configured; the message says why, in plain words."""


@dataclass(frozen=True)
class StackOutputs:
    """What a deployed infra/ stack tells the app."""

    table_name: str
    table_arn: str
    stream_arn: str
    topic_arn: str
    key_arn: str
    status_index_arn: str
    notice_index_arn: str
    ack_index_arn: str
    staff_user_pool_id: str = ""
    staff_user_pool_arn: str = ""
    staff_client_id: str = ""
    staff_issuer: str = ""

    @classmethod
    def from_outputs(cls, outputs: dict[str, str]) -> StackOutputs:
        """From CloudFormation's OutputKey -> OutputValue map."""
        missing = [key for key in REQUIRED_OUTPUTS if not outputs.get(key)]
        if missing:
            raise ConfigureError(
                f"the stack has no output {', '.join(missing)}; deploy the current infra/stack.yaml first"
            )
        return cls(
            table_name=outputs["TableName"],
            table_arn=outputs["TableArn"],
            stream_arn=outputs["StreamArn"],
            topic_arn=outputs["TopicArn"],
            key_arn=outputs["KeyArn"],
            status_index_arn=outputs["StatusIndexArn"],
            notice_index_arn=outputs["NoticeIndexArn"],
            ack_index_arn=outputs["AckIndexArn"],
            staff_user_pool_id=outputs.get("StaffUserPoolId", ""),
            staff_user_pool_arn=outputs.get("StaffUserPoolArn", ""),
            staff_client_id=outputs.get("StaffClientId", ""),
            staff_issuer=outputs.get("StaffIssuer", ""),
        )

    @property
    def partition(self) -> str:
        """aws, aws-cn, aws-us-gov ..."""
        return self.table_arn.split(":")[1]

    @property
    def region(self) -> str:
        """The stack's region, from its table's ARN."""
        return self.table_arn.split(":")[3]

    @property
    def account(self) -> str:
        """The stack's account, from its table's ARN."""
        return self.table_arn.split(":")[4]


def read_stack(stack_name: str, region: str | None = None) -> StackOutputs:
    """Describe the stack and return its outputs."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("cloudformation", region_name=region) if region else boto3.client("cloudformation")
    try:
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        raise ConfigureError(f"cannot read stack {stack_name}: {exc.response.get('Error', {}).get('Message')}") from exc
    except BotoCoreError as exc:
        raise ConfigureError(f"cannot read stack {stack_name}: {exc}") from exc
    stack = stacks[0]
    if stack["StackStatus"] not in USABLE_STATES:
        raise ConfigureError(f"stack {stack_name} is {stack['StackStatus']}; wait for it to finish or fix it first")
    return StackOutputs.from_outputs({o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])})


def stage_settings(
    config: dict[str, Any],
    stage: str,
    outputs: StackOutputs,
    allowed_origins: str | None = None,
    thank_you_url: str | None = None,
    inbox_url: str | None = None,
) -> dict[str, Any]:
    """A copy of config.json with the stage pointed at the stack (other settings kept)."""
    new: dict[str, Any] = json.loads(json.dumps(config))
    stages = new.setdefault("stages", {})
    stage_config = stages.setdefault(stage, {"api_gateway_stage": "api"})
    stage_config["autogen_policy"] = False
    # Each function names its own policy file (see function_settings); a
    # stage-wide file would be the policy of any function not named there.
    stage_config.pop("iam_policy_file", None)
    env = stage_config.setdefault("environment_variables", {})
    env["STAGE"] = stage
    env["LEADS_TABLE"] = outputs.table_name
    env["STAFF_TOPIC_ARN"] = outputs.topic_arn
    env["LEADS_STREAM_ARN"] = outputs.stream_arn
    if allowed_origins is not None:
        env["ALLOWED_ORIGINS"] = ",".join(o.strip() for o in allowed_origins.split(",") if o.strip())
    if thank_you_url is not None:
        env["THANK_YOU_URL"] = thank_you_url
    if inbox_url is not None:
        # Every staff notice links to its lead there (STAFF_INBOX_URL + #lead=<id>).
        env["STAFF_INBOX_URL"] = inbox_url.strip()
    return new


def function_names(project_dir: Path, config: dict[str, Any], stage: str) -> dict[str, str]:
    """Each of the app's handlers (its name in app.py) -> the Lambda function name `chalice deploy` gives it.

    Asks Chalice itself (its application graph), so a handler added to app.py
    is found the next time the stage is configured.
    """
    from chalice.cli.factory import CLIFactory
    from chalice.deploy import models
    from chalice.deploy.appgraph import ApplicationGraphBuilder, DependencyBuilder

    class _Factory(CLIFactory):
        def load_project_config(self) -> dict[str, Any]:
            return config

    chalice_config = _Factory(str(project_dir)).create_config_obj(chalice_stage_name=stage)
    application = ApplicationGraphBuilder().build(chalice_config, stage)
    names = {
        resource.resource_name: resource.function_name
        for resource in DependencyBuilder().build_dependencies(application)
        if isinstance(resource, models.LambdaFunction)
    }
    if not names:
        raise ConfigureError("app.py defines no Lambda functions")
    return dict(sorted(names.items()))


def policy_file(stage: str, handler: str) -> str:
    """The name, in .chalice/, of one function's policy for a stage."""
    return f"policy-{stage}-{handler}.json"


def function_settings(config: dict[str, Any], stage: str, handlers: Sequence[str]) -> dict[str, Any]:
    """config with each handler of the stage pointed at its own policy file (its other settings kept)."""
    functions = config["stages"][stage].setdefault("lambda_functions", {})
    for handler in handlers:
        functions.setdefault(handler, {})["iam_policy_file"] = policy_file(stage, handler)
    return config


def _statement(
    sid: str, actions: list[str], resources: list[str], condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def _key_through(outputs: StackOutputs, sid: str, services: Sequence[str]) -> dict[str, Any]:
    """kms:Decrypt/GenerateDataKey on the stage's key, only when a service uses it for the function."""
    return _statement(
        sid,
        ["kms:Decrypt", "kms:GenerateDataKey"],
        [outputs.key_arn],
        {"StringEquals": {"kms:ViaService": [f"{service}.{outputs.region}.amazonaws.com" for service in services]}},
    )


# Key prefixes (chalicelib/service.py) of the guard items the API reads back
# for a replay: an idempotency key's and a duplicate fingerprint's.
GUARD_KEYS = ("IDEM#*", "DUP#*")
# Every attribute a notice claim and its outcome read in a condition or write
# (chalicelib/service.py deliver_notice), and the table's key: IAM's
# dynamodb:Attributes must list the key attributes, and those of any index
# the policy names, or DynamoDB refuses the request.
NOTICE_ATTRIBUTES = (
    "pk",
    "sk",
    "notice_state",
    "notice_lease_until",
    "notice_attempts",
    "notice_last_error",
    "notice_queue",
    "notice_due_at",
    "notice_message_id",
    "notice_sent_at",
)
# The sweeper also claims escalations and reminders (chalicelib/dynamo/acks.py):
# it moves or ends a lead's ack_due_at and appends to its escalations, on a
# lead still `new` and not acknowledged, and queries the by_ack_due index,
# whose keys are priority and ack_due_at.
SWEEPER_ATTRIBUTES = (*NOTICE_ATTRIBUTES, "ack_due_at", "escalations", "status", "acknowledged_at", "priority")
# The sweeper also queries the by_status index (status, created_at) to count
# the day's spam for the digest.
# A day's spam digest marker: its key, when it was sent, and its TTL.
DIGEST_ATTRIBUTES = ("pk", "sk", "sent_at", "expires_at")


def _claim(table: list[str], attributes: Sequence[str]) -> dict[str, Any]:
    """UpdateItem on lead items only, naming only the attributes the notice path writes or tests.

    The claim reads the lead back (ReturnValues ALL_NEW) to build its notice:
    the stream carries keys only. No other ReturnValues is allowed.
    """
    return _statement(
        "ClaimAndRecordNotices",
        ["dynamodb:UpdateItem"],
        table,
        {
            "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["LEAD#*"]},
            "ForAllValues:StringEquals": {"dynamodb:Attributes": list(attributes)},
            "StringEquals": {"dynamodb:ReturnValues": ["NONE", "ALL_NEW"]},
        },
    )


def _handler_statements(outputs: StackOutputs, handler: str) -> list[dict[str, Any]]:
    """What one handler calls (chalicelib/service.py and store.py), on the stack's resources."""
    table = [outputs.table_arn]
    publish = _statement("PublishStaffNotices", ["sns:Publish"], [outputs.topic_arn])
    if handler == "api_handler":
        return [
            # A new lead, its idempotency and duplicate guards (Put) and the
            # rate counters (Update) are written in one conditional
            # TransactWriteItems; IAM authorises a transaction by its parts,
            # and the API writes nothing outside it.
            _statement(
                "StoreNewLeadsInOneTransaction",
                ["dynamodb:PutItem", "dynamodb:UpdateItem"],
                table,
                {"ForAnyValue:StringEquals": {"dynamodb:EnclosingOperation": ["TransactWriteItems"]}},
            ),
            # A replay's first answer, when the cancelled transaction did not
            # hand back the guard item: its own guard items only, never a lead.
            _statement(
                "ReadReplayedAnswer",
                ["dynamodb:GetItem"],
                table,
                {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(GUARD_KEYS)}},
            ),
            _key_through(outputs, "UseKeyThroughTable", ["dynamodb"]),
        ]
    if handler == "notify_staff":
        return [
            # Lambda's event source mapping reads the stream with this role.
            _statement(
                "ReadLeadStream",
                ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                [outputs.stream_arn],
            ),
            # ListStreams names no stream: IAM grants it on "*" only (it lists
            # stream ARNs, no data), and the event source mapping calls it.
            _statement("ListLeadStreams", ["dynamodb:ListStreams"], ["*"]),
            _claim(table, NOTICE_ATTRIBUTES),
            publish,
            _key_through(outputs, "UseKeyThroughTableAndTopic", ["dynamodb", "sns"]),
        ]
    if handler == "sweeper":
        return [
            _statement(
                "FindOwedNoticesWaitingLeadsAndSpam",
                ["dynamodb:Query"],
                [outputs.notice_index_arn, outputs.ack_index_arn, outputs.status_index_arn],
            ),
            _claim(table, SWEEPER_ATTRIBUTES),
            # The once-a-day spam digest's marker (chalicelib/dynamo/digests.py):
            # its own items only, taken and given back with conditional updates.
            _statement(
                "ReadDailySpamDigest",
                ["dynamodb:GetItem"],
                table,
                {
                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["DIGEST#*"]},
                    # The marker's key and sending time (it holds nothing else but its TTL).
                    "ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "sk", "sent_at"]},
                },
            ),
            _statement(
                "MarkDailySpamDigest",
                ["dynamodb:UpdateItem"],
                table,
                {
                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["DIGEST#*"]},
                    "ForAllValues:StringEquals": {"dynamodb:Attributes": list(DIGEST_ATTRIBUTES)},
                    "StringEquals": {"dynamodb:ReturnValues": ["NONE"]},
                },
            ),
            publish,
            _key_through(outputs, "UseKeyThroughTableAndTopic", ["dynamodb", "sns"]),
        ]
    raise ConfigureError(
        f"app.py has a handler {handler} this script grants nothing yet; "
        "add what it calls to scripts/configure_stage.py (_handler_statements)"
    )


def build_policy(outputs: StackOutputs, handler: str, function_name: str) -> dict[str, Any]:
    """One function's IAM policy: each action it calls, on the stack's resources only.

    - api_handler (POST /leads): one TransactWriteItems per lead (Put of the
      lead and its guards, Updates of the rate counters), GetItem of its own
      guard items to read a replay's first answer; the key through DynamoDB.
      No Query, no stream, no sns:Publish, no read of a lead.
    - notify_staff: reads the table's stream (ListStreams on "*", the only
      resource IAM accepts for it), UpdateItem of lead items' notice
      attributes to claim and record a notice, sns:Publish to the staff topic.
    - sweeper: Query on the by_notice, by_ack_due and by_status indexes (owed
      notices, leads waiting for an acknowledgement, the day's spam count),
      UpdateItem of lead items' notice and escalation attributes and of the
      daily spam digest's marker items, GetItem of those markers' sent_at,
      sns:Publish to the staff topic.
    - Each writes its own log group only. The table, its stream and the topic
      are encrypted with the stack's key.
    - Erasing a lead (DeleteItem) and the staff CLI run with staff credentials,
      never with these roles.
    """
    arn = f"arn:{outputs.partition}"
    log_group = f"{arn}:logs:{outputs.region}:{outputs.account}:log-group:/aws/lambda/{function_name}:*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            *_handler_statements(outputs, handler),
            _statement(
                "WriteOwnLogs",
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                [log_group],
            ),
        ],
    }


STAFF_HANDLER = "staff_api"
# Key prefixes (chalicelib/dynamo/items.py) of what the staff API reads and writes:
# a lead and the notes under its key; a lead's guards, deleted when it is erased;
# audit records, by lead and by day.
LEAD_KEYS = ("LEAD#*",)
AUDIT_KEYS = ("AUDIT#LEAD#*", "AUDIT#DAY#*")
# The audit trail by day (infra/stack.yaml); by_status is the stack's StatusIndexArn.
AUDIT_DAY_INDEX = "by_audit_day"


def _leading(keys: Sequence[str], **more: dict[str, Any]) -> dict[str, Any]:
    return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(keys)}, **more}


_IN_A_TRANSACTION = {"ForAnyValue:StringEquals": {"dynamodb:EnclosingOperation": ["TransactWriteItems"]}}


def _staff_statements(outputs: StackOutputs) -> list[dict[str, Any]]:
    """What the staff actions call (chalicelib/staff/actions.py over chalicelib/dynamo/work.py)."""
    table = [outputs.table_arn]
    indexes = [outputs.status_index_arn, f"{outputs.table_arn}/index/{AUDIT_DAY_INDEX}"]
    return [
        # Open a lead; read its notes and its history (its partitions, strongly consistent).
        _statement("OpenLeads", ["dynamodb:GetItem"], table, _leading(LEAD_KEYS)),
        _statement("ReadNotesAndHistory", ["dynamodb:Query"], table, _leading((*LEAD_KEYS, "AUDIT#LEAD#*"))),
        # The inbox's lists, export and stats (by status and created time); the audit trail by day.
        _statement("ListLeadsAndTheDaysAuditTrail", ["dynamodb:Query"], indexes),
        # An audit record is only ever added: a read's on its own, a change's in the change's
        # transaction. No grant updates or deletes one (they expire by TTL after six years).
        _statement("AddAuditRecords", ["dynamodb:PutItem"], table, _leading(AUDIT_KEYS)),
        # Claim, acknowledge, status, note (and its expiry), restore: each with its audit record in
        # one transaction. Restore then claims and records the lead's notice, as notify_staff does.
        _statement("WorkLeads", ["dynamodb:UpdateItem"], table, _leading(LEAD_KEYS)),
        _statement("AddNotes", ["dynamodb:PutItem"], table, _leading(LEAD_KEYS, **_IN_A_TRANSACTION)),
        # Erase (admins): the lead, its notes and the guards that still name it, in one transaction.
        _statement(
            "EraseLeads", ["dynamodb:DeleteItem"], table, _leading((*LEAD_KEYS, *GUARD_KEYS), **_IN_A_TRANSACTION)
        ),
        # Restore sends the lead's one notice.
        _statement("PublishRestoredLeadsNotice", ["sns:Publish"], [outputs.topic_arn]),
        _key_through(outputs, "UseKeyThroughTableAndTopic", ["dynamodb", "sns"]),
    ]


def build_staff_policy(outputs: StackOutputs, function_name: str) -> dict[str, Any]:
    """The staff API's own policy: what its actions call, on the stack's table, indexes and topic only.

    GetItem and Query of lead and audit partitions, Query of the by_status and
    by_audit_day indexes, PutItem of audit records (and of notes, inside a
    transaction), UpdateItem of leads and notes, DeleteItem of a lead, its
    notes and guards inside the erase transaction, sns:Publish for a restored
    lead's notice; no Scan, no BatchWriteItem, no update or delete of an audit record.
    """
    arn = f"arn:{outputs.partition}"
    log_group = f"{arn}:logs:{outputs.region}:{outputs.account}:log-group:/aws/lambda/{function_name}:*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            *_staff_statements(outputs),
            _statement(
                "WriteOwnLogs",
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                [log_group],
            ),
        ],
    }


def staff_stage_settings(
    config: dict[str, Any], stage: str, outputs: StackOutputs, public: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A copy of staff/.chalice/config.json with the stage pointed at the stack's table, topic and user pool.

    The staff API works the public app's leads with the public app's settings
    (a restored lead's notice reads them): `public`'s environment, global and
    the stage's, is copied in, and the staff stage's own settings are kept.
    """
    new: dict[str, Any] = json.loads(json.dumps(config))
    stage_config = new.setdefault("stages", {}).setdefault(stage, {"api_gateway_stage": "api"})
    stage_config["autogen_policy"] = False
    # Chalice reads a policy file from the project's .chalice/: the staff
    # policy lives beside the public app's, in the repository's .chalice/.
    stage_config["iam_policy_file"] = f"../../.chalice/{policy_file(stage, STAFF_HANDLER)}"
    env = stage_config.setdefault("environment_variables", {})
    if public is not None:
        shared = {**public.get("environment_variables", {})}
        shared.update(public.get("stages", {}).get(stage, {}).get("environment_variables", {}))
        env.update({k: v for k, v in shared.items() if k not in PUBLIC_ONLY_SETTINGS})
    env["STAGE"] = stage
    env["LEADS_TABLE"] = outputs.table_name
    env["STAFF_TOPIC_ARN"] = outputs.topic_arn
    env["STAFF_ISSUER"] = outputs.staff_issuer
    env["STAFF_CLIENT_ID"] = outputs.staff_client_id
    env["STAFF_USER_POOL_ARN"] = outputs.staff_user_pool_arn
    return new


# Settings of the form's function only: the staff API takes no submissions and reads no stream.
PUBLIC_ONLY_SETTINGS = frozenset(
    {
        "LEADS_STREAM_ARN",
        "ALLOWED_ORIGINS",
        "THANK_YOU_URL",
        "RATE_LIMIT_PER_10_MIN",
        "RATE_LIMIT_PER_DAY",
        "MIN_FILL_SECONDS",
        "MAX_LINKS",
        "TURNSTILE_ENABLED",
        "TURNSTILE_SECRET",
    }
)


def _staff_pool_by_name(outputs: StackOutputs, stage: str, region: str | None) -> StackOutputs:
    """The stage's user pool found by its name, for a stack whose template could not make it (the emulator)."""
    import dataclasses

    import boto3

    cognito = boto3.client("cognito-idp", region_name=region) if region else boto3.client("cognito-idp")
    name = f"next-steps-{stage}-staff"
    pools = [p for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == name]
    if len(pools) != 1:
        raise ConfigureError(f"the stack has no staff user pool (StaffUserPoolId) and no one pool is named {name}")
    pool_id = pools[0]["Id"]
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    [client] = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=10)["UserPoolClients"]
    return dataclasses.replace(
        outputs,
        staff_user_pool_id=pool_id,
        staff_user_pool_arn=pool["Arn"],
        staff_client_id=client["ClientId"],
        staff_issuer=f"https://cognito-idp.{outputs.region}.amazonaws.com/{pool_id}",
    )


def configure_staff(
    project_dir: Path, stage: str, outputs: StackOutputs, region: str | None, public: dict[str, Any] | None = None
) -> list[Path]:
    """Write the staff API's stage settings and its policy; the paths written (none without staff/)."""
    config_path = project_dir / "staff" / ".chalice" / "config.json"
    if not config_path.exists():
        return []
    if not outputs.staff_user_pool_arn:
        outputs = _staff_pool_by_name(outputs, stage, region)
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigureError(f"cannot read {config_path}: {exc}") from exc
    new_config = staff_stage_settings(config, stage, outputs, public)
    # Chalice names a REST API's one function <app_name>-<stage>. (Not asked of
    # Chalice as for app.py: both apps' modules are named `app`, and one process
    # can load only one of them.)
    function_name = f"{new_config['app_name']}-{stage}"
    policy_path = project_dir / ".chalice" / policy_file(stage, STAFF_HANDLER)
    _write_json(policy_path, build_staff_policy(outputs, function_name))
    _write_json(config_path, new_config)
    return [config_path, policy_path]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def configure(
    stage: str,
    stack_name: str,
    project_dir: Path = ROOT,
    region: str | None = None,
    allowed_origins: str | None = None,
    thank_you_url: str | None = None,
    inbox_url: str | None = None,
) -> tuple[Path, list[Path]]:
    """Write the stage's settings and its functions' policies from the stack; return the paths written."""
    config_path = project_dir / ".chalice" / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigureError(f"cannot read {config_path}: {exc}") from exc
    outputs = read_stack(stack_name, region)
    new_config = stage_settings(config, stage, outputs, allowed_origins, thank_you_url, inbox_url)
    functions = function_names(project_dir, new_config, stage)
    policies = {
        policy_file(stage, handler): build_policy(outputs, handler, name) for handler, name in functions.items()
    }
    new_config = function_settings(new_config, stage, list(functions))
    policy_paths = []
    for name, policy in policies.items():
        _write_json(project_dir / ".chalice" / name, policy)
        policy_paths.append(project_dir / ".chalice" / name)
    _write_json(config_path, new_config)
    # The stage-wide policy an earlier version wrote: Chalice would give it to
    # any function without a file of its own, so it must not linger.
    (project_dir / ".chalice" / f"policy-{stage}.json").unlink(missing_ok=True)
    policy_paths += configure_staff(project_dir, stage, outputs, region, new_config)
    return config_path, policy_paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--stage", required=True, help="Chalice stage to configure (dev, prod, ...)")
    parser.add_argument("--stack", help="CloudFormation stack of the stage (default: next-steps-<stage>)")
    parser.add_argument("--region", help="AWS region of the stack (default: from the environment)")
    parser.add_argument("--project-dir", type=Path, default=ROOT, help="Chalice project (default: this repository)")
    parser.add_argument("--allowed-origins", help="comma-separated origins allowed to post the form")
    parser.add_argument("--thank-you-url", help="where a plain form post is sent after it is accepted")
    parser.add_argument("--inbox-url", help="the staff inbox's address (the staff API's /staff/), linked from notices")
    args = parser.parse_args(argv)
    stack_name = args.stack or f"next-steps-{args.stage}"
    try:
        config_path, policy_paths = configure(
            args.stage,
            stack_name,
            args.project_dir,
            args.region,
            args.allowed_origins,
            args.thank_you_url,
            args.inbox_url,
        )
    except ConfigureError as exc:
        print(f"configure: {exc}", file=sys.stderr)
        return 1
    print(f"Stage {args.stage} now uses stack {stack_name}.")
    print(f"  wrote {config_path}")
    for policy_path in policy_paths:
        print(f"  wrote {policy_path}")
    print(
        f"Next: chalice deploy --stage {args.stage}, then the staff API: "
        f"cd staff && chalice deploy --stage {args.stage}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
