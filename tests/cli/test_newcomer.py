"""The staff command line as a new staff member meets it: the notice's command, region, exit codes, width, time zone."""

from __future__ import annotations

import io
import os
import re
import shlex
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.cli.conftest import Run, run_cli, submit
from tests.conftest import ROOT, Stack, leads, pump

Cli = Callable[..., Run]
NOT_AN_ID = "not-a-lead"


def created_at(aws: Stack, lead_id: str) -> datetime:
    [lead] = [lead for lead in leads(aws.table) if lead["lead_id"] == lead_id]
    return datetime.fromisoformat(lead["created_at"])


def test_the_command_in_the_notice_works_as_written(cli: Cli, client: Any, aws: Stack) -> None:
    # GIVEN the email notice staff get for a new lead
    lead_id = submit(client)
    pump(client, aws)
    [notice] = aws.notices()
    [line] = [line for line in notice["texts"]["email"].splitlines() if lead_id in line and "./leads" in line]
    # WHEN they type the command it gives, from the project folder
    argv = shlex.split(line.split(":", 1)[1])
    assert argv[0] == "./leads" and os.access(ROOT / "leads", os.X_OK)
    assert "--stage" in argv and argv[argv.index("--stage") + 1] == "test"  # this notice's stage, named
    from scripts.leads import main

    out, err = io.StringIO(), io.StringIO()
    code = main(argv[1:], stdout=out, stderr=err, env=dict(os.environ))
    # THEN it opens that lead
    assert code == 0, err.getvalue()
    assert f"Lead {lead_id}" in out.getvalue()


@pytest.mark.parametrize("variable", ["AWS_REGION", "AWS_DEFAULT_REGION"])
def test_the_region_can_come_from_aws_region_or_aws_default_region(
    cli: Cli, client: Any, aws: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str
) -> None:
    lead_id = submit(client)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, "us-east-1")
    result = cli("show", lead_id)
    assert result.code == 0, result.err
    assert f"Lead {lead_id}" in result.out


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_leads_wrapper_exits_with_the_tools_code_and_says_only_its_sentence() -> None:
    done = _run(["./leads", "show", NOT_AN_ID, "--stage", "test"])
    assert done.returncode == 3
    assert done.stderr.strip().splitlines() == [
        f"'{NOT_AN_ID}' is not a lead id (26 letters and digits, as in the staff notice)."
    ]
    assert done.stdout == ""


def test_make_leads_shows_the_tools_sentence_without_makes_error_line() -> None:
    done = _run(["make", "--no-print-directory", "leads", f"ARGS=show {NOT_AN_ID} --stage test"])
    assert done.stderr.strip().splitlines() == [
        f"'{NOT_AN_ID}' is not a lead id (26 letters and digits, as in the staff notice)."
    ]
    assert "make:" not in done.stdout + done.stderr and "Error" not in done.stdout + done.stderr


def test_the_list_fits_80_columns(cli: Cli, client: Any, aws: Stack) -> None:
    made = [
        submit(
            client,
            first_name="Maximiliana",
            last_name="Featherstonehaugh-Montgomery",
            preferred_contact="email",
            email="maximiliana.featherstonehaugh@a-rather-long-domain.example.org",
            best_time="afternoon",
        ),
        submit(client, message="I keep thinking I want to end my life."),
    ]
    shown = cli("list")
    assert shown.code == 0
    too_wide = [line for line in shown.out.splitlines() if len(line) > 80]
    assert too_wide == []
    for lead_id in made:
        assert lead_id in shown.out  # the whole id, to copy into `show`
    assert "URGENT" in shown.out and "Maximiliana" in shown.out


def test_times_are_in_the_clinics_time_zone_and_utc_by_flag(
    cli: Cli, client: Any, aws: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead_id = submit(client)
    moment = created_at(aws, lead_id)
    new_york = moment.astimezone(ZoneInfo("America/New_York"))

    shown = cli("show", lead_id).out
    assert re.search(rf"Received\s+{new_york:%Y-%m-%d %H:%M:%S} {new_york:%Z}", shown), shown
    listed = cli("list").out
    assert f"{new_york:%b %d %H:%M}" in listed and "America/New_York" in listed

    utc = cli("show", lead_id, "--utc").out
    assert re.search(rf"Received\s+{moment:%Y-%m-%d %H:%M:%S} UTC", utc), utc

    monkeypatch.setenv("CLINIC_TIMEZONE", "Europe/Berlin")
    berlin = moment.astimezone(ZoneInfo("Europe/Berlin"))
    assert re.search(rf"Received\s+{berlin:%Y-%m-%d %H:%M:%S} {berlin:%Z}", cli("show", lead_id).out)


def test_an_unknown_time_zone_is_told_plainly(
    cli: Cli, client: Any, aws: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_TIMEZONE", "Mars/Olympus_Mons")
    result = run_cli("list", "--stage", "test")
    assert result.code == 5
    assert "CLINIC_TIMEZONE" in result.err and "Traceback" not in result.err


def test_without_a_region_set_the_stages_own_region_is_used(
    cli: Cli, client: Any, aws: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN a staff member with no region anywhere, and the stage configured by `make configure`
    lead_id = submit(client)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    from scripts.staff_cli import target

    configured = {"LEADS_STREAM_ARN": aws.stream_arn, "STAFF_TOPIC_ARN": aws.topic_arn}
    monkeypatch.setattr(target, "stage_env", lambda stage: configured if stage == "test" else {})
    # WHEN they type the notice's command THEN it finds the stage's region by itself
    result = cli("show", lead_id)
    assert result.code == 0, result.err
    assert f"Lead {lead_id}" in result.out
