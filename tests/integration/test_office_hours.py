"""The confirmation tells a visitor when the intake team is available (CLINIC_HOURS, CLINIC_TIMEZONE)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.conftest import Stack, post, valid_lead

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_the_201_message_names_the_office_hours_in_words(client: Any, aws: Stack, deps: Any) -> None:
    # GIVEN a clinic in Chicago, open on weekdays and Saturday mornings
    deps.settings = replace(
        deps.settings, clinic_hours="Mon-Fri 08:30-17:00, Sat 09:00-12:00", clinic_timezone="America/Chicago"
    )

    # WHEN a visitor sends the form
    answer = post(client, valid_lead())

    # THEN the confirmation says when to expect the call
    assert answer.status_code == 201
    assert answer.json_body["message"].endswith(
        "Our intake team is available Monday to Friday, 8:30 AM to 5 PM; and Saturday, 9 AM to noon Central Time."
    )


def test_a_crisis_answer_and_its_no_javascript_page_carry_the_hours_too(client: Any, aws: Stack) -> None:
    crisis = valid_lead(message="I want to kill myself")
    answer = post(client, crisis)
    assert "Monday to Friday, 8 AM to 6 PM Eastern Time" in answer.json_body["message"]

    body = (
        "first_name=Kai&phone=202-555-0177&preferred_contact=phone&consent_to_contact=on&message=I+want+to+kill+myself"
    )
    page = post(client, None, FORM, raw=body.encode()).body.decode()
    assert "Our intake team is available Monday to Friday, 8 AM to 6 PM Eastern Time." in page
