"""Crisis-aware answers, consent records, retention, erasure and redaction."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib import service
from chalicelib.notices import PublishFailed
from tests.conftest import Stack, leads, post, pump, table_items, valid_lead

CRISIS = "Nothing has worked. Some nights I think about ending my life."


def test_crisis_message_gets_resources_urgent_priority_and_urgent_notice(client: Any, aws: Stack) -> None:
    response = post(client, valid_lead(message=CRISIS))
    assert response.status_code == 201
    answer = json.loads(response.body)
    names = [r["name"] for r in answer["crisis_resources"]]
    assert names == ["988 Suicide & Crisis Lifeline", "Crisis Text Line", "Emergency services"]
    [lead] = leads(aws.table)
    assert lead["priority"] == "urgent"
    pump(client, aws)
    [notice] = aws.notices()
    assert notice["attributes"]["priority"] == "urgent"
    assert notice["texts"]["sms"].startswith("URGENT: call back at once.")
    assert "ending my life" not in notice["raw"] and "Nothing has worked" not in notice["raw"]


def test_crisis_resources_on_the_no_javascript_answer_page(client: Any, aws: Stack) -> None:
    form = "first_name=Jo&phone=2025550188&preferred_contact=phone&consent_to_contact=on&message=I+want+to+kill+myself"
    response = post(client, None, {"Content-Type": "application/x-www-form-urlencoded"}, raw=form.encode())
    assert response.status_code == 200
    page = response.body.decode()
    assert page.index("988") < page.index("We have received your request")
    assert 'href="tel:988"' in page and 'href="sms:741741?&amp;body=HOME"' in page and 'href="tel:911"' in page
    assert leads(aws.table)[0]["priority"] == "urgent"


def test_consent_record_is_stored_with_the_lead(client: Any, aws: Stack) -> None:
    post(
        client,
        valid_lead(preferred_contact="text", consent_to_text=True, privacy_notice_version="2026-03"),
        {"User-Agent": "Mozilla/5.0 (Test)"},
    )
    [lead] = leads(aws.table)
    consent = lead["consent"]
    assert consent["contact"] is True and consent["text"] is True
    assert consent["notice_version"] == "2026-03"
    assert consent["at"] == lead["created_at"]
    assert consent["ip"]
    assert consent["user_agent"] == "Mozilla/5.0 (Test)"


def test_spam_expires_after_30_days(client: Any, aws: Stack) -> None:
    post(client, valid_lead(website="https://seo.example"))
    [lead] = leads(aws.table)
    assert lead["status"] == "spam"
    days = (lead["expires_at"] - time.time()) / 86400
    assert 29.9 < days <= 30


def test_closed_and_declined_leads_expire_after_the_stage_period(client: Any, aws: Stack, deps: Any) -> None:
    deps.settings = replace(deps.settings, closed_retention_days=90)
    post(client, valid_lead())
    [lead] = leads(aws.table)
    assert "expires_at" not in lead
    closed = service.set_status(lead["lead_id"], "closed", deps)
    assert 89.9 < (closed["expires_at"] - time.time()) / 86400 <= 90
    reopened = service.set_status(lead["lead_id"], "contacted", deps)
    assert "expires_at" not in reopened


def test_erasing_a_lead_leaves_nothing_keyed_by_it(client: Any, aws: Stack, deps: Any) -> None:
    keep = json.loads(post(client, valid_lead(first_name="Keeper", message="other")).body)["lead_id"]
    gone = json.loads(post(client, valid_lead(), {"Idempotency-Key": "erase-me"}).body)["lead_id"]
    service.erase_lead(gone, deps)
    remaining = table_items(aws.table)
    assert all(gone not in json.dumps(item) for item in remaining)
    assert [lead["lead_id"] for lead in leads(aws.table)] == [keep]
    # The erased person can submit again: their old guards are gone too.
    assert post(client, valid_lead(), {"Idempotency-Key": "erase-me"}).headers.get("Idempotent-Replayed") is None


# -- redaction -------------------------------------------------------------

SECRETS = {
    "first_name": "Zebulonia",
    "last_name": "Pennywhistle",
    "email": "zebulonia.pw@example.net",
    "phone": "(202) 555-0199",
    "message": "Flashbacks of the convoy ambush ketaminequestion",
}
NEEDLES = ["Zebulonia", "Pennywhistle", "zebulonia.pw", "555-0199", "5550199", "convoy ambush", "ketaminequestion"]


def secret_lead(**change: Any) -> dict[str, Any]:
    return valid_lead(**{**SECRETS, **change})


def assert_no_needles(text: str) -> None:
    leaked = [n for n in NEEDLES if n.lower() in text.lower()]
    assert leaked == [], f"personal details reached the logs or notices: {leaked}"


def test_no_personal_detail_in_any_log_line_or_notice_on_every_path(
    client: Any, aws: Stack, deps: Any, all_logs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # accepted, then replayed
    accepted = secret_lead()
    post(client, accepted, {"Idempotency-Key": "redact-1"})
    post(client, accepted, {"Idempotency-Key": "redact-1"})
    # key reused with other content
    post(client, secret_lead(message="Flashbacks of the convoy ambush, again"), {"Idempotency-Key": "redact-1"})
    # invalid (JSON and form)
    post(client, secret_lead(email="zebulonia.pw@", phone="555-0199x"))
    post(
        client,
        None,
        {"Content-Type": "application/x-www-form-urlencoded"},
        raw=b"first_name=Zebulonia&email=zebulonia.pw%40&message=convoy+ambush",
    )
    # spam and crisis
    post(client, secret_lead(website="x", message="ketaminequestion convoy ambush spam"))
    post(client, secret_lead(message="convoy ambush ketaminequestion; I want to end my life"))
    pump(client, aws)
    # storage failure
    original = deps.store._db.transact_write_items

    def throttled(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": SECRETS["message"]}}, "TransactWriteItems"
        )

    monkeypatch.setattr(deps.store._db, "transact_write_items", throttled)
    post(client, secret_lead(message="convoy ambush ketaminequestion third"))
    monkeypatch.setattr(deps.store._db, "transact_write_items", original)
    # notice failure
    post(client, secret_lead(message="convoy ambush ketaminequestion fourth"))

    class Failing:
        def publish(self, notice: Any) -> str:
            raise PublishFailed("InternalError")

    deps._publisher = Failing()
    pump(client, aws)

    stored = leads(aws.table)
    assert len(stored) == 4  # accepted, spam, crisis, after-failure (none from the failed paths)
    logs = all_logs()
    # The capture works: every stored lead's id and each outcome were logged.
    assert all(lead["lead_id"] in logs for lead in stored)
    for outcome in ("lead_replayed", "key_reused", "invalid", "spam", "storage_unavailable", "notice_failed"):
        assert outcome in logs
    assert_no_needles(logs)
    for notice in aws.notices():
        assert_no_needles(json.dumps(notice["texts"]) + (notice["subject"] or ""))
    assert len(aws.notices()) == 2  # the accepted and the crisis lead; spam is never notified
