"""The CLI's work is in the audit trail, as the caller's AWS identity, and the trail holds no PHI."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3

from tests.cli.conftest import Run, submit
from tests.conftest import Stack, pump, table_items

Cli = Callable[..., Run]


def audit_items(aws: Stack) -> list[dict[str, Any]]:
    return sorted((i for i in table_items(aws.table) if i.get("entity") == "audit"), key=lambda i: i["at"])


def test_each_command_that_reads_or_changes_leads_leaves_one_record_as_the_aws_caller(
    cli: Cli, client: Any, aws: Stack
) -> None:
    # GIVEN a lead with distinctive details, and one set aside as spam
    lead_id = submit(
        client,
        first_name="Zebulon",
        last_name="Quartermaine",
        email="zebulon.q@example.org",
        phone="(202) 555-0177",
        message="Flashbacks of the convoy every night, Zebulon's own words.",
    )
    spam_id = submit(client, website="http://spam.example")
    pump(client, aws)

    # WHEN a staff member works them with the CLI
    assert cli("list").code == 0
    assert cli("show", lead_id).code == 0
    assert cli("status", lead_id, "contacted").code == 0
    assert cli("restore", spam_id).code == 0
    assert cli("export").code == 0
    assert cli("stats").code == 0
    assert cli("erase", lead_id, "--yes").code == 0

    # THEN each command left exactly one record, as who they are in AWS, with the lead it touched
    arn = boto3.client("sts").get_caller_identity()["Arn"]
    records = audit_items(aws)
    assert [(r["action"], r.get("lead_id")) for r in records] == [
        ("list", None),
        ("view", lead_id),
        ("status", lead_id),
        ("restore", spam_id),
        ("export", None),
        ("erase", lead_id),
    ]
    assert {(r["actor"], r["role"], r["source_ip"]) for r in records} == {(arn, "cli", "")}
    assert records[0]["detail"] == "1 rows"  # the spam lead is listed apart
    assert records[2]["detail"] == "new->contacted"
    assert records[4]["detail"] == "2 rows"
    # and none of the person's details
    text = json.dumps(records).lower()
    for secret in ("zebulon", "quartermaine", "555-0177", "2025550177", "convoy"):
        assert secret not in text


def test_show_prints_the_leads_clock_and_history(cli: Cli, client: Any, aws: Stack) -> None:
    lead_id = submit(client)
    cli("status", lead_id, "contacted")
    shown = cli("show", lead_id)
    assert shown.code == 0
    arn = boto3.client("sts").get_caller_identity()["Arn"]
    lines = shown.out.splitlines()
    assert any(line.strip().startswith("Acknowledged") and f"by {arn}" in line for line in lines)
    assert any(line.strip().startswith("First contacted") for line in lines)
    history = lines[lines.index("History") + 1 :]
    assert "status new->contacted by " + arn in history[0]
    assert "view acknowledged by " + arn in history[1]

    as_json = cli("show", lead_id, "--json").json()
    assert [h["action"] for h in as_json["history"]] == ["status", "view", "view"]
    assert as_json["notes"] == []
    assert as_json["acknowledged_by"] == arn


def test_audit_prints_the_whole_days_trail_oldest_first_reading_it_a_page_at_a_time(
    cli: Cli, client: Any, aws: Stack, monkeypatch: Any
) -> None:
    from scripts.staff_cli import commands

    # GIVEN a day on which a lead was worked (five records)
    lead_id = submit(client, first_name="Zebulon", message="The convoy again last night.")
    pump(client, aws)
    for argv in (("list",), ("show", lead_id), ("status", lead_id, "contacted"), ("export",), ("list",)):
        assert cli(*argv).code == 0
    day = audit_items(aws)[0]["audit_day"]
    # WHEN an admin asks for the day's trail, the tool reading it two records a page
    monkeypatch.setattr(commands, "AUDIT_PAGE", 2)
    shown = cli("audit", "--date", day, "--utc")
    # THEN every record is printed, oldest first, with who, what, which lead and the detail, and none of the PHI
    assert shown.code == 0, shown.err
    lines = [line for line in shown.out.splitlines() if line.startswith(day)]
    assert [line.split()[3] for line in lines] == ["list", "view", "status", "export", "list"]
    arn = boto3.client("sts").get_caller_identity()["Arn"]
    assert lead_id in lines[1] and "new->contacted" in lines[2] and f"{arn} (cli)" in lines[0]
    assert "5 record(s)" in shown.out
    assert "zebulon" not in shown.out.lower() and "convoy" not in shown.out
    # AND --json gives the same records for scripts, and reading the trail added none
    as_json = cli("audit", "--date", day, "--json").json()
    assert as_json["date"] == day
    assert [r["action"] for r in as_json["records"]] == ["list", "view", "status", "export", "list"]
    assert len(audit_items(aws)) == 5


def test_audit_of_a_day_without_records_or_with_a_bad_date(cli: Cli) -> None:
    empty = cli("audit", "--date", "2020-01-01")
    assert empty.code == 0 and "No audit records on 2020-01-01" in empty.out
    bad = cli("audit", "--date", "yesterday")
    assert bad.code == 2 and "YYYY-MM-DD" in bad.err
