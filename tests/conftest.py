"""Shared fixtures: a clean AWS-free environment, and the stage's stack in moto."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests try the same examples on every run: `make test` is deterministic,
# and a failure in CI (a clean clone, no example database) happens here too.
hypothesis_settings.register_profile("next-steps", derandomize=True, database=None)
hypothesis_settings.load_profile("next-steps")

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
ACCOUNT = "123456789012"

# Before anything imports boto3 or the app: no real credentials or endpoints.
for _var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SNS"):
    os.environ.pop(_var, None)
os.environ.update(
    AWS_DEFAULT_REGION=REGION,
    AWS_REGION=REGION,
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SECURITY_TOKEN="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
)

VALID: dict[str, Any] = {
    "first_name": "Avery",
    "last_name": "Quill",
    "email": "avery.quill@example.org",
    "phone": "(202) 555-0143",
    "preferred_contact": "phone",
    "best_time": "evening",
    "service": "ketamine_assisted_psychotherapy",
    "tried_treatments": ["therapy", "ssri_snri"],
    "message": "Years of nightmares since the accident; two SSRIs did nothing.",
    "consent_to_contact": True,
    "privacy_notice_version": "2026-01",
}


def valid_lead(**changes: Any) -> dict[str, Any]:
    """A valid submission that started a minute ago (so it is not 'too fast')."""
    body = dict(VALID, started_at=int((time.time() - 60) * 1000))
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@dataclass
class Stack:
    """The stage's resources as deployed into moto from infra/stack.yaml."""

    table: str
    topic_arn: str
    stream_arn: str

    def notices(self) -> list[dict[str, Any]]:
        """Every notice published to the staff topic: texts and attributes."""
        from moto.sns import sns_backends

        topic = sns_backends[ACCOUNT][REGION].topics[self.topic_arn]
        out = []
        for message_id, message, subject, attributes, _group in topic.sent_notifications:
            out.append(
                {
                    "id": message_id,
                    "subject": subject,
                    "texts": json.loads(message),
                    "attributes": {
                        k: v["Value"] if "Value" in v else v.get("StringValue") for k, v in (attributes or {}).items()
                    },
                    "raw": message + (subject or "") + json.dumps(attributes or {}),
                }
            )
        return out


def deploy_stack(stage: str = "test") -> Stack:
    """Create the stage's stateful resources from the one template in infra/."""
    import boto3

    from scripts.staff_pool import emulator_template

    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(
        StackName=f"next-steps-{stage}",
        # moto cannot deploy the staff user pool (scripts/staff_pool.py makes it where a test needs it).
        TemplateBody=emulator_template((ROOT / "infra" / "stack.yaml").read_text()),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}],
    )
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in cfn.describe_stacks(StackName=f"next-steps-{stage}")["Stacks"][0]["Outputs"]
    }
    return Stack(outputs["TableName"], outputs["TopicArn"], outputs["StreamArn"])


@pytest.fixture
def aws() -> Iterator[Stack]:
    """moto for every AWS call, with the stack deployed from infra/stack.yaml."""
    from moto import mock_aws

    from scripts.emulator import quick_moto_transactions

    with mock_aws(), quick_moto_transactions():
        yield deploy_stack()


def make_settings(stack: Stack, **changes: Any):  # type: ignore[no-untyped-def]
    from chalicelib.settings import Settings

    base = Settings.from_env(
        {
            "STAGE": "test",
            "LEADS_TABLE": stack.table,
            "STAFF_TOPIC_ARN": stack.topic_arn,
            "ALLOWED_ORIGINS": "https://clinic.example",
            "THANK_YOU_URL": "https://clinic.example/thank-you",
        }
    )
    return replace(base, **changes)


@pytest.fixture
def deps(aws: Stack):  # type: ignore[no-untyped-def]
    """The app's real dependencies (boto3 clients on moto), installed into the app's runtime."""
    import boto3

    from chalicelib import runtime
    from chalicelib.notices import SnsPublisher
    from chalicelib.service import Deps
    from chalicelib.store import LeadStore

    built = Deps(
        store=LeadStore(boto3.client("dynamodb", region_name=REGION), aws.table),
        settings=make_settings(aws),
        publisher_factory=lambda: SnsPublisher(boto3.client("sns", region_name=REGION), aws.topic_arn),
    )
    runtime.use(built)
    yield built
    runtime.reset()


@pytest.fixture
def clock(deps):  # type: ignore[no-untyped-def]
    """The service's clock, moved only by the test."""
    from tests.reliability.support import Clock

    moved = Clock()
    deps.clock = moved
    return moved


@pytest.fixture
def client(deps):  # type: ignore[no-untyped-def]
    """Chalice's test client over the real app, wired to moto."""
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local", project_dir=str(ROOT)) as test_client:
        yield test_client


def post(client: Any, body: Any, headers: dict[str, str] | None = None, raw: bytes | None = None) -> Any:
    """POST /leads as the snippet does."""
    hdrs = {"Content-Type": "application/json", "Origin": "https://clinic.example"}
    hdrs.update(headers or {})
    hdrs = {k: v for k, v in hdrs.items() if v is not None}
    payload = raw if raw is not None else json.dumps(body).encode()
    return client.http.post("/leads", headers=hdrs, body=payload)


def table_items(table: str, prefix: str = "") -> list[dict[str, Any]]:
    """Every item in the table (optionally only those whose pk starts with prefix)."""
    import boto3

    from chalicelib.store import from_item

    db = boto3.client("dynamodb", region_name=REGION)
    items = [from_item(i) for i in db.scan(TableName=table)["Items"]]
    return [i for i in items if i["pk"].startswith(prefix)]


def leads(table: str) -> list[dict[str, Any]]:
    """Every lead item in the table (not its notes, stored under its key)."""
    return [i for i in table_items(table, "LEAD#") if i["sk"] == "LEAD"]


def pump(client: Any, stack: Stack, reader: Any = None) -> Any:
    """Deliver the table's new stream records to notify_staff, as Lambda would."""
    import boto3

    from scripts.stream import StreamReader

    reader = reader or StreamReader(boto3.client("dynamodbstreams", region_name=REGION), stack.stream_arn, REGION)
    for event in reader.events():
        client.lambda_.invoke("notify_staff", event)
    return reader


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """Everything written to logs, stdout and stderr during a test, as one string on demand."""
    from chalicelib.logs import configure

    configure()  # first, so caplog puts back the app logger's own level afterwards, not an unset one
    caplog.set_level(logging.DEBUG, logger="next_steps")
    caplog.set_level(logging.INFO)

    def text() -> str:
        out, err = capsys.readouterr()
        captured = "\n".join(
            r.getMessage() + " " + json.dumps(getattr(r, "fields", {}), default=str) for r in caplog.records
        )
        text.acc += out + err + captured  # type: ignore[attr-defined]
        return text.acc  # type: ignore[attr-defined]

    text.acc = ""  # type: ignore[attr-defined]
    yield text


def totp(secret: str) -> str:
    """The authenticator's code now, as a staff member would type it: never one about to roll over.

    The emulator (like Cognito) accepts only the current 30-second code, so a
    code read in the window's last seconds can be stale by the time it is
    checked; a person would wait for the next one, and so does this.
    """
    from scripts.staff_user import totp as code_at

    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.1)
    return code_at(secret)
