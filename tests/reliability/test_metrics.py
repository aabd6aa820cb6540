"""Metrics ride on the log lines in CloudWatch embedded metric format, and carry nothing personal."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from chalicelib import service
from tests.conftest import post
from tests.reliability.conftest import sns_internal_error
from tests.reliability.support import START, drain, emf_lines, json_lines, lead_body, metric_total

PERSONAL = {
    "first_name": "Marisol",
    "last_name": "Okonkwo-Hale",
    "email": "marisol.okonkwo@example.net",
    "phone": "(415) 555-0199",
    "message": "Flashbacks every night since my deployment; escitalopram made it worse.",
    "tried_treatments": ["ssri_snri", "tms"],
    "service": "ketamine_infusion",
}
NEVER_IN_LOGS = [
    "Marisol",
    "Okonkwo",
    "marisol.okonkwo",
    "555-0199",
    "+14155550199",
    "Flashbacks",
    "escitalopram",
    "deployment",
    "ketamine_infusion",
    "ssri_snri",
    "127.0.0.1",
    "198.51.100.23",
    "MetricsTestAgent",
]


def test_each_outcome_is_counted_once_as_emf_with_no_personal_details(client, aws, deps, clock, sns, capsys):
    deps.settings = replace(deps.settings, notice_max_attempts=2)
    agent = {"User-Agent": "MetricsTestAgent/1.0"}
    # GIVEN two real leads and one spam lead over the API, and SNS failing twice, then working
    real = [
        post(client, lead_body(clock, **dict(PERSONAL, message=f"{PERSONAL['message']} ({n})")), agent) for n in (1, 2)
    ]
    real = [answer.json_body["lead_id"] for answer in real]
    post(client, lead_body(clock, **dict(PERSONAL, website="https://spam.example")), agent)
    sns.answer = lambda call: sns_internal_error(call) if call in (1, 3) else None
    sns.active = True
    drain(client, aws)  # lead 1 fails, lead 2 is sent
    clock.advance(minutes=2)
    service.sweep(deps)  # lead 1 fails again: dead (two attempts)
    service.redrive(deps)  # staff redrive: lead 1 sent
    clock.now = START + timedelta(hours=25)
    service.sweep(deps)  # one reminder each for the two leads still new

    # THEN CloudWatch would count exactly what happened
    out = capsys.readouterr().out
    lines = emf_lines(out)
    totals = {
        name: metric_total(lines, name)
        for name in ("LeadsReceived", "LeadsSpam", "NoticesSent", "NoticesFailed", "NoticesDead", "Reminders")
    }
    assert totals == {
        "LeadsReceived": 2,
        "LeadsSpam": 1,
        "NoticesSent": 2,
        "NoticesFailed": 1,
        "NoticesDead": 1,
        "Reminders": 2,
    }
    # AND every metric line is well-formed EMF: namespace, the stage dimension and its value, a timestamp
    for line in lines:
        directive = line["_aws"]
        assert isinstance(directive["Timestamp"], int)
        for block in directive["CloudWatchMetrics"]:
            assert block["Namespace"] == "NextSteps" and block["Dimensions"] == [["stage"]]
            for metric in block["Metrics"]:
                assert metric["Unit"] == "Count" and isinstance(line[metric["Name"]], int)
        assert isinstance(line["stage"], str) and line["stage"]
        assert line.get("lead_id") in real or line["event"] == "lead_received"
    # AND no log line carries a name, contact, health detail, IP or user agent
    assert len(json_lines(out)) > len(lines) > 0
    leaked = [word for word in NEVER_IN_LOGS if word.lower() in out.lower()]
    assert leaked == []
