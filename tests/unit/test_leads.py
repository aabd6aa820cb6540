"""The submission model: what a visitor may send and what they are told when it is wrong."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.ids import is_lead_id, new_lead_id
from chalicelib.leads import InvalidSubmission, validate_submission
from chalicelib.submission import LeadSubmission

BASE: dict[str, Any] = {
    "first_name": "Avery",
    "phone": "(202) 555-0143",
    "preferred_contact": "phone",
    "consent_to_contact": True,
}


def errors_of(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidSubmission) as caught:
        validate_submission(data)
    return {e.field: e.message for e in caught.value.errors}


def test_valid_submission_is_cleaned_and_phone_stored_as_e164() -> None:
    sub = validate_submission(dict(BASE, first_name="  Avery\u0000 ", message="line one\r\nline two\u202e"))
    assert sub.first_name == "Avery"
    assert sub.phone == "+12025550143"
    assert sub.message == "line one\nline two"
    assert sub.best_time == "any" and sub.service == "consultation"


def test_text_is_nfc_normalised() -> None:
    sub = validate_submission(dict(BASE, first_name="Jose\u0301"))
    assert sub.first_name == "Jos\u00e9"


def test_format_characters_are_stripped_from_every_field() -> None:
    # Zero-width space, soft hyphen, word joiner, byte order mark, zero-width joiners between ASCII letters
    sub = validate_submission(
        dict(
            BASE,
            first_name="Av\u200bery\u00ad",
            last_name="\u2060Lee\ufeff",
            message="sui\u200bcidal\nki\u00adll my\u200dself",
        )
    )
    assert (sub.first_name, sub.last_name) == ("Avery", "Lee")
    assert sub.message == "suicidal\nkill myself"


def test_joiners_that_belong_to_a_script_or_an_emoji_are_kept() -> None:
    # ZWNJ is part of Persian spelling; ZWJ builds emoji sequences
    name, emoji = "\u0645\u06cc\u200c\u0631\u0648\u06cc", "\U0001f469\u200d\u2695\ufe0f"
    sub = validate_submission(dict(BASE, first_name=name, message=emoji))
    assert (sub.first_name, sub.message) == (name, emoji)


@pytest.mark.parametrize(
    "name",
    [
        "\u200b",
        "\u00ad",
        "\u3164",
        "\u115f\u1160",
        "\uffa0",
        "\u200b\u3164\u00ad",
        " \u2060 ",
        "\u2800",
        "...",
        "\u3164.",
    ],
)
def test_a_first_name_with_no_visible_letter_is_refused(name: str) -> None:
    errors = errors_of(dict(BASE, first_name=name))
    assert set(errors) == {"first_name"}
    assert "first name" in errors["first_name"]


@pytest.mark.parametrize(
    "name", ["Zo\u00eb", "\u674e", "\u0645\u0631\u06cc\u0645", "O'Neil", "Jean-Luc", "\uac15\u3164"]
)
def test_real_first_names_in_any_script_are_accepted(name: str) -> None:
    assert validate_submission(dict(BASE, first_name=name)).first_name == name


def test_unknown_fields_are_ignored_and_never_kept() -> None:
    sub = validate_submission(dict(BASE, favourite_colour="blue", is_admin=True))
    assert "favourite_colour" not in sub.dumped()
    assert "is_admin" not in sub.dumped()


def test_phone_uses_the_stage_default_region() -> None:
    sub = validate_submission(dict(BASE, phone="020 7946 0958"), phone_region="GB")
    assert sub.phone == "+442079460958"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"first_name": "   "}, "first_name", "first name"),
        ({"first_name": "x" * 101}, "first_name", "100"),
        ({"email": "not-an-address", "preferred_contact": "email"}, "email", "valid email"),
        ({"phone": "12"}, "phone", "valid phone"),
        ({"preferred_contact": "carrier pigeon"}, "preferred_contact", "phone call, text message or email"),
        ({"best_time": "midnight"}, "best_time", "morning"),
        ({"service": "surgery"}, "service", "listed options"),
        ({"tried_treatments": ["therapy", "leeches"]}, "tried_treatments", "listed treatments"),
        ({"message": "x" * 2001}, "message", "2000"),
        ({"consent_to_contact": False}, "consent_to_contact", "check the box"),
        ({"source_page": "x" * 301}, "source_page", "300"),
        ({"submission_id": "k" * 129}, "submission_id", "128"),
    ],
)
def test_each_bad_field_is_named_in_plain_words(change: dict[str, Any], field: str, words: str) -> None:
    errors = errors_of(dict(BASE, **change))
    assert field in errors
    assert words in errors[field]


def test_missing_required_fields_are_all_listed_at_once() -> None:
    errors = errors_of({})
    assert {"first_name", "preferred_contact", "consent_to_contact", "email", "phone"} <= set(errors)


def test_a_way_to_reach_the_visitor_is_required() -> None:
    errors = errors_of({"first_name": "Avery", "preferred_contact": "phone", "consent_to_contact": True})
    assert "phone" in errors


def test_chosen_channel_must_be_given() -> None:
    errors = errors_of(dict(BASE, preferred_contact="email"))
    assert errors == {"email": "Please give an email address, since you asked us to email you."}


def test_texting_needs_its_own_consent() -> None:
    errors = errors_of(dict(BASE, preferred_contact="text"))
    assert set(errors) == {"consent_to_text"}
    assert validate_submission(dict(BASE, preferred_contact="text", consent_to_text=True)).consent_to_text


def test_started_at_accepts_iso_and_epoch_ms() -> None:
    iso = validate_submission(dict(BASE, started_at="2026-11-28T10:00:00Z")).started_at
    ms = validate_submission(dict(BASE, started_at=1795860000000)).started_at
    assert iso is not None and ms is not None
    assert iso.isoformat() == "2026-11-28T10:00:00+00:00"
    assert ms.isoformat() == "2026-11-28T10:00:00+00:00"


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1999-12-31T23:59:59Z", "2999-01-01T00:00:00Z"]
)
def test_started_at_out_of_range_is_a_field_error_not_a_crash(value: str) -> None:
    assert set(errors_of(dict(BASE, started_at=value))) == {"started_at"}


def test_started_at_is_kept_in_utc_and_a_clock_an_hour_fast_is_accepted() -> None:
    from datetime import UTC, datetime, timedelta

    ahead = datetime.now(UTC) + timedelta(hours=1)
    sub = validate_submission(dict(BASE, started_at=ahead.astimezone().isoformat()))
    assert sub.started_at is not None and sub.started_at.utcoffset() == timedelta(0)
    assert validate_submission(dict(BASE, started_at="2000-01-01T00:00:00Z")).started_at is not None


def test_fingerprints_tell_replays_from_changes() -> None:
    one = validate_submission(dict(BASE, message="hello", submission_id="a"))
    same = validate_submission(dict(BASE, message="hello", submission_id="b"))
    other = validate_submission(dict(BASE, message="hello again"))
    assert one.idempotency_fingerprint() == same.idempotency_fingerprint()
    assert one.idempotency_fingerprint() != other.idempotency_fingerprint()
    assert one.duplicate_fingerprint() != other.duplicate_fingerprint()


@pytest.mark.parametrize(
    "change",
    [
        {"last_name": "Other"},
        {"preferred_contact": "email", "email": "sam@example.org"},
        {"best_time": "morning"},
        {"service": "ketamine_infusion"},
        {"tried_treatments": ["tms"]},
        {"consent_to_text": True},
    ],
)
def test_any_changed_answer_is_not_a_duplicate(change: dict[str, Any]) -> None:
    base = dict(BASE, email="sam@example.org", message="hello")
    one = validate_submission(base)
    assert one.duplicate_fingerprint() != validate_submission(dict(base, **change)).duplicate_fingerprint()


def test_a_reloaded_form_with_the_same_answers_is_a_duplicate() -> None:
    one = validate_submission(dict(BASE, message="hello", submission_id="a", started_at=1795860000000))
    reloaded = dict(BASE, message="hello", submission_id="b", started_at=1795860060000, source_page="https://x.test/")
    assert one.duplicate_fingerprint() == validate_submission(reloaded).duplicate_fingerprint()


def test_lead_ids_sort_by_time_and_are_recognisable() -> None:
    earlier, later = new_lead_id(1_700_000_000_000), new_lead_id(1_700_000_000_001)
    assert earlier < later
    assert is_lead_id(earlier) and len(earlier) == 26
    assert not is_lead_id("../../etc/passwd")


def test_honeypot_value_is_never_dumped() -> None:
    model = LeadSubmission.model_validate(dict(BASE, website="http://spam.example"))
    assert model.website == "http://spam.example"
    assert "website" not in model.model_dump()
    sub = validate_submission(dict(BASE, website="http://spam.example"))
    assert sub.website == "http://spam.example"
    assert "website" not in sub.dumped() and "website" not in sub.answers()
