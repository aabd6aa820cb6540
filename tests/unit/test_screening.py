"""Crisis and spam screening as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.leads import validate_submission
from chalicelib.screening import CRISIS_RESOURCES, spam_reasons, suggests_crisis


@pytest.mark.parametrize(
    "text",
    [
        "Some days I want to kill myself.",
        "I have thought about ending my life",
        "I don\u2019t want to be here anymore",
        "i dont want to be here any more",
        "Some days I do not want to be here anymore.",
        "I cannot take it anymore",
        "I took an overdose last year",
        "Honestly I feel SUICIDAL most nights",
        "everyone would be better off without me",
        "I can't go on like this",
        "I have a plan to end it all",
        "Je veux mourir -- I want to die",
        "I've been self-harming... I hurt myself again",
    ],
)
def test_crisis_phrases_are_recognised(text: str) -> None:
    assert suggests_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "My job is killing it this quarter",
        "I skilled myself up in carpentry",
        "I want to end my lease early",
        "What does the end of my life insurance policy mean?",
        "I don't want to be here in the waiting room too long",
        "Is an overdosed-on-coffee feeling normal?",
        "My therapist says I am a survivor",
        "Please call me in the afternoon",
        "",
    ],
)
def test_near_misses_do_not_match(text: str) -> None:
    assert not suggests_crisis(text)


def test_crisis_resources_name_988_crisis_text_line_and_911() -> None:
    text = " ".join(f"{r['name']} {r['how']} {r.get('call', '')} {r.get('text', '')}" for r in CRISIS_RESOURCES)
    assert "988" in text and "press 1" in text
    assert "HOME" in text and "741741" in text
    assert "911" in text


NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def reasons(**change: Any) -> list[str]:
    base: dict[str, Any] = {
        "first_name": "Avery",
        "phone": "2025550143",
        "preferred_contact": "phone",
        "consent_to_contact": True,
        "started_at": (NOW - timedelta(minutes=2)).isoformat(),
    }
    base.update(change)
    return spam_reasons(validate_submission(base), NOW, min_fill_seconds=3, max_links=2)


def test_a_real_looking_submission_has_no_spam_reasons() -> None:
    assert reasons(message="I read about KAP on your site, see www.example.org") == []


def test_each_spam_reason() -> None:
    assert reasons(website="https://seo.example") == ["honeypot"]
    assert reasons(started_at=(NOW - timedelta(seconds=1)).isoformat()) == ["too_fast"]
    assert reasons(message="a http://a.example b http://b.example c http://c.example") == ["too_many_links"]
    assert reasons(first_name="Cheap http://pills.example") == ["link_in_name"]
    assert reasons(message='<a href="http://x.example">x</a>') == ["markup"]


def test_a_visitor_clock_running_ahead_is_not_mistaken_for_a_bot() -> None:
    assert reasons(started_at=(NOW + timedelta(minutes=4)).isoformat()) == []
