"""`make configure ... INBOX_URL=...`: notices link to the stage's inbox, and the inbox shows the clinic's time zone."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from scripts import configure_stage
from scripts.staff_pool import create_staff_pool
from tests.conftest import ROOT, Stack
from tests.deploy.conftest import copy_project

pytestmark = [pytest.mark.deploy, pytest.mark.xdist_group("deploy")]
INBOX = "https://abc123.execute-api.us-east-1.amazonaws.com/api/staff/"


def test_configure_gives_notices_the_inbox_link_and_the_inbox_the_clinics_time_zone(
    aws: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    # GIVEN a project whose dev stage is in Central Time, and its staff app
    monkeypatch.setattr(sys, "path", list(sys.path))
    project = copy_project(tmp_path / "project")
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    config["stages"]["dev"]["environment_variables"]["CLINIC_TIMEZONE"] = "America/Chicago"
    config_path.write_text(json.dumps(config))
    (project / "staff" / ".chalice").mkdir(parents=True)
    shutil.copy2(ROOT / "staff" / "app.py", project / "staff" / "app.py")
    shutil.copy2(ROOT / "staff" / ".chalice" / "config.json", project / "staff" / ".chalice" / "config.json")
    (project / "staff" / "chalicelib").symlink_to("../chalicelib")
    template = yaml.safe_load((ROOT / "infra" / "stack.yaml").read_text())
    create_staff_pool(boto3.client("cognito-idp"), template, {"Stage": "dev"}, "us-east-1")
    # WHEN the stage is configured with its inbox's address
    argv = ["--stage", "dev", "--stack", "next-steps-test", "--project-dir", str(project), "--inbox-url", INBOX]
    assert configure_stage.main(argv) == 0
    # THEN the app's functions (which send the notices) link there
    app_env = json.loads(config_path.read_text())["stages"]["dev"]["environment_variables"]
    assert app_env["STAFF_INBOX_URL"] == INBOX
    # AND the staff API, which serves the inbox, shows times in the clinic's zone
    staff = json.loads((project / "staff" / ".chalice" / "config.json").read_text())
    assert staff["stages"]["dev"]["environment_variables"]["CLINIC_TIMEZONE"] == "America/Chicago"
