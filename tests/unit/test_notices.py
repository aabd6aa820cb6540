"""The staff notice cannot carry health details, by construction."""

from __future__ import annotations

import json
import re
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


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> str:
    """A stage whose staff inbox is at this address."""
    from chalicelib import runtime
    from chalicelib.settings import Settings

    url = "https://staff.clinic.example/staff/"
    monkeypatch.setattr(runtime, "settings", lambda: Settings(staff_inbox_url=url))
    return url


@pytest.mark.parametrize("detail", ["minimal", "contact"])
def test_both_texts_link_to_the_lead_in_the_inbox_by_id_only(inbox: str, detail: str) -> None:
    # GIVEN a stage with a staff inbox, and a lead
    notice = Notice.for_lead(LEAD, "new_lead", detail)
    link = f"{inbox}#lead={LEAD['lead_id']}"
    # THEN the SMS and the email each carry the lead's own link, and no command line
    assert notice.sms_text().endswith(f"Open: {link}")
    assert f"Open it in the staff inbox: {link}" in notice.email_text()
    assert "./leads" not in notice.email_text() and "staff tool" not in notice.sms_text()
    # AND the only thing about the visitor in any link is the lead id
    texts = "\n".join([notice.sns_message(), notice.subject(), notice.email_text(), notice.sms_text()])
    links = re.findall(r"https://[^\s\"]+", texts)
    assert links and set(links) == {link}


def test_without_an_inbox_the_email_says_how_to_open_the_lead_with_the_staff_tool() -> None:
    notice = Notice.for_lead(LEAD, "new_lead", "minimal")
    assert f"show {LEAD['lead_id']}" in notice.email_text()
    assert "https://" not in all_texts(notice)


def test_the_inbox_address_is_a_full_https_address_without_a_fragment() -> None:
    from chalicelib.settings import Settings

    assert Settings.from_env({"STAFF_INBOX_URL": "https://x.example/staff/#old"}).staff_inbox_url == (
        "https://x.example/staff/"
    )
    with pytest.raises(ValueError, match="STAFF_INBOX_URL"):
        Settings.from_env({"STAFF_INBOX_URL": "x.example/staff/"})


def test_the_spam_digest_has_room_for_counts_only() -> None:
    from chalicelib.notices import SpamDigest

    assert set(SpamDigest.model_fields) == {"event", "held", "waiting"}
    with pytest.raises(ValidationError):
        SpamDigest(held=1, waiting=1, lead_id=LEAD["lead_id"])  # type: ignore[call-arg]
    digest = SpamDigest(held=1, waiting=3)
    assert (
        "1 submission was held as spam since the previous clinic day opened; 3 in all are waiting" in digest.sms_text()
    )
    assert "./leads --stage dev list --spam" in digest.email_text()  # no inbox on this stage: the staff tool


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
