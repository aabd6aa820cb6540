"""The post-deploy step that gives notify_staff's stream subscription its retry limits and filter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scripts import stream_settings

STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/next-steps-dev-leads/stream/2026-12-01T10:00:00.000000"
OLD_STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/next-steps-dev-leads/stream/2026-11-01T10:00:00.000000"


class FakeLambda:
    """Lambda's event source mapping calls, on one mapping."""

    def __init__(self, stream_arn: str) -> None:
        self.mapping: dict[str, Any] = {"UUID": "u-1", "EventSourceArn": stream_arn, "BatchSize": 25}
        self.updates: list[dict[str, Any]] = []

    def get_event_source_mapping(self, UUID: str) -> dict[str, Any]:
        assert UUID == self.mapping["UUID"]
        return dict(self.mapping)

    def update_event_source_mapping(self, UUID: str, **settings: Any) -> None:
        assert UUID == self.mapping["UUID"]
        self.updates.append(settings)
        self.mapping.update(settings)


def project(tmp_path: Path, stream_arn: str = STREAM, deployed: bool = True) -> Path:
    (tmp_path / ".chalice" / "deployed").mkdir(parents=True)
    config = {"stages": {"dev": {"environment_variables": {"LEADS_STREAM_ARN": stream_arn}}}}
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    if deployed:
        record = {
            "resources": [
                {"name": "api_handler", "resource_type": "lambda_function", "lambda_arn": "arn:f"},
                {
                    "name": "notify_staff-dynamodb-event-source",
                    "resource_type": "dynamodb_event",
                    "stream_arn": stream_arn,
                    "event_uuid": "u-1",
                    "lambda_arn": "arn:f-notify_staff",
                },
            ]
        }
        (tmp_path / ".chalice" / "deployed" / "dev.json").write_text(json.dumps(record))
    return tmp_path


def test_sets_bisect_retry_limits_and_the_lead_insert_filter_on_the_recorded_subscription(tmp_path: Path) -> None:
    client = FakeLambda(STREAM)
    mapping = stream_settings.apply(client, project(tmp_path), "dev")
    assert client.updates == [stream_settings.STREAM_SETTINGS]
    assert mapping["MaximumRetryAttempts"] == 2 and mapping["BisectBatchOnFunctionError"] is True
    assert mapping["BatchSize"] == 25  # Chalice's own settings are left alone
    # Running it again changes nothing.
    assert stream_settings.apply(client, project(tmp_path / "again"), "dev") == mapping


def test_refuses_a_subscription_left_on_an_old_stream_and_says_what_to_do(tmp_path: Path) -> None:
    client = FakeLambda(OLD_STREAM)
    with pytest.raises(stream_settings.StreamSettingsError, match="delete-event-source-mapping --uuid u-1"):
        stream_settings.apply(client, project(tmp_path), "dev")
    assert client.updates == []


def test_says_to_deploy_first_when_the_stage_was_never_deployed(tmp_path: Path, capsys: Any) -> None:
    path = project(tmp_path, deployed=False)
    assert stream_settings.main(["--stage", "dev", "--project-dir", str(path), "--region", "us-east-1"]) == 1
    assert "run `chalice deploy --stage dev` first" in capsys.readouterr().err
