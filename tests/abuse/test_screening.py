"""Suspected spam gets a real lead's answer, is kept as `spam` for 30 days, is never notified, and can be restored."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import service
from tests.conftest import leads, post, pump
from tests.reliability.support import drain, lead_body, noticed

SPAM = {
    "honeypot": {"website": "https://cheap-meds.example"},
    "too_fast": "started one second before sending",
    "too_many_links": {"message": "Deals: https://a.example/x http://b.example/y www.c-example.com/z"},
    "link_in_name": {"first_name": "Avery www.pills-online.com"},
    "markup": {"message": "Hello <script>document.location='//x.example'</script>"},
}


def spam_body(clock, reason):
    if reason == "too_fast":
        return lead_body(clock, 9, started_at=clock.epoch_ms(1))
    return lead_body(clock, 9, **SPAM[reason])


def the_lead(aws, lead_id):
    return next(lead for lead in leads(aws.table) if lead["lead_id"] == lead_id)


@pytest.mark.parametrize("reason", list(SPAM))
def test_suspected_spam_gets_a_real_answer_is_kept_30_days_and_never_notified(client, aws, deps, clock, reason):
    # GIVEN a real lead, for comparison
    real = post(client, lead_body(clock, 1))

    # WHEN a submission that trips one spam check is posted
    flagged = post(client, spam_body(clock, reason))

    # THEN the sender cannot tell: same status, headers and body but for the lead id
    assert (flagged.status_code, real.status_code) == (201, 201)
    assert flagged.headers == real.headers
    assert set(flagged.json_body) == set(real.json_body) == {"lead_id", "status", "message"}
    assert {**flagged.json_body, "lead_id": "-"} == {**real.json_body, "lead_id": "-"}
    # AND it is stored as spam, with its reason, expiring 30 days out, owing no notice
    lead = the_lead(aws, flagged.json_body["lead_id"])
    assert (lead["status"], lead["spam_reasons"]) == ("spam", [reason])
    assert lead["expires_at"] == int((clock.now + timedelta(days=30)).timestamp())
    assert lead["notice_state"] == "suppressed"
    assert "notice_queue" not in lead
    # AND the honeypot's value is never kept
    assert "cheap-meds" not in repr(lead)
    # AND staff get a notice of the real lead only, however long the stream and sweeper run,
    # and of the spam only the day's count (nothing of it, not even its id)
    pump(client, aws)
    clock.advance(hours=1)
    service.sweep(deps)
    assert noticed(aws) == {real.json_body["lead_id"]: 1}
    # (the real lead, unopened for an hour, also gets its reminder; the spam none)
    reminders = [n for n in aws.notices() if n["attributes"]["event"] == "reminder"]
    assert all(
        real.json_body["lead_id"] in n["raw"] and flagged.json_body["lead_id"] not in n["raw"] for n in reminders
    )
    others = [n for n in aws.notices() if n["attributes"]["event"] not in ("new_lead", "reminder")]
    assert [n["attributes"]["event"] for n in others] == ["spam_digest"]
    assert "1 submission was held as spam" in others[0]["texts"]["sms"]
    assert flagged.json_body["lead_id"] not in others[0]["raw"]


def test_a_crisis_message_that_trips_a_spam_check_is_never_quarantined(client, aws, deps, clock):
    # GIVEN a bot-fast submission whose message suggests a crisis
    body = lead_body(clock, started_at=clock.epoch_ms(1), message="I want to end my life, please call me.")

    # WHEN it is posted and the stream delivered
    answer = post(client, body)
    drain(client, aws)

    # THEN the visitor sees the crisis resources, and staff get an urgent notice:
    # the lead is new and urgent, with the spam reason kept for staff to judge
    assert answer.status_code == 201 and answer.json_body["crisis_resources"]
    lead = the_lead(aws, answer.json_body["lead_id"])
    assert (lead["status"], lead["priority"], lead["spam_reasons"]) == ("new", "urgent", ["too_fast"])
    assert "expires_at" not in lead
    assert noticed(aws) == {lead["lead_id"]: 1}
    [notice] = aws.notices()
    assert notice["attributes"]["priority"] == "urgent"


def test_restoring_a_spam_lead_makes_it_new_and_sends_its_notice_exactly_once(client, aws, deps, clock):
    # GIVEN a real person's lead caught by the honeypot (an autofilling browser), its stream already delivered
    lead_id = post(client, lead_body(clock, **SPAM["honeypot"])).json_body["lead_id"]
    reader = drain(client, aws)
    assert aws.notices() == []

    # WHEN staff restore it
    clock.advance(hours=3)
    outcome = service.restore_spam(lead_id, deps)

    # THEN it is new, no longer expiring, and staff were told once
    assert outcome == "sent"
    lead = the_lead(aws, lead_id)
    assert (lead["status"], lead["notice_state"], lead["notice_attempts"]) == ("new", "sent", 1)
    assert "expires_at" not in lead and "notice_queue" not in lead
    assert noticed(aws) == {lead_id: 1}
    # AND the stream's record of the change, and later sweeps, send no second notice of it:
    # only the one reminder that an unopened lead gets
    drain(client, aws, reader)
    for hours in (1, 6, 12):
        clock.advance(hours=hours)
        service.sweep(deps)
    assert noticed(aws) == {lead_id: 1}
    assert [n["attributes"]["event"] for n in aws.notices()] == ["new_lead", "reminder"]


def test_restoring_twice_or_a_lead_that_is_not_spam_is_refused(client, aws, deps, clock):
    # GIVEN a restored spam lead and a real one
    spam_id = post(client, lead_body(clock, 1, **SPAM["honeypot"])).json_body["lead_id"]
    real_id = post(client, lead_body(clock, 2)).json_body["lead_id"]
    service.restore_spam(spam_id, deps)

    # WHEN either is restored (again), or an unknown id is
    # THEN the service refuses, and no further notice goes out
    with pytest.raises(service.StatusConflict):
        service.restore_spam(spam_id, deps)
    with pytest.raises(service.StatusConflict):
        service.restore_spam(real_id, deps)
    with pytest.raises(service.LeadNotFound):
        service.restore_spam("01KJQH0CC0B5Q7XYGXT8BX8AMM", deps)
    assert noticed(aws) == {spam_id: 1}
