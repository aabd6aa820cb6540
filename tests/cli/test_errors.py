"""Clear messages and exit codes, never a traceback: unknown id, missing table, credentials, region, topic."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Run, run_cli, submit
from tests.conftest import ROOT, Stack, leads

Cli = Callable[..., Run]
UNKNOWN = "01JZZZZZZZZZZZZZZZZZZZZZZZ"


def assert_told(result: Run, code: int, words: str) -> None:
    assert result.code == code, (result.code, result.err)
    assert words in result.err
    assert "Traceback" not in result.err + result.out


def test_an_unknown_id_is_named_and_exits_3(cli: Cli, aws: Stack) -> None:
    for command in (["show"], ["status", "contacted"], ["restore"], ["erase", "--yes"]):
        argv = [command[0], UNKNOWN, *command[1:]]
        assert_told(cli(*argv), 3, f"No lead with id {UNKNOWN}")


def test_something_that_is_not_an_id_is_told_so() -> None:
    assert_told(run_cli("show", "../../etc", "--stage", "test"), 3, "is not a lead id")


def test_a_missing_table_is_named_and_exits_5() -> None:
    from moto import mock_aws

    with mock_aws():
        for command in (["show", UNKNOWN], ["list"], ["export"], ["stats"], ["status", UNKNOWN, "closed"]):
            result = run_cli(*command, "--table", "next-steps-nope-leads")
            assert_told(result, 5, "There is no table next-steps-nope-leads")


def test_a_missing_topic_stops_before_any_notice_is_claimed(aws: Stack, client: Any, cli: Cli) -> None:
    lead_id = submit(client, website="http://spam.example")
    result = run_cli("restore", lead_id, "--table", aws.table, "--stage", "elsewhere")
    # --stage names the table too; --table wins, the topic is looked up by the stage's name
    assert_told(result, 5, "No staff topic named next-steps-elsewhere-staff")
    [lead] = leads(aws.table)
    assert lead["status"] == "spam" and lead["notice_state"] == "suppressed"


def _no_aws_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=str(ROOT),
    )
    return env


def test_missing_credentials_are_explained_without_a_traceback(tmp_path: Path) -> None:
    env = _no_aws_env(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "scripts.leads", "list", "--stage", "prod", "--region", "us-east-1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 5
    assert "No AWS credentials found" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_missing_region_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in _no_aws_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(key, raising=False)
    assert_told(run_cli("show", UNKNOWN, "--stage", "prod"), 5, "No AWS region set")


def test_local_without_make_run_says_so() -> None:
    from scripts.leads import main

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free, and nothing listens on it once closed
    out, err = io.StringIO(), io.StringIO()
    env = dict(os.environ, EMULATOR_PORT=str(port))
    code = main(["list", "--local"], stdout=out, stderr=err, env=env)
    assert code == 6
    assert f"Cannot reach the local stack at http://127.0.0.1:{port}" in err.getvalue()
    assert "make run" in err.getvalue()


def test_service_log_lines_stay_off_stdout_so_json_parses(
    cli: Cli, client: Any, aws: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    from scripts.leads import main

    lead_id = submit(client)
    capsys.readouterr()
    code = main(["status", lead_id, "contacted", "--json", "--stage", "test"])
    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out) == {"lead_id": lead_id, "previous": "new", "status": "contacted"}
    assert "Avery" not in captured.err
