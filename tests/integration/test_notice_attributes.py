"""No published notice, in its attributes or its texts, says which treatment the visitor asked about."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelib import service
from tests.conftest import Stack, post, pump
from tests.reliability.support import lead_body

SERVICES = ["ketamine_infusion", "ketamine_assisted_psychotherapy", "consultation", "other"]
# The service's words as a subscriber might read them, matched as whole words (lead ids are one word).
SERVICE_WORDS = re.compile(r"\b(ketamine|infusions?|psychotherap\w*|KAP|consultation)\b", re.IGNORECASE)


@pytest.mark.parametrize("chosen", SERVICES)
@pytest.mark.parametrize("urgent", [False, True], ids=["normal", "urgent"])
def test_no_notice_carries_the_service_in_an_attribute_or_a_text(
    client: Any, aws: Stack, deps: Any, clock: Any, chosen: str, urgent: bool
) -> None:
    # GIVEN a lead asking about one treatment, notified, then opened by nobody for a day
    # (a normal lead gets its reminder; an urgent one its three escalations)
    message = "I want to end my life, please call" if urgent else "What does a first visit involve?"
    post(client, lead_body(clock, service=chosen, message=message))
    pump(client, aws)
    for _ in range(24 * 60 // 10):
        clock.advance(minutes=10)
        service.sweep(deps)

    # THEN every notice carries only the filter attributes staff use, none of them the service
    notices = aws.notices()
    later = ["escalation"] * 3 if urgent else ["reminder"]
    assert [n["attributes"]["event"] for n in notices] == ["new_lead", *later]
    for notice in notices:
        assert set(notice["attributes"]) == {"priority", "preferred_contact", "language", "event"}
        assert notice["attributes"]["priority"] == ("urgent" if urgent else "normal")
        assert notice["attributes"]["language"] == "en"
        assert chosen not in notice["attributes"].values()
        words = json.dumps(notice["texts"]) + (notice["subject"] or "") + json.dumps(notice["attributes"])
        assert chosen not in words
        assert SERVICE_WORDS.search(words) is None, SERVICE_WORDS.search(words)
        assert "end my life" not in words
