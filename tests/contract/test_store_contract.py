"""One set of promises, two stores: the in-memory store and the DynamoDB adapter on moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.errors import GuardHeld, LeadExists, LeadNotFound, RateExceeded, StatusConflict
from chalicelib.leads import Status
from chalicelib.ports import Guard, GuardKind, NoticeState, RateCounter

NOW = 1_800_000_000


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        from chalicelib.memory import MemoryLeadStore

        yield MemoryLeadStore()
        return
    import boto3

    from chalicelib.store import LeadStore
    from tests.conftest import REGION

    stack = request.getfixturevalue("aws")
    yield LeadStore(boto3.client("dynamodb", region_name=REGION), stack.table)


def lead(lead_id: str, created_at: str = "2026-12-01T10:00:00.000Z", **extra: Any) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "created_at": created_at,
        "status": Status.NEW.value,
        "notice_state": NoticeState.PENDING.value,
        "notice_attempts": 0,
        **extra,
    }


def guard(kind: GuardKind, key: str, lead_id: str, expires_at: int = NOW + 600) -> Guard:
    return Guard(kind, key, lead_id, expires_at, response=f"answer of {lead_id}", fingerprint="fp")


def test_create_refuses_an_existing_lead(store: Any) -> None:
    store.create_lead(lead("A"), [], now_epoch=NOW)
    with pytest.raises(LeadExists):
        store.create_lead(lead("A"), [], now_epoch=NOW)


def test_a_guard_conflict_names_the_first_answer(store: Any) -> None:
    store.create_lead(lead("A"), [guard(GuardKind.IDEMPOTENCY, "k", "A")], now_epoch=NOW)
    with pytest.raises(GuardHeld) as held:
        store.create_lead(lead("B"), [guard(GuardKind.IDEMPOTENCY, "k", "B")], now_epoch=NOW)
    assert held.value.kind is GuardKind.IDEMPOTENCY
    assert held.value.first is not None and held.value.first.lead_id == "A"
    assert held.value.first.response == "answer of A"
    with pytest.raises(LeadNotFound):
        store.get_lead("B")


def test_an_expired_guard_is_taken_over(store: Any) -> None:
    store.create_lead(lead("A"), [guard(GuardKind.DUPLICATE, "d", "A", expires_at=NOW - 1)], now_epoch=NOW)
    store.create_lead(lead("B"), [guard(GuardKind.DUPLICATE, "d", "B")], now_epoch=NOW)
    found = store.find_guard(GuardKind.DUPLICATE, "d")
    assert found is not None and found.lead_id == "B"


def test_a_full_rate_counter_refuses_with_retry_after(store: Any) -> None:
    rate = RateCounter("client#w1", 1, NOW + 120)
    store.create_lead(lead("A"), [], rates=[rate], now_epoch=NOW)
    with pytest.raises(RateExceeded) as refused:
        store.create_lead(lead("B"), [], rates=[rate], now_epoch=NOW)
    assert refused.value.retry_after == 120


def test_claim_notice_once_per_lease(store: Any) -> None:
    store.create_lead(lead("A"), [], now_epoch=NOW)
    assert store.claim_notice("A", "2026-12-01T10:00:00.000Z", "2026-12-01T10:01:00.000Z") is not None
    assert store.claim_notice("A", "2026-12-01T10:00:30.000Z", "2026-12-01T10:01:30.000Z") is None
    assert store.claim_notice("A", "2026-12-01T10:02:00.000Z", "2026-12-01T10:03:00.000Z") is not None
    store.record_notice_sent("A", attempts=1, message_id="m", sent_at="2026-12-01T10:02:01.000Z")
    assert store.get_lead("A")["notice_state"] == NoticeState.SENT
    assert store.claim_notice("A", "2026-12-01T11:00:00.000Z", "2026-12-01T11:01:00.000Z") is None


def test_set_status_only_from_expected(store: Any) -> None:
    store.create_lead(lead("A"), [], now_epoch=NOW)
    moved = store.set_status("A", Status.CONTACTED, expected=Status.NEW, updated_at="t", expires_at=None)
    assert moved["status"] == Status.CONTACTED
    with pytest.raises(StatusConflict):
        store.set_status("A", Status.CLOSED, expected=Status.NEW, updated_at="t", expires_at=NOW)


def test_erase_leaves_a_guard_that_names_another_lead(store: Any) -> None:
    store.create_lead(lead("A"), [guard(GuardKind.DUPLICATE, "d", "A", expires_at=NOW - 1)], now_epoch=NOW)
    store.create_lead(lead("B"), [guard(GuardKind.DUPLICATE, "d", "B")], now_epoch=NOW)
    store.erase("A")
    with pytest.raises(LeadNotFound):
        store.get_lead("A")
    found = store.find_guard(GuardKind.DUPLICATE, "d")
    assert found is not None and found.lead_id == "B"
    with pytest.raises(LeadNotFound):
        store.erase("A")


def test_leads_by_status_pages_newest_first(store: Any) -> None:
    for i in range(5):
        store.create_lead(lead(f"L{i}", f"2026-12-01T10:0{i}:00.000Z"), [], now_epoch=NOW)
    first, after = store.leads_by_status(Status.NEW, limit=2)
    second, after2 = store.leads_by_status(Status.NEW, limit=2, after=after)
    last, end = store.leads_by_status(Status.NEW, limit=2, after=after2)
    assert [x["lead_id"] for x in first + second + last] == ["L4", "L3", "L2", "L1", "L0"]
    assert end is None


def test_leads_created_between_is_inclusive_and_oldest_first(store: Any) -> None:
    for i in range(4):
        store.create_lead(lead(f"L{i}", f"2026-12-01T10:0{i}:00.000Z"), [], now_epoch=NOW)
    found = store.leads_created_between(Status.NEW, "2026-12-01T10:01:00.000Z", "2026-12-01T10:02:00.000Z")
    assert [x["lead_id"] for x in found] == ["L1", "L2"]


def test_leads_due_only_due_ones(store: Any) -> None:
    store.create_lead(lead("A", notice_due_at="2026-12-01T10:00:00.000Z"), [], now_epoch=NOW)
    store.create_lead(lead("B", notice_due_at="2026-12-01T12:00:00.000Z"), [], now_epoch=NOW)
    assert list(store.leads_due("2026-12-01T11:00:00.000Z")) == ["A"]


def test_the_spam_digest_of_a_day_is_taken_once(store: Any) -> None:
    # GIVEN two sweeps on the same day WHEN both try to take the day's spam digest THEN one gets it
    assert store.claim_spam_digest("2026-12-01", now="2026-12-01T13:00:00.000Z", expires_at=NOW + 86_400) is True
    assert store.claim_spam_digest("2026-12-01", now="2026-12-01T13:01:00.000Z", expires_at=NOW + 86_400) is False
    # AND the next day has a digest of its own
    assert store.claim_spam_digest("2026-12-02", now="2026-12-02T13:00:00.000Z", expires_at=NOW + 86_400) is True


def test_a_spam_digest_given_back_is_taken_by_the_next_sweep(store: Any) -> None:
    store.claim_spam_digest("2026-12-01", now="2026-12-01T13:00:00.000Z", expires_at=NOW + 86_400)
    store.release_spam_digest("2026-12-01")
    assert store.claim_spam_digest("2026-12-01", now="2026-12-01T13:01:00.000Z", expires_at=NOW + 86_400) is True


def test_leads_of_a_status_are_counted_from_a_time(store: Any) -> None:
    for i, at in enumerate(["2026-12-01T09:00:00.000Z", "2026-12-01T12:00:00.000Z", "2026-12-02T08:00:00.000Z"]):
        store.create_lead(lead(f"S{i}", at, status=Status.SPAM.value), [], now_epoch=NOW)
    store.create_lead(lead("N", "2026-12-02T08:00:00.000Z"), [], now_epoch=NOW)
    assert store.count_leads(Status.SPAM, "2026-12-01T12:00:00.000Z") == 2
    assert store.count_leads(Status.SPAM, None) == 3
    assert store.count_leads(Status.SPAM, "2026-12-03T00:00:00.000Z") == 0
    assert store.count_leads(Status.NEW, None) == 1
