"""Every lead's notice is tracked: pending, then sent with its SNS message id, or failed with when to retry."""

from __future__ import annotations

from tests.conftest import leads, post, pump
from tests.reliability.conftest import sns_internal_error
from tests.reliability.support import ShardReader, lead_body, noticed, submit

NOTICE_FIELDS = ("notice_queue", "notice_due_at", "notice_lease_until", "notice_last_error")


def the_lead(aws, lead_id):
    return next(lead for lead in leads(aws.table) if lead["lead_id"] == lead_id)


def test_a_new_lead_is_pending_until_sent_then_records_the_sns_message_id(client, aws, deps, clock):
    # GIVEN a lead just posted through the API
    answer = post(client, lead_body(clock))
    assert answer.status_code == 201
    lead_id = answer.json_body["lead_id"]

    # THEN before the stream delivers it, its notice is pending and owed (due after the grace period)
    lead = the_lead(aws, lead_id)
    assert (lead["notice_state"], lead["notice_attempts"]) == ("pending", 0)
    assert (lead["notice_queue"], lead["notice_due_at"]) == ("due", "2026-03-02T15:02:00.000Z")

    # WHEN the table's stream reaches notify_staff (read through the DynamoDB Streams API)
    clock.advance(seconds=1)
    pump(client, aws)

    # THEN the notice is sent, with SNS's message id, and no longer owed
    [notice] = aws.notices()
    lead = the_lead(aws, lead_id)
    assert lead["notice_state"] == "sent"
    assert lead["notice_message_id"] == notice["id"]
    assert (lead["notice_attempts"], lead["notice_sent_at"]) == (1, "2026-03-02T15:00:01.000Z")
    assert not [name for name in NOTICE_FIELDS if name in lead]


def test_a_failed_publish_is_recorded_and_never_blocks_the_rest_of_the_batch(client, aws, deps, clock, sns):
    # GIVEN three leads, and SNS answering 500 to the second publish only
    ids = [submit(deps, clock, n) for n in range(3)]
    sns.answer = lambda call: sns_internal_error(call) if call == 2 else None
    sns.active = True
    before = {lead["lead_id"]: lead for lead in leads(aws.table)}

    # WHEN the three arrive in one stream batch
    [event] = ShardReader(aws).events()
    assert sum(r["eventName"] == "INSERT" and r["dynamodb"]["Keys"]["sk"]["S"] == "LEAD" for r in event["Records"]) == 3
    tally = client.lambda_.invoke("notify_staff", event).payload

    # THEN the batch completes: two notices sent, one failure recorded
    assert (tally["sent"], tally["failed"]) == (2, 1)
    sent = noticed(aws)
    assert len(sent) == 2 and set(sent) < set(ids)
    [failed_id] = set(ids) - set(sent)
    failed = the_lead(aws, failed_id)
    assert failed["notice_state"] == "failed"
    assert (failed["notice_attempts"], failed["notice_last_error"]) == (1, "InternalError")
    # AND it is still owed, due again after the first backoff (one minute)
    assert (failed["notice_queue"], failed["notice_due_at"]) == ("due", "2026-03-02T15:01:00.000Z")
    # AND the lead itself is intact: nothing about the visitor was lost or changed
    kept = ("first_name", "last_name", "email", "phone", "message", "status", "consent", "created_at")
    assert {k: failed[k] for k in kept} == {k: before[failed_id][k] for k in kept}
    for lead_id in sent:
        assert the_lead(aws, lead_id)["notice_state"] == "sent"
