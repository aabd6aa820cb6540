"""A resubmission is a replay only when it is the very same submission; spam never stands in for a real lead."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Stack, leads, post, pump
from tests.reliability.support import lead_body


def lead_ids(aws: Stack, status: str) -> list[str]:
    return sorted(lead["lead_id"] for lead in leads(aws.table) if lead["status"] == status)


def notified(aws: Stack) -> list[str]:
    """The lead id of every notice staff received, in order."""
    return [
        next(word.rstrip(".") for word in n["texts"]["sms"].split() if len(word.rstrip(".")) == 26)
        for n in aws.notices()
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"preferred_contact": "email"},
        {"best_time": "morning"},
        {"service": "ketamine_infusion"},
        {"last_name": "Quill-Moreno"},
    ],
    ids=["preferred_contact", "best_time", "service", "last_name"],
)
def test_a_resubmission_with_a_change_is_a_new_lead_and_a_new_notice(
    client: Any, aws: Stack, clock: Any, change: dict[str, Any]
) -> None:
    # GIVEN a visitor who sent the form, then within 10 minutes sends it again with one answer changed
    first = post(client, lead_body(clock))
    clock.advance(minutes=2)
    again = post(client, lead_body(clock, **change))

    # THEN the change is kept: a second lead, its own answer, and staff told of both
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert again.json_body["lead_id"] != first.json_body["lead_id"]
    stored = {lead["lead_id"]: lead for lead in leads(aws.table)}
    assert set(stored) == {first.json_body["lead_id"], again.json_body["lead_id"]}
    for name, value in change.items():
        assert stored[again.json_body["lead_id"]][name] == value
    pump(client, aws)
    assert sorted(notified(aws)) == sorted(stored)


def test_a_changed_resubmission_with_a_fresh_key_is_a_new_lead_too(client: Any, aws: Stack, clock: Any) -> None:
    # GIVEN the form reloaded (a new key) and sent again asking for a call instead of an email
    first = post(client, lead_body(clock, preferred_contact="email"), {"Idempotency-Key": "page-load-1"})
    again = post(client, lead_body(clock, preferred_contact="phone"), {"Idempotency-Key": "page-load-2"})

    assert "Idempotent-Replayed" not in again.headers
    assert again.json_body["lead_id"] != first.json_body["lead_id"]
    assert len(lead_ids(aws, "new")) == 2


def test_an_identical_resubmission_without_a_key_is_still_a_replay(client: Any, aws: Stack, clock: Any) -> None:
    # GIVEN a visitor without JavaScript who goes Back and sends the very same form again
    first = post(client, lead_body(clock))
    clock.advance(minutes=3)
    again = post(client, lead_body(clock))

    # THEN the first answer comes back, and there is one lead and one notice
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.body == first.body
    pump(client, aws)
    assert lead_ids(aws, "new") == [first.json_body["lead_id"]]
    assert notified(aws) == [first.json_body["lead_id"]]


def test_an_identical_resubmission_from_a_reloaded_form_is_a_replay(client: Any, aws: Stack, clock: Any) -> None:
    # GIVEN the same answers from a reloaded page: a new key, a new start time and another source page
    first = post(client, lead_body(clock, source_page="https://clinic.example/kap"), {"Idempotency-Key": "load-1"})
    clock.advance(minutes=1)
    reloaded = lead_body(clock, source_page="https://clinic.example/contact")
    again = post(client, reloaded, {"Idempotency-Key": "load-2"})

    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json_body["lead_id"] == first.json_body["lead_id"]
    assert len(leads(aws.table)) == 1


@pytest.mark.parametrize("key", [None, "fresh"], ids=["no-key", "fresh-key"])
def test_a_real_submission_after_the_same_person_filled_the_honeypot_is_a_real_lead(
    client: Any, aws: Stack, clock: Any, key: str | None
) -> None:
    # GIVEN the same person first sent with the hidden field filled (autofill, say): set aside as spam
    spam = post(client, lead_body(clock, website="https://autofill.example"))
    assert lead_ids(aws, "spam") == [spam.json_body["lead_id"]]

    # WHEN they send the same answers again without it
    clock.advance(minutes=1)
    real = post(client, lead_body(clock), {"Idempotency-Key": key} if key else {})

    # THEN it is a real lead of its own, not the spam lead's answer, and staff are told once
    assert real.status_code == 201
    assert "Idempotent-Replayed" not in real.headers
    assert real.json_body["lead_id"] != spam.json_body["lead_id"]
    assert lead_ids(aws, "new") == [real.json_body["lead_id"]]
    pump(client, aws)
    assert notified(aws) == [real.json_body["lead_id"]]


def test_a_real_submission_after_a_too_fast_one_with_the_very_same_body_is_a_real_lead(
    client: Any, aws: Stack, clock: Any
) -> None:
    # GIVEN a form sent one second after it was shown (too fast: set aside as spam)
    body = lead_body(clock, started_at=clock.epoch_ms(1))
    spam = post(client, body)
    assert lead_ids(aws, "spam") == [spam.json_body["lead_id"]]

    # WHEN the very same body is sent again half a minute later, no longer too fast
    clock.advance(seconds=30)
    real = post(client, body)

    # THEN it is a real lead, notified once
    assert "Idempotent-Replayed" not in real.headers
    assert lead_ids(aws, "new") == [real.json_body["lead_id"]]
    pump(client, aws)
    assert notified(aws) == [real.json_body["lead_id"]]


def test_spam_then_real_with_the_same_key_makes_a_real_lead_not_a_silent_replay(
    client: Any, aws: Stack, clock: Any
) -> None:
    # GIVEN a keyed send set aside as spam (the hidden field filled)
    key = {"Idempotency-Key": "one-page-load"}
    spam = post(client, lead_body(clock, website="https://autofill.example"), key)

    # WHEN the same key comes back with the same answers and the hidden field empty
    real = post(client, lead_body(clock), key)

    # THEN that is a real lead of its own, notified once; the spam lead's answer is not replayed
    assert real.status_code == 201
    assert "Idempotent-Replayed" not in real.headers
    assert real.json_body["lead_id"] != spam.json_body["lead_id"]
    assert lead_ids(aws, "new") == [real.json_body["lead_id"]]
    pump(client, aws)
    assert notified(aws) == [real.json_body["lead_id"]]
    # AND a retry of the real one with that key replays the real lead
    retry = post(client, lead_body(clock), key)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json_body["lead_id"] == real.json_body["lead_id"]


def test_the_same_spam_sent_again_replays_the_spam_answer(client: Any, aws: Stack, clock: Any) -> None:
    # GIVEN a bot that sends the same filled-in honeypot twice
    first = post(client, lead_body(clock, website="https://seo.example"))
    again = post(client, lead_body(clock, website="https://seo.example"))

    # THEN it gets the same answer and there is one spam lead, never notified
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json_body["lead_id"] == first.json_body["lead_id"]
    assert lead_ids(aws, "spam") == [first.json_body["lead_id"]]
    pump(client, aws)
    assert aws.notices() == []
