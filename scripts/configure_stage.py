"""`make configure`: point a Chalice stage at its deployed infra/ stack.

Reads the outputs of the stage's CloudFormation stack (infra/stack.yaml) and
writes two files the next `chalice deploy --stage <stage>` uses:

- .chalice/config.json: the stage's LEADS_TABLE, STAFF_TOPIC_ARN and
  LEADS_STREAM_ARN (and ALLOWED_ORIGINS / THANK_YOU_URL when given); every
  other setting of the stage is kept as it is.
- .chalice/policy-<stage>.json: the IAM policy of the app's functions, with
  exactly the DynamoDB, SNS, KMS and CloudWatch Logs actions they call, on the
  stack's resources only (no wildcard action, no wildcard on data).

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
) -> dict[str, Any]:
    """A copy of config.json with the stage pointed at the stack (other settings kept)."""
    new: dict[str, Any] = json.loads(json.dumps(config))
    stages = new.setdefault("stages", {})
    stage_config = stages.setdefault(stage, {"api_gateway_stage": "api"})
    stage_config["autogen_policy"] = False
    stage_config["iam_policy_file"] = f"policy-{stage}.json"
    env = stage_config.setdefault("environment_variables", {})
    env["STAGE"] = stage
    env["LEADS_TABLE"] = outputs.table_name
    env["STAFF_TOPIC_ARN"] = outputs.topic_arn
    env["LEADS_STREAM_ARN"] = outputs.stream_arn
    if allowed_origins is not None:
        env["ALLOWED_ORIGINS"] = ",".join(o.strip() for o in allowed_origins.split(",") if o.strip())
    if thank_you_url is not None:
        env["THANK_YOU_URL"] = thank_you_url
    return new


def function_names(project_dir: Path, config: dict[str, Any], stage: str) -> list[str]:
    """The Lambda function names `chalice deploy --stage <stage>` gives the app's handlers.

    Asks Chalice itself (its application graph), so a handler added to app.py
    gets its log group in the policy the next time the stage is configured.
    """
    from chalice.cli.factory import CLIFactory
    from chalice.deploy import models
    from chalice.deploy.appgraph import ApplicationGraphBuilder, DependencyBuilder

    class _Factory(CLIFactory):
        def load_project_config(self) -> dict[str, Any]:
            return config

    chalice_config = _Factory(str(project_dir)).create_config_obj(chalice_stage_name=stage)
    application = ApplicationGraphBuilder().build(chalice_config, stage)
    names = sorted(
        resource.function_name
        for resource in DependencyBuilder().build_dependencies(application)
        if isinstance(resource, models.LambdaFunction)
    )
    if not names:
        raise ConfigureError("app.py defines no Lambda functions")
    return names


def build_policy(outputs: StackOutputs, functions: Sequence[str]) -> dict[str, Any]:
    """The app's IAM policy: each action its functions call, on the stack's resources only.

    - API (POST /leads): one TransactWriteItems per lead, made of a Put of the
      lead and its guards and Updates of the rate counters (IAM authorises a
      transaction by its PutItem/UpdateItem parts); GetItem to read a guard.
    - notify_staff / sweeper: UpdateItem to claim and record notices, Query on
      the two indexes, sns:Publish to the staff topic; the stream is read by
      Lambda's event source mapping with the function's role.
    - The table, its stream and the topic are encrypted with the stack's key.
    - Erasing a lead (DeleteItem) and the staff CLI run with staff credentials,
      never with this role.
    """
    arn = f"arn:{outputs.partition}"
    log_groups = [f"{arn}:logs:{outputs.region}:{outputs.account}:log-group:/aws/lambda/{name}:*" for name in functions]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadAndUpdateLeads",
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                "Resource": [outputs.table_arn],
            },
            {
                # New items are only ever written inside the lead transaction,
                # each with a condition, never by a bare PutItem.
                "Sid": "StoreNewLeadsInOneTransaction",
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem"],
                "Resource": [outputs.table_arn],
                "Condition": {"ForAnyValue:StringEquals": {"dynamodb:EnclosingOperation": ["TransactWriteItems"]}},
            },
            {
                "Sid": "FindOwedNoticesAndFollowUps",
                "Effect": "Allow",
                "Action": ["dynamodb:Query"],
                "Resource": [outputs.status_index_arn, outputs.notice_index_arn],
            },
            {
                "Sid": "ReadLeadStream",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ],
                "Resource": [outputs.stream_arn],
            },
            {
                "Sid": "PublishStaffNotices",
                "Effect": "Allow",
                "Action": ["sns:Publish"],
                "Resource": [outputs.topic_arn],
            },
            {
                "Sid": "UseKeyThroughTableAndTopic",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": [outputs.key_arn],
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": [
                            f"dynamodb.{outputs.region}.amazonaws.com",
                            f"sns.{outputs.region}.amazonaws.com",
                        ]
                    }
                },
            },
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": log_groups,
            },
        ],
    }


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
) -> tuple[Path, Path]:
    """Write the stage's settings and policy from the stack; return the two paths written."""
    config_path = project_dir / ".chalice" / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigureError(f"cannot read {config_path}: {exc}") from exc
    outputs = read_stack(stack_name, region)
    new_config = stage_settings(config, stage, outputs, allowed_origins, thank_you_url)
    policy = build_policy(outputs, function_names(project_dir, new_config, stage))
    policy_path = project_dir / ".chalice" / new_config["stages"][stage]["iam_policy_file"]
    _write_json(policy_path, policy)
    _write_json(config_path, new_config)
    return config_path, policy_path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--stage", required=True, help="Chalice stage to configure (dev, prod, ...)")
    parser.add_argument("--stack", help="CloudFormation stack of the stage (default: next-steps-<stage>)")
    parser.add_argument("--region", help="AWS region of the stack (default: from the environment)")
    parser.add_argument("--project-dir", type=Path, default=ROOT, help="Chalice project (default: this repository)")
    parser.add_argument("--allowed-origins", help="comma-separated origins allowed to post the form")
    parser.add_argument("--thank-you-url", help="where a plain form post is sent after it is accepted")
    args = parser.parse_args(argv)
    stack_name = args.stack or f"next-steps-{args.stage}"
    try:
        config_path, policy_path = configure(
            args.stage, stack_name, args.project_dir, args.region, args.allowed_origins, args.thank_you_url
        )
    except ConfigureError as exc:
        print(f"configure: {exc}", file=sys.stderr)
        return 1
    print(f"Stage {args.stage} now uses stack {stack_name}.")
    print(f"  wrote {config_path}")
    print(f"  wrote {policy_path}")
    print(f"Next: chalice deploy --stage {args.stage}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
