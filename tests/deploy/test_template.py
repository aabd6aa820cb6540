"""infra/stack.yaml: what moto cannot show (encryption, recovery, expiry, alarms) is read off the template;
the rest is shown by deploying it into moto and using the app against what it made."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from scripts.configure_stage import REQUIRED_OUTPUTS
from tests.conftest import ROOT, Stack, leads, post, pump, valid_lead
from tests.deploy.conftest import template


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template()["Resources"].items() if r["Type"] == kind}


def test_the_lead_table_outlives_stacks_is_encrypted_recoverable_and_expires_spam() -> None:
    table = template()["Resources"]["LeadsTable"]
    props = table["Properties"]
    # Deleting or replacing the stack (or the app) never deletes the leads.
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert props["DeletionProtectionEnabled"] is True
    assert props["TableName"] == {"Fn::Sub": "${AppName}-${Stage}-leads"}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "LeadsKey"}}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["StreamSpecification"] == {"StreamViewType": "KEYS_ONLY"}
    assert props["BillingMode"] == "PAY_PER_REQUEST"


def test_both_topics_are_encrypted_with_the_stage_key_and_the_key_rotates() -> None:
    topics = resources("AWS::SNS::Topic")
    assert set(topics) == {"StaffTopic", "AlarmTopic"}
    for topic in topics.values():
        assert topic["Properties"]["KmsMasterKeyId"] == {"Ref": "LeadsKey"}
    key = template()["Resources"]["LeadsKey"]
    assert key["Properties"]["EnableKeyRotation"] is True
    # The retained table is unreadable without its key, so the key is retained too.
    assert key["DeletionPolicy"] == key["UpdateReplacePolicy"] == "Retain"


def test_the_key_policy_lets_the_services_that_hold_the_data_use_the_key() -> None:
    statements = {s["Sid"]: s for s in template()["Resources"]["LeadsKey"]["Properties"]["KeyPolicy"]["Statement"]}
    # The account root: IAM policies (the app's role from `make configure`) decide who else may use it.
    assert statements["AccountAdministers"]["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    }
    assert statements["SnsUsesKeyForTopic"]["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statements["CloudWatchUsesKeyForAlarmTopic"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    for sid in ("SnsUsesKeyForTopic", "CloudWatchUsesKeyForAlarmTopic"):
        assert set(statements[sid]["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}
    dynamodb = statements["DynamoDbUsesKeyForTable"]
    assert dynamodb["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"
    }
    assert dynamodb["Condition"]["StringEquals"]["kms:CallerAccount"] == {"Ref": "AWS::AccountId"}


def test_the_stack_outputs_what_the_app_and_its_policy_are_built_from() -> None:
    assert set(REQUIRED_OUTPUTS) | {"AlarmTopicArn"} <= set(template()["Outputs"])


def test_every_alarm_tells_the_alarm_topic() -> None:
    alarms = resources("AWS::CloudWatch::Alarm")
    assert len(alarms) >= 5
    for alarm in alarms.values():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert props["TreatMissingData"] == "notBreaching"  # quiet when nothing happens
        assert props["AlarmDescription"]


class _Refusing:
    def publish(self, notice: Any) -> str:
        from chalicelib.notices import PublishFailed

        raise PublishFailed("AuthorizationError")


def _emf_lines(text: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in re.findall(r"^\{.*\}$", text, re.MULTILINE)]
    return [line for line in lines if "_aws" in line]


def test_notice_alarms_watch_the_metrics_the_app_emits_when_a_notice_fails_and_dies(
    client: Any, aws: Stack, deps: Any, capsys: Any
) -> None:
    """Fail one lead's notice until it is dead; each alarm must match the metric line written for it."""
    from chalicelib import service
    from chalicelib.settings import get_settings

    deps.settings = replace(deps.settings, notice_max_attempts=2)
    deps.publisher_factory = _Refusing
    lead_id = json.loads(post(client, valid_lead()).body)["lead_id"]
    capsys.readouterr()
    assert service.deliver_notice(lead_id, deps) == "failed"
    assert service.deliver_notice(lead_id, deps) == "dead"
    emitted = {}
    for line in _emf_lines(capsys.readouterr().out):
        [directive] = line["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]:
            dimensions = {name: line[name] for group in directive["Dimensions"] for name in group}
            emitted[metric["Name"]] = (directive["Namespace"], dimensions)
    assert {"NoticesFailed", "NoticesDead"} <= set(emitted)

    watching = {
        alarm["Properties"]["MetricName"]: alarm["Properties"]
        for alarm in resources("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["Namespace"] == "NextSteps" and alarm["Properties"]["MetricName"].startswith("Notices")
    }
    assert set(watching) == {"NoticesFailed", "NoticesDead"}
    for metric, props in watching.items():
        namespace, dimensions = emitted[metric]
        assert props["Namespace"] == namespace
        # The alarm's dimension is the stack's Stage; the app's is its STAGE setting
        # (`make configure` sets it to the stage name, the stack's Stage).
        assert props["Dimensions"] == [{"Name": "stage", "Value": {"Ref": "Stage"}}]
        assert dimensions == {"stage": get_settings().stage}
        assert props["Threshold"] >= 1
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_the_urgent_alarm_watches_the_metric_the_sweeper_writes_with_the_third_escalation(
    aws: Stack, deps: Any, capsys: Any
) -> None:
    """An urgent lead nobody opens: the third escalation's metric line is the one the alarm reads, once."""
    from chalicelib import service
    from chalicelib.settings import get_settings
    from tests.reliability.support import Clock, submit

    clock = Clock()
    deps.clock = clock
    submit(deps, clock, 1, message="I want to end my life")
    capsys.readouterr()
    for _ in range(40):
        clock.advance(minutes=1)
        service.sweep(deps)
    emitted = [line for line in _emf_lines(capsys.readouterr().out) if "UrgentUnanswered" in line]
    [line] = emitted
    assert line["event"] == "escalation_sent" and line["round"] == 3
    [directive] = line["_aws"]["CloudWatchMetrics"]
    [alarm] = [
        a["Properties"]
        for a in resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "UrgentUnanswered"
    ]
    assert (alarm["Namespace"], alarm["Dimensions"]) == (
        directive["Namespace"],
        [{"Name": "stage", "Value": {"Ref": "Stage"}}],
    )
    assert directive["Dimensions"] == [["stage"]] and line["stage"] == get_settings().stage
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Sum",
        1,
        "GreaterThanOrEqualToThreshold",
    )


def test_the_api_alarm_watches_the_rest_api_chalice_makes() -> None:
    """Chalice names the REST API after the app (the deploy test checks the name it really gets)."""
    from app import app

    [api_alarm] = [
        a["Properties"]
        for a in resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Namespace"] == "AWS/ApiGateway"
    ]
    assert api_alarm["MetricName"] == "5XXError"
    assert {d["Name"]: d["Value"] for d in api_alarm["Dimensions"]} == {
        "ApiName": {"Ref": "AppName"},
        "Stage": {"Ref": "ApiStageName"},
    }
    params = template()["Parameters"]
    assert params["AppName"]["Default"] == app.app_name
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage in ("dev", "prod"):
        assert config["stages"][stage]["api_gateway_stage"] == params["ApiStageName"]["Default"]


def test_the_app_works_against_the_stack_the_template_made(client: Any, aws: Stack) -> None:
    """The `aws` fixture deployed infra/stack.yaml into moto: a lead is stored there and staff are told."""
    import boto3

    table = boto3.client("dynamodb").describe_table(TableName=aws.table)["Table"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {
        "by_status",
        "by_notice",
        "by_ack_due",
        "by_audit_day",
    }
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}

    answer = post(client, valid_lead())
    assert answer.status_code == 201
    lead_id = json.loads(answer.body)["lead_id"]
    [lead] = leads(aws.table)
    assert lead["lead_id"] == lead_id
    assert lead["status"] == "new"

    pump(client, aws)
    [notice] = aws.notices()
    assert lead_id in notice["texts"]["sms"]
    assert leads(aws.table)[0]["notice_state"] == "sent"
