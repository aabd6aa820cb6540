"""The clinic's office hours: CLINIC_HOURS read, said in words, checked against a time, and refused clearly."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.hours import add_clinic_minutes, parse_hours
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
        ({"CLINIC_HOLIDAYS": "Christmas"}, "CLINIC_HOLIDAYS must be dates like '2026-12-25"),
        ({"CLINIC_HOLIDAYS": "2026-12-25, 2026-13-01"}, "'2026-13-01' is not a date"),
        ({"URGENT_ACK_MINUTES": "ten"}, "URGENT_ACK_MINUTES must be a whole number of minutes"),
        ({"URGENT_ACK_MINUTES": "0"}, "URGENT_ACK_MINUTES"),
        ({"ACK_MINUTES": "-5"}, "ACK_MINUTES must be a whole number of minutes from 1 to 1440"),
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


NEW_YORK = ZoneInfo("America/New_York")


def local(*parts: int) -> datetime:
    """A wall-clock time in New York."""
    return datetime(*parts, tzinfo=NEW_YORK)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("received", "minutes", "due"),
    [
        # Friday 17:50: ten minutes on Friday, the other twenty from Monday's opening.
        (local(2026, 11, 27, 17, 50), 30, local(2026, 11, 30, 8, 20)),
        # Inside hours the clock is the wall clock.
        (local(2026, 12, 1, 9, 0), 30, local(2026, 12, 1, 9, 30)),
        # Before opening and on a weekend it starts at the next opening.
        (local(2026, 12, 1, 6, 0), 30, local(2026, 12, 1, 8, 30)),
        (local(2026, 12, 5, 11, 0), 30, local(2026, 12, 7, 8, 30)),
        # Landing exactly on closing time is closing time, not the next morning.
        (local(2026, 12, 1, 17, 30), 30, local(2026, 12, 1, 18, 0)),
        # At closing time the clinic is closed: the next morning.
        (local(2026, 12, 1, 18, 0), 10, local(2026, 12, 2, 8, 10)),
        # Over the spring change of clock (Sunday 8 March 2026) Monday opens at 08:00 summer time.
        (local(2026, 3, 6, 17, 50), 30, local(2026, 3, 9, 8, 20)),
        # More than a day of clinic time runs over several days.
        (local(2026, 12, 1, 17, 0), 60 + 600 + 30, local(2026, 12, 3, 8, 30)),
    ],
)
def test_clinic_minutes_count_only_while_the_clinic_is_open(received: datetime, minutes: int, due: datetime) -> None:
    hours = parse_hours("Mon-Fri 08:00-18:00", "America/New_York")
    assert add_clinic_minutes(hours, received, minutes) == due.astimezone(UTC)


def test_the_clock_skips_holidays_and_lunch_breaks_and_takes_any_time_zone_in() -> None:
    # GIVEN a clinic closed for lunch and on Monday 30 November
    hours = parse_hours("Mon-Fri 08:00-12:00, Mon-Fri 13:00-18:00", "America/New_York", frozenset({date(2026, 11, 30)}))
    # THEN Friday 17:50 runs on to Tuesday, and a lead at 11:50 waits out the lunch hour
    assert add_clinic_minutes(hours, local(2026, 11, 27, 17, 50), 30) == local(2026, 12, 1, 8, 20)
    assert add_clinic_minutes(hours, local(2026, 12, 1, 11, 50), 30) == local(2026, 12, 1, 13, 20)
    # AND the holiday is closed all day
    assert not hours.is_open(local(2026, 11, 30, 10, 0))
    # AND an instant given in UTC is the same instant
    assert add_clinic_minutes(hours, datetime(2026, 12, 1, 14, 0, tzinfo=UTC), 30) == local(2026, 12, 1, 9, 30)


def test_overlapping_spans_are_counted_once() -> None:
    hours = parse_hours("Mon-Fri 08:00-12:00, Mon 10:00-14:00", "America/New_York")
    # Monday is open 08:00-14:00 without a gap or double time; Tuesday 08:00-12:00.
    assert add_clinic_minutes(hours, local(2026, 11, 30, 11, 0), 120) == local(2026, 11, 30, 13, 0)
    assert add_clinic_minutes(hours, local(2026, 12, 1, 11, 0), 120) == local(2026, 12, 2, 9, 0)


def test_the_holidays_setting_closes_those_days() -> None:
    settings = Settings.from_env({"CLINIC_HOLIDAYS": " 2026-12-25 ,2027-01-01,"})
    assert settings.clinic_holidays == "2026-12-25, 2027-01-01"
    assert settings.office_hours.holidays == frozenset({date(2026, 12, 25), date(2027, 1, 1)})
    assert not settings.office_hours.is_open(local(2026, 12, 25, 10, 0))
    assert settings.office_hours.is_open(local(2026, 12, 24, 10, 0))


def test_the_acknowledgement_minutes_are_stage_settings_with_defaults() -> None:
    assert (Settings.from_env({}).urgent_ack_minutes, Settings.from_env({}).ack_minutes) == (10, 30)
    changed = Settings.from_env({"URGENT_ACK_MINUTES": "5", "ACK_MINUTES": "45"})
    assert (changed.urgent_ack_minutes, changed.ack_minutes) == (5, 45)


def test_the_previous_clinic_day_of_a_monday_is_friday_and_holidays_are_skipped() -> None:
    from dataclasses import replace
    from datetime import UTC, date, datetime

    from chalicelib.hours import parse_hours, previous_clinic_day_opening

    hours = parse_hours("Mon-Fri 08:00-18:00", "America/New_York")
    monday = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 10:00 in New York
    assert previous_clinic_day_opening(hours, monday) == datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    tuesday = datetime(2026, 12, 1, 13, 30, tzinfo=UTC)
    assert previous_clinic_day_opening(hours, tuesday) == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    closed_friday = replace(hours, holidays=frozenset({date(2026, 11, 27)}))
    assert previous_clinic_day_opening(closed_friday, monday) == datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
