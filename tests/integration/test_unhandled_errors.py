"""The last line of defence at the edge: an unexpected error answers a bare 500
and logs its kind only, never the exception's text (which can hold the visitor's words)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import VALID, post, valid_lead

# What a careless exception could carry: the submission's own fields.
LEAKY = f"{VALID['email']} {VALID['last_name']} {VALID['message']}"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record)


@pytest.fixture
def records() -> Iterator[_Records]:
    """The app logger's records (it does not propagate, so caplog never sees them)."""
    seen = _Records()
    logging.getLogger("next_steps").addHandler(seen)
    yield seen
    logging.getLogger("next_steps").removeHandler(seen)


class Boom(RuntimeError):
    pass


def _leaky_failure(*_: Any, **__: Any) -> None:
    raise Boom(LEAKY)


@pytest.mark.parametrize(
    ("headers", "payload"),
    [
        ({"Content-Type": "application/json"}, None),
        (
            {"Content-Type": "application/x-www-form-urlencoded"},
            urlencode(
                {
                    "first_name": VALID["first_name"],
                    "last_name": VALID["last_name"],
                    "email": VALID["email"],
                    "phone": VALID["phone"],
                    "preferred_contact": "phone",
                    "consent_to_contact": "on",
                    "message": VALID["message"],
                }
            ),
        ),
    ],
    ids=["json", "form"],
)
def test_an_unexpected_error_whose_text_holds_phi_answers_a_bare_500_and_logs_only_its_kind(
    client, deps, all_logs, records, monkeypatch, headers, payload
):
    # GIVEN the store fails in a way nobody planned for, with the visitor's words in the error
    monkeypatch.setattr(deps.store, "create_lead", _leaky_failure)

    # WHEN a visitor submits
    body = valid_lead()
    raw = payload.encode() if payload else json.dumps(body).encode()
    answer = post(client, body, headers, raw=raw)

    # THEN they get a plain 500 that holds none of the error's text and no trace
    assert answer.status_code == 500
    text = answer.body.decode()
    for secret in (LEAKY, VALID["email"], VALID["last_name"], "nightmares", "Traceback", "Boom", __file__):
        assert secret not in text
    # AND the log names the failure's kind and nothing of its text or trace
    logs = all_logs()
    assert "unhandled_error" in logs
    for secret in (VALID["email"], VALID["last_name"], "nightmares", "Traceback", 'File "'):
        assert secret not in logs
    assert [r.getMessage() for r in records.seen] == ["unhandled_error"]
    assert all(r.exc_info is None and r.exc_text is None and r.stack_info is None for r in records.seen)
