"""Cloudflare Turnstile: off by default; when a stage turns it on, a failed check answers 403 and stores nothing."""

from __future__ import annotations

import http.client
import io
import json
import urllib.error
import urllib.parse
from dataclasses import replace
from typing import Any

import pytest

from chalicelib import runtime, turnstile
from chalicelib.service import RequestMeta, VerificationFailed, submit_lead
from chalicelib.settings import Settings
from tests.abuse.conftest import assert_problem
from tests.conftest import leads, post, table_items
from tests.reliability.support import lead_body

SECRET = "0x4AAAAAAA-test-secret"


class FakeCloudflare:
    """Stands in for siteverify: records each check; `good` tokens pass, or `answer` overrides."""

    def __init__(self) -> None:
        self.checks: list[dict[str, str]] = []
        self.answer: Any = None

    def urlopen(self, request: Any, timeout: float) -> Any:
        assert request.full_url == turnstile.VERIFY_URL and timeout <= 5
        form = dict(urllib.parse.parse_qsl(request.data.decode()))
        self.checks.append(form)
        if callable(self.answer):
            return self.answer()
        ok = form["secret"] == SECRET and form["response"] == "good"
        return io.BytesIO(json.dumps({"success": ok, "error-codes": [] if ok else ["invalid-input-response"]}).encode())


@pytest.fixture
def cloudflare(monkeypatch: pytest.MonkeyPatch) -> FakeCloudflare:
    fake = FakeCloudflare()
    monkeypatch.setattr(turnstile.urllib.request, "urlopen", fake.urlopen)
    return fake


@pytest.fixture
def turnstile_stage(aws, deps, client, clock, monkeypatch):
    """The app's own dependencies built from a stage environment that turns Turnstile on."""
    for name, value in {
        "STAGE": "test",
        "LEADS_TABLE": aws.table,
        "STAFF_TOPIC_ARN": aws.topic_arn,
        "ALLOWED_ORIGINS": "https://clinic.example",
        "TURNSTILE_ENABLED": "true",
        "TURNSTILE_SECRET": SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    runtime.reset()
    built = runtime.deps()
    built.clock = clock
    return built


def test_turnstile_is_off_by_default(client, aws, deps, clock, cloudflare):
    # GIVEN the default settings, and an environment that does not mention Turnstile
    assert Settings().turnstile_enabled is False
    assert Settings.from_env({}).turnstile_enabled is False

    # WHEN a lead without any token is posted
    answer = post(client, lead_body(clock))

    # THEN it is accepted and Cloudflare is never asked
    assert answer.status_code == 201
    assert cloudflare.checks == []


def test_a_stage_turns_it_on_with_the_secret_from_the_environment(turnstile_stage, client, aws, clock, cloudflare):
    # GIVEN the stage environment with TURNSTILE_ENABLED and TURNSTILE_SECRET
    assert turnstile_stage.settings.turnstile_enabled is True
    assert turnstile_stage.verifier is not None

    # WHEN the form's Turnstile widget passes its token in the cf-turnstile-response field
    answer = post(client, lead_body(clock, **{"cf-turnstile-response": "good"}))

    # THEN Cloudflare was asked with the stage's secret, the token and the visitor's IP, and the lead is stored
    assert answer.status_code == 201
    assert cloudflare.checks == [{"secret": SECRET, "response": "good", "remoteip": "127.0.0.1"}]
    [lead] = leads(aws.table)
    assert "good" not in json.dumps(lead) and "cf-turnstile-response" not in lead


def test_a_failed_or_missing_token_answers_403_and_stores_nothing(turnstile_stage, client, aws, clock, cloudflare):
    # WHEN a submission comes with a token Cloudflare rejects, or with none
    rejected = post(client, lead_body(clock, 1, **{"cf-turnstile-response": "forged"}))
    missing = post(client, lead_body(clock, 2))

    # THEN both answer 403 problem JSON, nothing is stored, and a missing token is not even sent to Cloudflare
    assert_problem(rejected, 403)
    assert_problem(missing, 403)
    assert table_items(aws.table) == []
    assert [check["response"] for check in cloudflare.checks] == ["forged"]


def test_a_plain_form_post_carries_the_token_too(turnstile_stage, client, aws, clock, cloudflare):
    # GIVEN a browser without JavaScript posting the form, with the widget's hidden field
    fields = {k: v for k, v in lead_body(clock).items() if k != "tried_treatments"}
    fields.update({"consent_to_contact": "on", "cf-turnstile-response": "good"})
    body = urllib.parse.urlencode(fields).encode()

    # WHEN it is posted
    answer = post(client, None, {"Content-Type": "application/x-www-form-urlencoded"}, raw=body)

    # THEN it is verified and the visitor is sent to the thank-you page
    assert answer.status_code == 303
    assert [check["response"] for check in cloudflare.checks] == ["good"]
    assert len(leads(aws.table)) == 1


def unreachable() -> Any:
    raise urllib.error.URLError("connection refused")


def cut_short() -> Any:
    raise http.client.IncompleteRead(b"{")


@pytest.mark.parametrize(
    "answer",
    [
        unreachable,
        cut_short,
        lambda: io.BytesIO(b"<html>502 Bad Gateway</html>"),
        lambda: io.BytesIO(b'["success", true]'),
        lambda: io.BytesIO(b'{"success": "true"}'),
    ],
    ids=["unreachable", "cut-short", "not-json", "not-an-object", "not-a-boolean"],
)
def test_when_cloudflare_cannot_vouch_the_answer_is_403_never_a_500(
    turnstile_stage, client, aws, clock, cloudflare, answer
):
    # GIVEN Cloudflare failing or answering nonsense
    cloudflare.answer = answer

    # WHEN a lead is posted
    result = post(client, lead_body(clock, **{"cf-turnstile-response": "good"}))

    # THEN the check fails closed, with a 403 the visitor can act on, and nothing stored
    assert_problem(result, 403)
    assert table_items(aws.table) == []


@pytest.mark.parametrize(
    "token", ["\ud800", "x" * 2049, 12345, {"nested": True}], ids=["surrogate", "long", "int", "obj"]
)
def test_odd_tokens_are_a_failed_check(turnstile_stage, client, aws, clock, cloudflare, token):
    # WHEN the token field holds something no widget sends (a lone surrogate arrives as a JSON escape)
    body = json.dumps(lead_body(clock, **{"cf-turnstile-response": token})).encode()

    # THEN the answer is a 403, not a 500, and only a plausible token reaches Cloudflare
    assert_problem(post(client, None, raw=body), 403)
    assert all(len(check["response"]) <= 2048 for check in cloudflare.checks)


def test_the_service_uses_whatever_verifier_it_is_given(aws, deps, clock):
    # GIVEN Turnstile on, with a verifier that accepts one token
    deps.settings = replace(deps.settings, turnstile_enabled=True)
    seen = []
    deps.verifier = lambda token, ip: seen.append((token, ip)) or token == "ok"

    # WHEN one submission passes the check and one fails it
    submit_lead(lead_body(clock, 1), RequestMeta(source_ip="192.0.2.8", verification_token="ok"), deps)
    with pytest.raises(VerificationFailed):
        submit_lead(lead_body(clock, 2), RequestMeta(source_ip="192.0.2.8", verification_token="nope"), deps)

    # THEN each was checked with the client's IP, and only the passing one was stored
    assert seen == [("ok", "192.0.2.8"), ("nope", "192.0.2.8")]
    assert len(leads(aws.table)) == 1
