"""A person in crisis is never answered with "too many requests" alone, and crisis words cannot flood staff.

Over its rate limit, a submission whose message suggests a crisis gets the
crisis resources in its 429 (JSON and the no-JavaScript page) and is stored
and notified as urgent, unless the same client sent an urgent lead in the
last 10 minutes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.abuse.conftest import assert_problem
from tests.conftest import leads, post, pump
from tests.reliability.support import aws_calls, lead_body

CRISIS = "I want to kill myself"
CRISIS_AGAIN = "I dont want to live anymore"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def over_limit(client: Any, deps: Any, clock: Any) -> Any:
    """The test client's address (127.0.0.1) has used both of its two submissions for these ten minutes."""
    deps.settings = replace(
        deps.settings,
        rate_limit_window=2,
        clinic_phone="+1 (202) 555-0100",
        form_url="https://clinic.example/next-steps",
    )
    for n in range(2):
        assert post(client, lead_body(clock, n)).status_code == 201
    return deps


def urgent(table: str) -> list[dict[str, Any]]:
    return [lead for lead in leads(table) if lead["priority"] == "urgent"]


def test_a_crisis_message_over_the_limit_gets_resources_and_makes_one_urgent_lead_and_notice(
    client: Any, aws: Any, over_limit: Any, clock: Any
) -> None:
    # WHEN the same client, over its limit, writes that they want to die
    with aws_calls(over_limit.store._db) as calls:
        answer = post(client, lead_body(clock, 3, message=CRISIS))

    # THEN the answer is still a 429 with Retry-After, and it carries the crisis resources
    problem = assert_problem(answer, 429)
    assert int(answer.headers["Retry-After"]) > 0
    assert [r["name"] for r in problem["crisis_resources"]] == [
        "988 Suicide & Crisis Lifeline",
        "Crisis Text Line",
        "Emergency services",
    ]
    # AND exactly one urgent lead was stored, with the crisis message
    [lead] = urgent(aws.table)
    assert lead["message"] == CRISIS and lead["status"] == "new"
    assert len(leads(aws.table)) == 3
    # AND the over-limit crisis path cost two transactions: the refused one, and the one that stored it
    assert calls == ["dynamodb.TransactWriteItems", "dynamodb.TransactWriteItems"]

    # WHEN the stream delivers it
    pump(client, aws)

    # THEN staff got exactly one urgent notice, for that lead
    urgent_notices = [n for n in aws.notices() if n["attributes"]["priority"] == "urgent"]
    assert len(urgent_notices) == 1 and lead["lead_id"] in urgent_notices[0]["raw"]
    assert CRISIS not in urgent_notices[0]["raw"]


def test_a_second_crisis_message_within_ten_minutes_makes_no_other_lead(
    client: Any, aws: Any, over_limit: Any, clock: Any
) -> None:
    # GIVEN an over-limit crisis message already stored as urgent, and its notice sent
    post(client, lead_body(clock, 3, message=CRISIS))
    pump(client, aws)
    clock.advance(seconds=90)

    # WHEN the same client sends another crisis message (different words, so no duplicate) within 10 minutes
    answer = post(client, lead_body(clock, 4, message=CRISIS_AGAIN))

    # THEN it still gets the crisis resources in its 429, but no other lead is made and no other notice sent
    problem = assert_problem(answer, 429)
    assert problem["crisis_resources"]
    assert "Retry-After" in answer.headers
    assert len(urgent(aws.table)) == 1 and len(leads(aws.table)) == 3
    pump(client, aws)
    assert sum(n["attributes"]["priority"] == "urgent" for n in aws.notices()) == 1


def test_a_crisis_lead_within_the_limit_also_holds_off_an_over_limit_one(
    client: Any, aws: Any, deps: Any, clock: Any
) -> None:
    # GIVEN a client that sent a crisis message as its second (last allowed) submission
    deps.settings = replace(deps.settings, rate_limit_window=2)
    assert post(client, lead_body(clock, 0)).status_code == 201
    assert post(client, lead_body(clock, 1, message=CRISIS)).status_code == 201

    # WHEN, over the limit, it sends another crisis message five minutes later
    clock.advance(minutes=5)
    answer = post(client, lead_body(clock, 2, message=CRISIS_AGAIN))

    # THEN the 429 carries the resources and no other lead is made
    assert assert_problem(answer, 429)["crisis_resources"]
    assert len(urgent(aws.table)) == 1 and len(leads(aws.table)) == 2


