"""The service's rules on the in-memory store: no moto, no network, milliseconds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.errors import KeyReused, LeadNotFound
from chalicelib.leads import Status
from chalicelib.memory import MemoryLeadStore
from chalicelib.ports import NoticeState
from chalicelib.service import Deps, RequestMeta, deliver_notice, erase_lead, restore_spam, submit_lead
from chalicelib.settings import Settings

START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


class Publisher:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[Any] = []
        self.fail = fail

    def publish(self, notice: Any) -> str:
        from chalicelib.notices import PublishFailed

        if self.fail:
            raise PublishFailed("Throttled")
        self.sent.append(notice)
        return f"m{len(self.sent)}"


def make(fail: bool = False) -> tuple[Deps, MemoryLeadStore, Publisher]:
    settings = Settings.from_env({"STAGE": "test", "LEADS_TABLE": "t", "STAFF_TOPIC_ARN": "arn:aws:sns:x"})
    store, publisher = MemoryLeadStore(), Publisher(fail)
    deps = Deps(store=store, settings=replace(settings, min_fill_seconds=0), publisher_factory=lambda: publisher)
    deps.clock = lambda: START
    return deps, store, publisher


def body(**changes: Any) -> dict[str, Any]:
    base = {
        "first_name": "Ana",
        "last_name": "Ruiz",
        "email": "ana@example.org",
        "phone": "+1 415 555 0100",
        "preferred_contact": "email",
        "best_time": "morning",
        "service": "consultation",
        "message": "I would like to learn more.",
        "consent_to_contact": True,
        "privacy_notice_version": "2025-01",
        "started_at": (START - timedelta(minutes=2)).isoformat(),
    }
    return {**base, **changes}


def test_submit_stores_one_new_lead_and_a_replay_answers_the_same() -> None:
    deps, store, _ = make()
    meta = RequestMeta(source_ip="192.0.2.1", idempotency_key="k1")
    first = submit_lead(body(), meta, deps)
    again = submit_lead(body(), meta, deps)
    assert again.replayed and again.text == first.text
    assert [lead["status"] for lead in store.leads.values()] == [Status.NEW]


def test_the_same_key_with_other_answers_is_refused() -> None:
    deps, _, _ = make()
    submit_lead(body(), RequestMeta(idempotency_key="k1"), deps)
    with pytest.raises(KeyReused):
        submit_lead(body(first_name="Eva"), RequestMeta(idempotency_key="k1"), deps)


def test_a_honeypot_lead_is_spam_and_its_notice_suppressed() -> None:
    deps, store, _ = make()
    submit_lead(body(website="http://spam.example"), RequestMeta(), deps)
    [lead] = store.leads.values()
    assert lead["status"] == Status.SPAM and lead["notice_state"] == NoticeState.SUPPRESSED


def test_a_notice_is_sent_once_then_restore_and_erase() -> None:
    deps, store, publisher = make()
    accepted = submit_lead(body(), RequestMeta(), deps)
    lead_id = accepted.body["lead_id"]
    assert deliver_notice(lead_id, deps) == NoticeState.SENT
    assert deliver_notice(lead_id, deps) == "skipped"
    assert len(publisher.sent) == 1
    erase_lead(lead_id, deps)
    with pytest.raises(LeadNotFound):
        store.get_lead(lead_id)


def test_a_failing_notice_fails_then_dies() -> None:
    deps, store, _ = make(fail=True)
    lead_id = submit_lead(body(), RequestMeta(), deps).body["lead_id"]
    outcomes = [deliver_notice(lead_id, deps) for _ in range(deps.settings.notice_max_attempts)]
    assert outcomes[0] == NoticeState.FAILED and outcomes[-1] == NoticeState.DEAD
    assert store.get_lead(lead_id)["notice_state"] == NoticeState.DEAD


def test_restoring_spam_sends_its_notice() -> None:
    deps, store, publisher = make()
    lead_id = submit_lead(body(website="http://spam.example"), RequestMeta(), deps).body["lead_id"]
    assert restore_spam(lead_id, deps) == NoticeState.SENT
    assert store.get_lead(lead_id)["status"] == Status.NEW and len(publisher.sent) == 1
