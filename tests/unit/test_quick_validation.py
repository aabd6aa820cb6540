"""A plain submission is validated without pydantic, with exactly the model's result (chalicelib/leads.py, `_quick`)."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib import leads
from chalicelib.leads import CHOICES, DEFAULTS, MAX_LENGTHS, MAX_TREATMENTS, Submission, validate_submission
from chalicelib.submission import LeadSubmission

NOW_MS = int(time.time() * 1000)
# What the form's snippet posts (web/), as the benchmark does.
TYPICAL: dict[str, Any] = {
    "first_name": "Avery",
    "last_name": "Quill",
    "email": "avery.quill@example.org",
    "phone": "(202) 555-0143",
    "preferred_contact": "phone",
    "best_time": "evening",
    "service": "ketamine_assisted_psychotherapy",
    "tried_treatments": ["therapy", "ssri_snri"],
    "message": "Years of nightmares since the accident; two SSRIs did nothing.",
    "consent_to_contact": True,
    "consent_to_text": False,
    "privacy_notice_version": "2026-01",
    "submission_id": "6f1c2d9e-0b7a-4e0f-9a57-6a1f0c0d7e11",
    "started_at": NOW_MS - 60_000,
    "source_page": "https://clinic.example/ptsd",
    "utm_source": "newsletter",
    "language": "en",
    "website": "",
}


def model(data: Any, region: str = "US") -> LeadSubmission:
    return LeadSubmission.model_validate(data, context={"phone_region": region})


def test_the_quick_check_knows_every_field_of_the_model_in_its_order_with_its_limits_and_choices() -> None:
    # A field added to the model, or a limit or choice changed there, must be changed here too.
    assert Submission._fields == tuple(LeadSubmission.model_fields)
    schema = LeadSubmission.model_json_schema()
    properties = schema["properties"]
    lengths = {}
    for name, prop in properties.items():
        for option in prop.get("anyOf", [prop]):
            if "maxLength" in option:
                lengths[name] = option["maxLength"]
    assert lengths == MAX_LENGTHS
    assert properties["tried_treatments"]["maxItems"] == MAX_TREATMENTS
    choices = {
        name: tuple(option["enum"])
        for name, p in properties.items()
        for option in p.get("anyOf", [p])
        if "enum" in option
    }
    choices["tried_treatments"] = tuple(properties["tried_treatments"]["items"]["enum"])
    assert choices == CHOICES
    defaults = {name: p["default"] for name, p in properties.items() if p.get("default") not in (None, [])}
    assert defaults == DEFAULTS
    assert set(schema["required"]) == {"first_name", "preferred_contact", "consent_to_contact"}


def test_the_form_s_submission_is_validated_without_loading_pydantic() -> None:
    # GIVEN a fresh interpreter, as on a cold start WHEN the snippet's submission is validated
    probe = (
        "import sys, json; from chalicelib.leads import validate_submission; "
        f"sub = validate_submission(json.loads({__import__('json').dumps(__import__('json').dumps(TYPICAL))})); "
        "print(sub.phone, sub.email, 'pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    # THEN it is cleaned as the model cleans it, and pydantic was never imported
    assert out == ["+12025550143", "avery.quill@example.org", "False"]


def test_the_quick_result_is_the_model_s_for_the_form_s_submission() -> None:
    quick = leads._quick(TYPICAL, "US")
    assert quick is not None
    assert quick == model(TYPICAL).submission()


def test_the_stored_answers_and_fingerprints_are_those_the_model_gives() -> None:
    # Guards stored before this check existed hold the model's fingerprints: a replay must still match them.
    m = model(TYPICAL)
    sub = validate_submission(TYPICAL)
    assert sub.dumped() == m.model_dump(mode="json")
    assert sub.answers() == m.model_dump(mode="json", include=set(leads.ANSWER_FIELDS))
    assert sub.source() == m.model_dump(mode="json", include=set(leads.SOURCE_FIELDS), exclude_none=True)
    import hashlib
    import json

    body = m.model_dump(mode="json", exclude={"submission_id", "language"})
    assert (
        sub.idempotency_fingerprint()
        == hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    )


TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from(" \t\n\u00a0\u200b\ufeff\x00\x1f"),
    max_size=40,
)
ODD = st.one_of(st.none(), st.integers(-3, 3), st.booleans(), st.just([]), st.just({}), st.floats(allow_nan=True))


def _field(common: list[Any], extra: st.SearchStrategy[Any] = TEXT) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(common), extra, ODD)


FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "first_name": _field(["Avery", " José ", "\u3164", "...", "A" * 100, "A" * 101, "", "  Zoë\u200b  "]),
    "last_name": _field(["Quill", "", "  ", "Q" * 101, "O'Brien"]),
    "email": _field(
        ["avery@example.org", "Avery@Example.ORG", " a@b.example ", "josé@example.org", "bad", "a@b", "", "x" * 250]
    ),
    "phone": _field(["(202) 555-0143", "+44 20 7946 0958", "202-555-014", "555", "", "+1 202 555 0143", "1" * 41]),
    "preferred_contact": _field(["phone", "text", "email", " Phone ", "fax", ""]),
    "best_time": _field(["morning", "any", " EVENING", "noon", ""]),
    "service": _field(["consultation", "other", "ketamine_infusion ", "spa", ""]),
    "tried_treatments": st.one_of(
        st.lists(st.sampled_from(["therapy", " TMS ", "none", "none", "yoga", "", 3]), max_size=8),
        st.sampled_from(["therapy", "", "  ", "yoga"]),
        ODD,
    ),
    "message": _field(["hello", "", "line one\r\n\r\n\r\nline two", "m" * 2001, "I want to kill myself"]),
    "consent_to_contact": st.sampled_from([True, False, "true", "on", 1, 0, None]),
    "consent_to_text": st.sampled_from([True, False, "true", "on", 1, 0, None]),
    "privacy_notice_version": _field(["2026-01", "v" * 33]),
    "submission_id": _field(["k-1", "k" * 129]),
    "started_at": st.one_of(
        st.integers(NOW_MS - 10**10, NOW_MS + 2 * 86_400_000),
        st.sampled_from([0, -1, 10**14, 946684800000, 946684799999, "1764631140123", " 1764631140123 ", "", "  "]),
        st.sampled_from(["²", "1e12", "2026-01-01T00:00:00Z", True, str(NOW_MS), str(NOW_MS + 10**9)]),
        st.floats(min_value=9e11, max_value=2e12),
        ODD,
    ),
    "source_page": _field(["https://clinic.example/", "s" * 301]),
    "referrer": _field(["https://search.example/"]),
    "utm_source": _field(["news"]),
    "utm_medium": _field(["email"]),
    "utm_campaign": _field(["spring"]),
    "utm_term": _field(["ptsd"]),
    "utm_content": _field(["a"]),
    "language": _field(["en", "es", " ES ", "fr", ""]),
    "website": _field(["", "  ", "http://spam.example"]),
}
SUBMISSIONS = st.fixed_dictionaries(
    {"first_name": FIELDS["first_name"], "consent_to_contact": FIELDS["consent_to_contact"]},
    optional={k: v for k, v in FIELDS.items() if k not in ("first_name", "consent_to_contact")}
    | {"favourite_colour": st.just("blue")},
)
# Mostly the form's own submission with a field or two changed: the quick check says yes often.
NEAR_TYPICAL = st.builds(
    lambda changes, dropped: {k: v for k, v in {**TYPICAL, **changes}.items() if k not in dropped},
    st.fixed_dictionaries({}, optional={k: FIELDS[k] for k in sorted(FIELDS)[::3]})
    | st.fixed_dictionaries({}, optional={k: FIELDS[k] for k in sorted(FIELDS)[1::3]})
    | st.fixed_dictionaries({}, optional={k: FIELDS[k] for k in sorted(FIELDS)[2::3]}),
    st.sets(st.sampled_from(sorted(FIELDS)), max_size=2),
)


def _check(data: dict[str, Any], region: str) -> bool:
    quick = leads._quick(data, region)
    if quick is None:
        return False
    # WHEN the quick check accepts a submission THEN the model accepts it too, with every field the same
    try:
        expected = model(data, region).submission()
    except ValidationError as exc:
        pytest.fail(f"the quick check accepted what the model refuses: {data!r}: {exc}")
    assert quick == expected, data
    assert type(quick.tried_treatments) is list and type(quick.started_at) is type(expected.started_at)
    return True


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=SUBMISSIONS, region=st.sampled_from(["US", "GB"]))
def test_whatever_the_quick_check_accepts_the_model_accepts_with_the_same_result(
    data: dict[str, Any], region: str
) -> None:
    _check(data, region)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=NEAR_TYPICAL)
def test_a_submission_close_to_the_form_s_gets_the_model_s_result(data: dict[str, Any]) -> None:
    _check(data, "US")


def test_the_quick_check_takes_the_common_submissions() -> None:
    # Worth having only if it answers for what real visitors send.
    plain = {"first_name": "Avery", "phone": "202 555 0143", "preferred_contact": "phone", "consent_to_contact": True}
    for data in (
        TYPICAL,
        plain,
        {**plain, "first_name": "José", "message": "Hola, ¿tienen citas?", "tried_treatments": []},
        {**plain, "email": "a@example.org", "preferred_contact": "email", "started_at": None, "website": ""},
        # A plain form post, as chalicelib/bodies.py reads it: checkboxes as booleans, everything else text.
        {**plain, "tried_treatments": ["therapy"], "started_at": str(NOW_MS - 60_000), "last_name": "", "website": ""},
    ):
        assert _check(data, "US"), data


@pytest.mark.parametrize(
    "changed",
    [
        {"consent_to_contact": "on"},  # strings for booleans: the model reads them
        {"consent_to_text": "true"},
        {"started_at": "2026-12-01T23:19:00Z"},  # a time as a date
        {"phone": "555"},  # a mistake: the model says what is wrong
        {"preferred_contact": "text"},  # consent to texts missing (a rule across fields)
        {"first_name": "   "},
    ],
)
def test_anything_else_is_left_to_the_model(changed: dict[str, Any]) -> None:
    data = {**TYPICAL, **changed}
    assert leads._quick(data, "US") is None or leads._cross_field_errors(data, leads._quick(data, "US"))


@pytest.mark.parametrize("website", ["0\x1f", "\x1c0", " 0\x1e ", "0\u3000", "\xa00\x85", "\x1f"])
def test_a_filled_honeypot_is_read_as_the_model_reads_it_whatever_the_space_around_it(website: str) -> None:
    # Python's str.strip takes \x1c..\x1f for spaces; the model (pydantic's strip) does not.
    data = {**TYPICAL, "website": website}
    quick = leads._quick(data, "US")
    assert quick is None or quick == model(data).submission()
