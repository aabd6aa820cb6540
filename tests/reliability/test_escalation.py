"""Speed to lead: an urgent lead nobody opens is escalated within minutes, at any hour; a normal one is reminded once.

Every test moves an injected clock and runs the scheduled sweeper Lambda
(every minute, as deployed) against the stack in moto.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib import service
from scripts.emulator import atomic_moto_dynamodb
from tests.conftest import VALID, leads
from tests.reliability.support import acknowledge, drain, emf_lines, metric_total, noticed, submit

NEW_YORK = ZoneInfo("America/New_York")
CRISIS = "I want to end my life and I don't know who else to ask."
# A Saturday, 03:00 in New York: the clinic (Mon-Fri 08:00-18:00) is closed.
NIGHT = datetime(2026, 11, 28, 3, 0, tzinfo=NEW_YORK).astimezone(UTC)


def crisis(deps: Any, clock: Any, n: int) -> str:
    """Submit urgent lead n (its own words, so it is not taken for a resubmission); its id."""
    return submit(deps, clock, n, message=f"{CRISIS} ({n})")


def the_lead(aws: Any, lead_id: str) -> dict[str, Any]:
    return next(lead for lead in leads(aws.table) if lead["lead_id"] == lead_id)


def sweep_at(client: Any, clock: Any, moment: datetime) -> dict[str, int]:
    """Run the scheduled sweeper Lambda at a given time."""
    clock.now = moment
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {}, ["arn:aws:events:rule/sweeper"])
    payload: dict[str, int] = client.lambda_.invoke("sweeper", event).payload
    return payload


def minutes_after(start: datetime, moments: list[datetime]) -> list[float]:
    return [(m - start).total_seconds() / 60 for m in moments]


def escalated_at(client: Any, clock: Any, start: datetime, minutes: int) -> list[datetime]:
    """Sweep once a minute for `minutes`; the times at which a sweep sent an escalation."""
    sent = []
    for minute in range(1, minutes + 1):
        moment = start + timedelta(minutes=minute)
        if sweep_at(client, clock, moment)["escalations"]:
            sent.append(moment)
    return sent


def test_an_urgent_lead_nobody_opens_is_escalated_at_10_20_and_30_minutes_at_night_then_the_alarm_metric(
    client: Any, aws: Any, deps: Any, clock: Any, capsys: Any
) -> None:
    # GIVEN a crisis message at 03:00 on a Saturday, its new-lead notice sent
    clock.now = NIGHT
    lead_id = crisis(deps, clock, 1)
    drain(client, aws)
    lead = the_lead(aws, lead_id)
    assert (lead["priority"], lead["ack_due_at"]) == ("urgent", "2026-11-28T08:10:00.000Z")

    # WHEN nobody opens it and the sweeper runs every minute for an hour
    sent = escalated_at(client, clock, NIGHT, 60)

    # THEN it was escalated at 10, 20 and 30 minutes, and never again
    assert minutes_after(NIGHT, sent) == [10, 20, 30]
    assert noticed(aws, "escalation") == {lead_id: 3}
    escalations = [n for n in aws.notices() if n["attributes"]["event"] == "escalation"]
    assert [n["attributes"]["priority"] for n in escalations] == ["urgent"] * 3
    assert [n["texts"]["sms"].split(":")[0] for n in escalations] == [
        f"URGENT, not picked up yet (alert {n})" for n in (1, 2, 3)
    ]
    # AND no escalation says anything the visitor wrote or who they are
    for notice in escalations:
        for value in (CRISIS, VALID["first_name"], VALID["last_name"], VALID["email"], "555-0143", "end my life"):
            assert value not in notice["raw"]
    # AND the lead keeps the times, and waits for nothing more
    lead = the_lead(aws, lead_id)
    assert lead["escalations"] == ["2026-11-28T08:10:00.000Z", "2026-11-28T08:20:00.000Z", "2026-11-28T08:30:00.000Z"]
    assert "ack_due_at" not in lead
    # AND the third, unanswered, wrote the metric the alarm watches, once
    lines = emf_lines(capsys.readouterr().out)
    assert (metric_total(lines, "Escalations"), metric_total(lines, "UrgentUnanswered")) == (3, 1)


def test_an_urgent_lead_is_escalated_no_more_once_someone_opens_it(
    client: Any, aws: Any, deps: Any, clock: Any, capsys: Any
) -> None:
    # GIVEN two urgent leads at night
    clock.now = NIGHT
    opened_late, opened_early = crisis(deps, clock, 1), crisis(deps, clock, 2)
    drain(client, aws)

    # WHEN the on-call clinician claims one at 5 minutes and opens the other at 15 (after its first escalation)
    sweep_at(client, clock, NIGHT + timedelta(minutes=5))
    acknowledge(deps, opened_early, "dr.rivera", how="claim")
    sent = escalated_at(client, clock, NIGHT + timedelta(minutes=5), 10)
    acknowledge(deps, opened_late, "dr.rivera")
    sent += escalated_at(client, clock, NIGHT + timedelta(minutes=15), 45)

    # THEN the one opened late had one escalation, at 10 minutes, and the one opened early none
    assert minutes_after(NIGHT, sent) == [10]
    assert noticed(aws, "escalation") == {opened_late: 1}
    late = the_lead(aws, opened_late)
    assert (late["acknowledged_by"], late["escalations"]) == ("dr.rivera", ["2026-11-28T08:10:00.000Z"])
    early = the_lead(aws, opened_early)
    assert "escalations" not in early and (early["assigned_to"], early["acknowledged_by"]) == ("dr.rivera",) * 2
    # AND nothing raised the alarm
    assert metric_total(emf_lines(capsys.readouterr().out), "UrgentUnanswered") == 0


def test_a_normal_lead_on_friday_at_17_50_is_reminded_on_monday_at_08_20_not_friday_at_18_20(
    client: Any, aws: Any, deps: Any, clock: Any
) -> None:
    # GIVEN hours Mon-Fri 08:00-18:00 (New York), 30 clinic minutes, and a lead on Friday at 17:50
    assert (deps.settings.clinic_hours, deps.settings.ack_minutes) == ("Mon-Fri 08:00-18:00", 30)
    friday = datetime(2026, 11, 27, 17, 50, tzinfo=NEW_YORK).astimezone(UTC)
    clock.now = friday
    lead_id = submit(deps, clock, 1)
    drain(client, aws)
    monday = datetime(2026, 11, 30, 8, 20, tzinfo=NEW_YORK).astimezone(UTC)
    assert the_lead(aws, lead_id)["ack_due_at"] == "2026-11-30T13:20:00.000Z"

    # WHEN the sweeper runs every minute on Friday evening and Monday morning (every half hour between)
    moments = [friday + timedelta(minutes=m) for m in range(1, 120)]
    moments += [
        friday + timedelta(hours=2, minutes=30 * k) for k in range(int((monday - friday).total_seconds()) // 1800 - 5)
    ]
    moments += [monday + timedelta(minutes=m) for m in range(-40, 120)]
    reminded = [m for m in moments if sweep_at(client, clock, m)["reminders"]]

    # THEN exactly one reminder, on Monday at 08:20, and none on Friday at 18:20
    assert [m.astimezone(NEW_YORK).strftime("%a %H:%M") for m in reminded] == ["Mon 08:20"]
    [notice] = [n for n in aws.notices() if n["attributes"]["event"] == "reminder"]
    assert notice["attributes"]["priority"] == "normal"
    assert notice["texts"]["sms"].startswith("Reminder: a lead is still waiting for someone to pick it up.")
    lead = the_lead(aws, lead_id)
    assert lead["escalations"] == ["2026-11-30T13:20:00.000Z"] and "ack_due_at" not in lead


def test_two_overlapping_sweeps_send_each_escalation_and_reminder_once(
    client: Any, aws: Any, deps: Any, clock: Any
) -> None:
    # GIVEN an urgent and a normal lead, both due, and a sweep that read them and then stalled
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=NEW_YORK).astimezone(UTC)
    urgent, normal = crisis(deps, clock, 1), submit(deps, clock, 2)
    drain(client, aws)
    clock.advance(minutes=31)
    store = deps.store
    stale = list(store.leads_awaiting_ack(service.iso(clock.now)))
    assert {w.lead_id for w in stale} == {urgent, normal}

    # WHEN a second sweep runs in full meanwhile, and then the first goes on with what it read
    second = service.sweep(deps)

    class Stalled:
        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        def leads_awaiting_ack(self, now: str) -> Any:
            return iter(stale)

    from dataclasses import replace

    first = service.sweep(replace(deps, store=Stalled()))  # type: ignore[arg-type]

    # THEN the second sent the escalation and the reminder, the first found both taken
    assert (second["escalations"], second["reminders"]) == (1, 1)
    assert (first["escalations"], first["reminders"], first["escalations_skipped"]) == (0, 0, 2)
    assert noticed(aws, "escalation") == {urgent: 1} and noticed(aws, "reminder") == {normal: 1}


def test_sweeps_at_the_same_instant_from_many_threads_send_each_escalation_once(
    client: Any, aws: Any, deps: Any, clock: Any
) -> None:
    # GIVEN five urgent leads due for their first escalation
    clock.now = NIGHT
    ids = [crisis(deps, clock, n) for n in range(5)]
    drain(client, aws)
    clock.advance(minutes=10)

    # WHEN eight sweeps start together
    start = threading.Event()

    def sweep() -> dict[str, int]:
        start.wait()
        return service.sweep(deps)

    with atomic_moto_dynamodb(), ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(sweep) for _ in range(8)]
        start.set()
        tallies = [f.result() for f in futures]

    # THEN each lead got exactly one escalation between them
    assert sum(t["escalations"] for t in tallies) == 5
    assert noticed(aws, "escalation") == dict.fromkeys(ids, 1)
    assert all(len(the_lead(aws, lead_id)["escalations"]) == 1 for lead_id in ids)


def test_an_escalation_sns_refuses_is_given_back_and_sent_by_the_next_sweep(
    client: Any, aws: Any, deps: Any, clock: Any, sns: Any
) -> None:
    # GIVEN an urgent lead whose new-lead notice went out
    clock.now = NIGHT
    lead_id = crisis(deps, clock, 1)
    drain(client, aws)

    # WHEN SNS is down for the first escalation, then back a minute later
    sns.active = True
    assert sweep_at(client, clock, NIGHT + timedelta(minutes=10))["escalations"] == 0
    lead = the_lead(aws, lead_id)
    assert "escalations" not in lead and lead["ack_due_at"] == "2026-11-28T08:10:00.000Z"
    sns.active = False
    sent = escalated_at(client, clock, NIGHT + timedelta(minutes=10), 25)

    # THEN it went at 11 minutes, and the next ones kept their times (20 and 30)
    assert minutes_after(NIGHT, sent) == [11, 20, 30]
    assert noticed(aws, "escalation") == {lead_id: 3}


def test_a_lead_worked_without_being_opened_is_reminded_of_no_more(
    client: Any, aws: Any, deps: Any, clock: Any
) -> None:
    # GIVEN a normal lead that staff call back from the CLI (status contacted) without opening it in the inbox
    lead_id = submit(deps, clock, 1)
    drain(client, aws)
    service.set_status(lead_id, "contacted", deps)

    # WHEN its clock runs out
    tally = sweep_at(client, clock, clock.now + timedelta(hours=1))

    # THEN no reminder; its clock is stopped, so later sweeps do not read it again
    assert (tally["reminders"], tally["stopped"]) == (0, 1)
    assert "ack_due_at" not in the_lead(aws, lead_id)
    assert list(deps.store.leads_awaiting_ack(service.iso(clock.now + timedelta(days=9)))) == []
    assert noticed(aws, "reminder") == {}


def test_spam_has_no_clock_and_a_restored_lead_gets_one_from_its_restore(
    client: Any, aws: Any, deps: Any, clock: Any
) -> None:
    # GIVEN a lead set aside as spam on Monday at 10:00 (New York)
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=NEW_YORK).astimezone(UTC)
    lead_id = submit(deps, clock, 1, website="https://spam.example")
    assert "ack_due_at" not in the_lead(aws, lead_id)
    assert sweep_at(client, clock, clock.now + timedelta(hours=2))["reminders"] == 0

    # WHEN staff restore it at 12:00, and nobody opens it
    service.restore_spam(lead_id, deps)
    assert the_lead(aws, lead_id)["ack_due_at"] == "2026-11-30T17:30:00.000Z"  # 12:30 in New York
    reminded = [m for m in range(1, 60) if sweep_at(client, clock, clock.now + timedelta(minutes=1))["reminders"]]

    # THEN it is reminded once, ACK_MINUTES after the restore
    assert reminded == [30]
    assert noticed(aws, "reminder") == {lead_id: 1}


def test_a_spam_lead_opened_in_the_spam_tab_then_restored_still_waits_for_someone_to_pick_it_up(
    client: Any, aws: Any, deps: Any, clock: Any
) -> None:
    # GIVEN a lead set aside as spam, which a receptionist opens in the Spam tab to review
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=NEW_YORK).astimezone(UTC)
    lead_id = submit(deps, clock, 1, website="https://spam.example")
    acknowledge(deps, lead_id, "reviewer")
    # WHEN they restore it from that page, and nobody then picks it up
    service.restore_spam(lead_id, deps)
    restored = the_lead(aws, lead_id)
    # THEN reading spam was not taking the lead on: it is unacknowledged, and reminded after ACK_MINUTES
    assert "acknowledged_at" not in restored and "acknowledged_by" not in restored
    reminded = [m for m in range(1, 60) if sweep_at(client, clock, clock.now + timedelta(minutes=1))["reminders"]]
    assert reminded == [30]