def test_after_ten_minutes_an_over_limit_crisis_message_is_stored_again(
    client: Any, aws: Any, deps: Any, clock: Any
) -> None:
    # GIVEN a client over its daily limit whose over-limit crisis message was stored
    deps.settings = replace(deps.settings, rate_limit_day=1)
    assert post(client, lead_body(clock, 0)).status_code == 201
    assert_problem(post(client, lead_body(clock, 1, message=CRISIS)), 429)
    assert len(urgent(aws.table)) == 1

    # WHEN it writes again eleven minutes later, still over the daily limit
    clock.advance(minutes=11)
    answer = post(client, lead_body(clock, 2, message=CRISIS_AGAIN))

    # THEN the urgent guard has expired: this one is stored (and notified) too
    assert assert_problem(answer, 429)["crisis_resources"]
    assert [lead["message"] for lead in sorted(urgent(aws.table), key=lambda x: x["created_at"])] == [
        CRISIS,
        CRISIS_AGAIN,
    ]


def test_without_javascript_an_over_limit_crisis_post_gets_a_page_with_the_crisis_lines(
    client: Any, aws: Any, over_limit: Any, clock: Any
) -> None:
    # WHEN the over-limit crisis message comes from a plain form post
    body = (
        "first_name=%3Cb%3EKai&phone=202-555-0177&preferred_contact=phone&consent_to_contact=on"
        "&message=I+dont+want+to+live+anymore"
    )
    answer = post(client, None, FORM, raw=body.encode())

    # THEN it is a 429 page (Retry-After kept) that leads with the crisis lines
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
    assert answer.headers["Content-Type"].startswith("text/html")
    page = answer.body.decode()
    assert page.index("988 Suicide &amp; Crisis Lifeline") < page.index("Too many submissions")
    assert 'href="tel:988"' in page and 'href="sms:741741?&amp;body=HOME"' in page
    # AND the clinic's number, a way back to the form and the hours, with nothing typed echoed unescaped
    assert '<a href="tel:+12025550100">+1 (202) 555-0100</a>' in page
    assert '<a href="https://clinic.example/next-steps">' in page
    assert "Monday to Friday, 8 AM to 6 PM Eastern Time" in page
    assert "<b>" not in page
    # AND the lead is stored as urgent
    [lead] = urgent(aws.table)
    assert lead["first_name"] == "<b>Kai"


def test_an_ordinary_over_limit_submission_is_unchanged(client: Any, aws: Any, over_limit: Any, clock: Any) -> None:
    # WHEN the client over its limit sends an ordinary question
    with aws_calls(over_limit.store._db) as calls:
        answer = post(client, lead_body(clock, 3))
        page = post(
            client, None, FORM, raw=b"first_name=Kai&phone=202-555-0177&preferred_contact=phone&consent_to_contact=on"
        )

    # THEN it is the plain 429: no crisis resources, nothing stored, one transaction each
    problem = assert_problem(answer, 429)
    assert "crisis_resources" not in problem
    assert page.status_code == 429 and "988" not in page.body.decode()
    assert len(leads(aws.table)) == 2
    assert calls == ["dynamodb.TransactWriteItems"] * 2
    # AND the no-JavaScript page still offers the clinic's number and the form
    assert 'href="tel:+12025550100"' in page.body.decode()
    assert 'href="https://clinic.example/next-steps"' in page.body.decode()


def test_sending_the_same_over_limit_crisis_submission_again_replays_the_stored_lead(
    client: Any, aws: Any, over_limit: Any, clock: Any
) -> None:
    # GIVEN an over-limit crisis message that was stored, answered 429 with the crisis lines
    body = lead_body(clock, 3, message=CRISIS)
    assert_problem(post(client, body, {"Idempotency-Key": "crisis-key"}), 429)

    # WHEN the visitor presses Send again with the same submission
    again = post(client, body, {"Idempotency-Key": "crisis-key"})

    # THEN the answer is the stored lead's own 201, with the crisis resources, and there is still one urgent lead
    [lead] = urgent(aws.table)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json_body["lead_id"] == lead["lead_id"] and again.json_body["crisis_resources"]
