"""The log allow-list itself: what log_event is given is not what it writes."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from chalicelib.logs import configure, log_event

# Keys a caller might pass by mistake, each with a value that must never be written.
PHI = {
    "first_name": "Avery",
    "last_name": "Quillfeather",
    "name": "Avery Quillfeather",
    "email": "avery.quill@example.org",
    "phone": "+12025550143",
    "message": "nightmares since the accident",
    "tried_treatments": ["ssri_snri", "electroconvulsive"],
    "service": "ketamine_infusion",
    "ip": "203.0.113.77",
    "source_ip": "203.0.113.78",
    "user_agent": "Mozilla/5.0 (X11; Quillfeather)",
    "note": "called back, spoke about her sertraline dose",
    "notes": ["prefers mornings after her shift"],
    "best_time": "weekday_mornings",
    "preferred_contact": "text_message",
    "body": '{"first_name":"Avery"}',
    "error": "ValidationError: email avery.quill@example.org",
}
ALLOWED = {
    "lead_id": "01JV6Q7T8KX2M4N5P6R7S8T9VW",
    "outcome": "stored",
    "status": "new",
    "status_code": 503,
    "code": "ProvisionedThroughputExceededException",
    "kind": "idempotency",
    "reasons": ["honeypot", "too_fast"],
    "priority": "urgent",
    "attempts": 3,
    "count": 7,
    "sent": 2,
    "failed": 1,
    "dead": 0,
    "retry_after": 41,
    "route": "/leads",
}


@pytest.fixture(autouse=True)
def at_info(caplog: pytest.LogCaptureFixture) -> None:
    """The app logger at its own level, whatever an earlier test left it at (and put back after)."""
    configure()
    caplog.set_level(logging.INFO, logger="next_steps")


def written(capsys: pytest.CaptureFixture[str]) -> tuple[str, dict[str, Any]]:
    out = capsys.readouterr().out
    [line] = out.splitlines()
    return out, json.loads(line)


@pytest.mark.parametrize("key", sorted(PHI))
def test_a_health_or_contact_field_never_reaches_the_log_line(key: str, capsys: pytest.CaptureFixture[str]) -> None:
    log_event("lead_received", lead_id=ALLOWED["lead_id"], **{key: PHI[key]})
    out, line = written(capsys)
    assert key not in line
    values = PHI[key] if isinstance(PHI[key], list) else [PHI[key]]
    for value in values:
        assert str(value) not in out
    assert line["event"] == "lead_received" and line["lead_id"] == ALLOWED["lead_id"]


def test_every_phi_field_at_once_is_dropped_and_every_safe_one_kept(capsys: pytest.CaptureFixture[str]) -> None:
    log_event("notice_failed", **PHI, **ALLOWED)
    out, line = written(capsys)
    assert line == {"level": "INFO", "event": "notice_failed", **ALLOWED}
    for value in PHI.values():
        for part in value if isinstance(value, list) else [value]:
            assert str(part) not in out


def test_a_long_safe_value_is_cut_and_an_empty_one_left_out(capsys: pytest.CaptureFixture[str]) -> None:
    log_event("unhandled_error", code="X" * 500, lead_id=None)
    _, line = written(capsys)
    assert line["code"] == "X" * 80
    assert "lead_id" not in line
