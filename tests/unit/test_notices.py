"""The staff notice cannot carry health details, by construction."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.notices import Notice

LEAD: dict[str, Any] = {
    "lead_id": "01JZ0000000000000000000000",
    "created_at": "2026-11-28T12:00:00.000Z",
    "priority": "normal",
    "first_name": "Marisol",
    "last_name": "Quetzalcoatl",
    "email": "marisol.q@example.org",
    "phone": "+12025550143",
    "preferred_contact": "phone",
    "best_time": "morning",
    "service": "ketamine_infusion",
    "tried_treatments": ["esketamine", "tms"],
    "message": "Flashbacks every night since the deployment",
}

HEALTH = ["Quetzalcoatl", "Flashbacks", "deployment", "esketamine", "tms", "ketamine_infusion", "infusion"]


def all_texts(notice: Notice) -> str:
    return notice.sns_message() + notice.subject() + notice.email_text() + notice.sms_text()


@pytest.mark.parametrize("field", ["message", "tried_treatments", "service", "last_name", "email", "phone"])
def test_notice_has_no_place_for_health_details(field: str) -> None:
    safe = Notice.for_lead(LEAD, "new_lead", "minimal").model_dump()
    with pytest.raises(ValidationError):
        Notice(**safe, **{field: LEAD[field]})


def test_notice_fields_are_only_the_safe_ones() -> None:
    assert set(Notice.model_fields) == {
        "event",
        "lead_id",
        "received_at",
        "priority",
        "preferred_contact",
        "best_time",
        "language",
        "contact",
        "escalation",
    }


def test_an_escalation_says_which_alert_it_is_and_nothing_more_about_the_person() -> None:
    notice = Notice.for_lead({**LEAD, "priority": "urgent"}, "escalation", "minimal", escalation=2)
    assert notice.sms_text().startswith("URGENT, not picked up yet (alert 2): call back at once.")
    assert notice.message_attributes()["event"] == {"DataType": "String", "StringValue": "escalation"}
    assert notice.message_attributes()["priority"] == {"DataType": "String", "StringValue": "urgent"}
    assert "Opening it in the staff inbox stops these alerts." in notice.email_text()
    for value in [*HEALTH, "Marisol", "marisol.q@example.org", "+12025550143", "555"]:
        assert value not in all_texts(notice)


def test_minimal_notice_has_no_name_contact_or_health_detail() -> None:
    notice = Notice.for_lead(LEAD, "new_lead", "minimal")
    text = all_texts(notice)
    for value in [*HEALTH, "Marisol", "marisol.q@example.org", "+12025550143", "555"]:
        assert value not in text
    assert LEAD["lead_id"] in notice.sms_text()
    assert "by phone, in the morning" in notice.email_text()


def test_contact_level_adds_name_and_callback_to_email_only() -> None:
    notice = Notice.for_lead(LEAD, "new_lead", "contact")
    assert "Marisol" in notice.email_text() and "+12025550143" in notice.email_text()
    assert "Marisol" not in notice.sms_text() and "+12025550143" not in notice.sms_text()
    body = json.loads(notice.sns_message())
    assert "Marisol" not in body["sms"] and "Marisol" not in body["default"]
    for value in HEALTH:
        assert value not in all_texts(notice)


def test_email_preference_gives_the_address_as_callback() -> None:
    notice = Notice.for_lead(dict(LEAD, preferred_contact="email"), "new_lead", "contact")
    assert "Reach them at: marisol.q@example.org" in notice.email_text()


def test_urgent_notice_says_call_back_at_once() -> None:
    notice = Notice.for_lead(dict(LEAD, priority="urgent"), "new_lead", "minimal")
    assert notice.sms_text().startswith("URGENT: call back at once.")
    assert "Call back at once" in notice.email_text()
    assert notice.message_attributes()["priority"]["StringValue"] == "urgent"


def test_message_attributes_for_subscription_filters_carry_no_service() -> None:
    attributes = Notice.for_lead(LEAD, "reminder", "minimal").message_attributes()
    assert {k: v["StringValue"] for k, v in attributes.items()} == {
        "priority": "normal",
        "preferred_contact": "phone",
        "language": "en",
        "event": "reminder",
    }


def test_the_language_attribute_is_the_leads_language() -> None:
    attributes = Notice.for_lead(dict(LEAD, language="es"), "new_lead", "minimal").message_attributes()
    assert attributes["language"] == {"DataType": "String", "StringValue": "es"}
    assert "ketamine_infusion" not in json.dumps(attributes)


def test_a_spanish_speakers_notice_stays_english_and_says_prefers_spanish() -> None:
    notice = Notice.for_lead(dict(LEAD, language="es"), "new_lead", "minimal")
    for said in (notice.sms_text(), notice.email_text()):
        assert "Prefers contact by phone, in the morning. Prefers Spanish." in said
    assert notice.subject() == "New Next Steps lead"
    for private in [*HEALTH, "Marisol", "marisol.q@example.org", "+12025550143"]:
        assert private not in all_texts(notice) + json.dumps(notice.message_attributes())


def test_an_english_speakers_notice_names_no_language() -> None:
    notice = Notice.for_lead(LEAD, "new_lead", "minimal")
    assert "Prefers Spanish" not in all_texts(notice) and "Spanish" not in all_texts(notice)
