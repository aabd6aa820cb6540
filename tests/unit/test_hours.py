"""The clinic's office hours: CLINIC_HOURS read, said in words, checked against a time, and refused clearly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.hours import parse_hours
from chalicelib.settings import Settings


@pytest.mark.parametrize(
    ("hours", "zone", "words"),
    [
        ("Mon-Fri 08:00-18:00", "America/New_York", "Monday to Friday, 8 AM to 6 PM Eastern Time"),
        ("mon-fri 8:30-17:00", "America/Chicago", "Monday to Friday, 8:30 AM to 5 PM Central Time"),
        (
            "Mon-Thu 08:00-18:00, Fri 08:00-12:00, Sat 09:00-13:30",
            "America/Los_Angeles",
            "Monday to Thursday, 8 AM to 6 PM; Friday, 8 AM to noon; and Saturday, 9 AM to 1:30 PM Pacific Time",
        ),
        ("Tue 00:00-23:59", "Europe/Madrid", "Tuesday, 12 AM to 11:59 PM (Europe/Madrid time)"),
    ],
)
def test_hours_are_said_in_words_a_visitor_reads(hours: str, zone: str, words: str) -> None:
    assert parse_hours(hours, zone).in_words() == words


def test_the_default_sentence_names_the_days_hours_and_zone() -> None:
    assert Settings().office_hours.sentence() == (
        "Our intake team is available Monday to Friday, 8 AM to 6 PM Eastern Time."
    )


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (datetime(2026, 12, 1, 13, 0, tzinfo=UTC), True),  # Tuesday 8:00 in New York: opening
        (datetime(2026, 12, 1, 12, 59, tzinfo=UTC), False),  # 7:59
        (datetime(2026, 12, 1, 23, 0, tzinfo=UTC), False),  # 18:00: closed
        (datetime(2026, 12, 5, 15, 0, tzinfo=UTC), False),  # Saturday
        (datetime(2026, 7, 1, 12, 30, tzinfo=UTC), True),  # summer time: 8:30 in New York
    ],
)
def test_is_open_follows_the_clinics_own_clock(moment: datetime, open_: bool) -> None:
    assert parse_hours("Mon-Fri 08:00-18:00", "America/New_York").is_open(moment) is open_


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"CLINIC_HOURS": "weekdays 9 to 5"}, "CLINIC_HOURS"),
        ({"CLINIC_HOURS": "Fri-Mon 08:00-18:00"}, "CLINIC_HOURS"),
        ({"CLINIC_HOURS": "Mon-Fri 18:00-08:00"}, "closing time must be after opening time"),
        ({"CLINIC_HOURS": "Mon-Fri 08:00-25:00"}, "24-hour clock"),
        ({"CLINIC_HOURS": "Mon-Fry 08:00-18:00"}, "'Fry' is not a day"),
        ({"CLINIC_TIMEZONE": "Eastern"}, "CLINIC_TIMEZONE"),
        ({"CLINIC_TIMEZONE": "../../etc/passwd"}, "CLINIC_TIMEZONE"),
        ({"CLINIC_PHONE": "call us"}, "CLINIC_PHONE"),
        ({"CLINIC_PHONE": "12"}, "CLINIC_PHONE"),
        ({"FORM_URL": "javascript:alert(1)"}, "FORM_URL"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_setting(env: dict[str, str], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Settings.from_env(env)


def test_the_clinic_phone_becomes_a_tel_link() -> None:
    settings = Settings.from_env({"CLINIC_PHONE": "+1 (202) 555-0100"})
    assert settings.clinic_phone == "+1 (202) 555-0100"
    assert settings.clinic_phone_link == "tel:+12025550100"
    assert Settings.from_env({"CLINIC_PHONE": "202.555.0100"}).clinic_phone_link == "tel:2025550100"
    assert Settings.from_env({}).clinic_phone_link == ""
