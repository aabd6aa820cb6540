"""The sweeper: retries owed notices with exponential backoff, gives up loudly, and reminds once.

Escalation of urgent leads, and the clinic-hours clock, are in test_escalation.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib import service
from tests.conftest import leads
from tests.reliability.support import START, drain, emf_lines, metric_total, noticed, submit

BACKOFF = [60, 120, 240, 480, 960]  # seconds after attempts 1..5 (default NOTICE_MAX_ATTEMPTS is 6)


def the_lead(aws, lead_id):
    return next(lead for lead in leads(aws.table) if lead["lead_id"] == lead_id)


def sweep_at(client, clock, moment):
    """Run the scheduled sweeper Lambda at a given time."""
    clock.now = moment
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {}, ["arn:aws:events:rule/sweeper"])
    return client.lambda_.invoke("sweeper", event).payload


def test_retries_back_off_exponentially_then_the_notice_is_dead_and_the_alarm_metric_fires(
    client, aws, deps, clock, sns, capsys
):
    # GIVEN SNS is unreachable when a lead arrives (which nobody opens: its reminder is a day away)
    deps.settings = replace(deps.settings, ack_minutes=1440)
    sns.active = True
    lead_id = submit(deps, clock)
    drain(client, aws)
    lead = the_lead(aws, lead_id)
    assert (lead["notice_state"], lead["notice_attempts"]) == ("failed", 1)

    # WHEN the sweeper runs every so often, just before and just at each due time
    gaps = []
    attempted_at = clock.now
    while the_lead(aws, lead_id)["notice_state"] == "failed" and len(gaps) < 10:
        due = the_lead(aws, lead_id)["notice_due_at"]
        calls = sns.calls
        moment = datetime.fromisoformat(due.replace("Z", "+00:00"))
        early = sweep_at(client, clock, moment - timedelta(seconds=1))
        assert early["failed"] + early["dead"] == 0 and sns.calls == calls, "retried before it was due"
        sweep_at(client, clock, moment)
        assert sns.calls == calls + 1
        gaps.append(int((moment - attempted_at).total_seconds()))
        attempted_at = moment

    # THEN each wait doubled, and after the sixth attempt the notice is dead and no longer owed
    assert gaps == BACKOFF
    lead = the_lead(aws, lead_id)
    assert (lead["notice_state"], lead["notice_attempts"]) == ("dead", 6)
    assert lead["notice_last_error"] == "EndpointConnectionError"
    assert "notice_queue" not in lead and "notice_due_at" not in lead
    # AND the NoticesDead metric, which the alarm watches, was written once, in embedded metric format
    lines = emf_lines(capsys.readouterr().out)
    [dead] = [line for line in lines if "NoticesDead" in line]
    assert dead["event"] == "notice_dead" and dead["lead_id"] == lead_id and dead["NoticesDead"] == 1
    assert dead["_aws"]["CloudWatchMetrics"] == [
        {"Namespace": "NextSteps", "Dimensions": [["stage"]], "Metrics": [{"Name": "NoticesDead", "Unit": "Count"}]}
    ]
    assert isinstance(dead["_aws"]["Timestamp"], int) and dead["stage"]
    assert (metric_total(lines, "NoticesFailed"), metric_total(lines, "NoticesDead")) == (5, 1)

    # AND later sweeps leave it alone (it waits for a person to redrive it)
    calls = sns.calls
    sweep_at(client, clock, clock.now + timedelta(days=1))
    assert sns.calls == calls and aws.notices() == []


def test_the_number_of_attempts_is_a_stage_setting(client, aws, deps, clock, sns):
    # GIVEN a stage that gives up after two attempts, and SNS down
    deps.settings = replace(deps.settings, notice_max_attempts=2)
    sns.active = True
    lead_id = submit(deps, clock)
    drain(client, aws)

    # WHEN the sweeper retries once the first backoff is over
    sweep_at(client, clock, clock.now + timedelta(seconds=61))

    # THEN the second failure is final
    lead = the_lead(aws, lead_id)
    assert (lead["notice_state"], lead["notice_attempts"]) == ("dead", 2)


def test_a_redrive_after_sns_is_back_sends_a_dead_notice_once(client, aws, deps, clock, sns):
    # GIVEN a notice that died while SNS was down
    deps.settings = replace(deps.settings, notice_max_attempts=1)
    sns.active = True
    lead_id = submit(deps, clock)
    drain(client, aws)
    assert the_lead(aws, lead_id)["notice_state"] == "dead"

    # WHEN SNS is back and staff redrive (what `python -m scripts.leads redrive` calls)
    sns.active = False
    clock.advance(hours=2)
    tally = service.redrive(deps)

    # THEN the lead is notified, once, and further sweeps and redrives send nothing more
    assert tally["sent"] == 1
    assert the_lead(aws, lead_id)["notice_state"] == "sent"
    service.redrive(deps)
    sweep_at(client, clock, clock.now + timedelta(hours=1))
    drain(client, aws)
    assert noticed(aws) == {lead_id: 1}


def test_a_lead_the_stream_never_delivered_is_sent_by_the_sweeper_after_the_grace_period(client, aws, deps, clock):
    # GIVEN a stored lead whose stream record has not reached notify_staff
    lead_id = submit(deps, clock)

    # WHEN the sweeper runs inside the grace period, then after it
    sweep_at(client, clock, START + timedelta(seconds=119))
    assert aws.notices() == []
    sweep_at(client, clock, START + timedelta(seconds=120))

    # THEN the sweeper sent it; the late stream record then finds nothing owed
    assert noticed(aws) == {lead_id: 1}
    drain(client, aws)
    assert noticed(aws) == {lead_id: 1}


def test_one_reminder_for_each_normal_lead_nobody_opened_within_ack_minutes(client, aws, deps, clock, capsys):
    # GIVEN two leads at 10:00 on a Monday in New York, one of which staff contact, and a third at 10:12
    first, contacted = submit(deps, clock, 1), submit(deps, clock, 2)
    service.set_status(contacted, "contacted", deps)
    clock.advance(minutes=12)
    later = submit(deps, clock, 3)
    drain(client, aws)
    assert noticed(aws) == {first: 1, contacted: 1, later: 1}

    # WHEN the sweeper runs just before and at each lead's 30 minutes, and for days after
    assert sweep_at(client, clock, START + timedelta(minutes=30, seconds=-1))["reminders"] == 0
    assert sweep_at(client, clock, START + timedelta(minutes=30))["reminders"] == 1
    assert sweep_at(client, clock, START + timedelta(minutes=42, seconds=-1))["reminders"] == 0
    assert sweep_at(client, clock, START + timedelta(minutes=42))["reminders"] == 1
    for hours in (1, 24, 96):
        assert sweep_at(client, clock, START + timedelta(hours=hours))["reminders"] == 0

    # THEN each lead still new got exactly one reminder, and the contacted one none
    assert noticed(aws, "reminder") == {first: 1, later: 1}
    assert noticed(aws) == {first: 1, contacted: 1, later: 1}
    assert the_lead(aws, first)["escalations"] == ["2026-03-02T15:30:00.000Z"]
    # AND the Reminders metric counts two
    assert metric_total(emf_lines(capsys.readouterr().out), "Reminders") == 2


def test_ack_minutes_is_a_stage_setting_and_a_failed_reminder_is_tried_again(client, aws, deps, clock, sns):
    # GIVEN a stage that reminds after 5 clinic minutes, and a notified lead
    deps.settings = replace(deps.settings, ack_minutes=5)
    lead_id = submit(deps, clock)
    drain(client, aws)

    # WHEN SNS is down at the first sweep past five minutes, and back for the next
    sns.active = True
    assert sweep_at(client, clock, START + timedelta(minutes=5))["reminders"] == 0
    sns.active = False
    assert sweep_at(client, clock, START + timedelta(minutes=6))["reminders"] == 1

    # THEN exactly one reminder reached staff
    assert noticed(aws, "reminder") == {lead_id: 1}
    assert sweep_at(client, clock, START + timedelta(hours=3))["reminders"] == 0
