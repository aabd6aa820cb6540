"""One set of promises, two stores: the in-memory store and the DynamoDB adapter on moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.errors import GuardHeld, LeadExists, LeadNotFound, NotesFull, RateExceeded, StatusConflict
from chalicelib.leads import Status
from chalicelib.memory import MemoryLeadStore
from chalicelib.ports import MAX_NOTES, AuditAction, AuditRecord, Guard, GuardKind, NoticeState, RateCounter

NOW = 1_800_000_000


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
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


def guard(kind: GuardKind, key: str, lead_id: str, expires_at: int = NOW + 600, language: str = "en") -> Guard:
    return Guard(kind, key, lead_id, expires_at, response=f"answer of {lead_id}", fingerprint="fp", language=language)


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


def test_a_guard_keeps_the_language_of_its_answer(store: Any) -> None:
    store.create_lead(lead("A"), [guard(GuardKind.DUPLICATE, "d", "A", language="es")], now_epoch=NOW)
    with pytest.raises(GuardHeld) as held:
        store.create_lead(lead("B"), [guard(GuardKind.DUPLICATE, "d", "B")], now_epoch=NOW)
    assert held.value.first is not None and held.value.first.language == "es"
    found = store.find_guard(GuardKind.DUPLICATE, "d")
    assert found is not None and found.language == "es" and found.response == "answer of A"


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


# -- the acknowledgement clock ------------------------------------------------

DUE = "2026-12-01T10:10:00.000Z"


def acknowledge(store: Any, lead_id: str, by: str, at: str) -> None:
    """The staff actions' first open or claim of a lead (the store verb they use), which ends its clock."""
    assert store.acknowledge(lead_id, at=at, by=by, audit=record(AuditAction.VIEW, lead_id, at))


def mark_acknowledged_leaving_the_clock(store: Any, lead_id: str, at: str) -> None:
    """An acknowledgement written without removing the clock (a write that forgot it)."""
    if isinstance(store, MemoryLeadStore):
        store.leads[lead_id]["acknowledged_at"] = at
    else:
        store._update(lead_id, {"acknowledged_at": at}, "attribute_exists(pk)")


def test_only_leads_whose_clock_is_due_are_awaiting_acknowledgement_urgent_first(store: Any) -> None:
    store.create_lead(lead("N1", priority="normal", ack_due_at="2026-12-01T10:30:00.000Z"), [], now_epoch=NOW)
    store.create_lead(lead("U1", priority="urgent", ack_due_at=DUE), [], now_epoch=NOW)
    store.create_lead(lead("U2", priority="urgent", ack_due_at="2026-12-01T11:00:00.000Z"), [], now_epoch=NOW)
    store.create_lead(lead("S1", status=Status.SPAM.value, priority="normal"), [], now_epoch=NOW)
    waiting = list(store.leads_awaiting_ack("2026-12-01T10:45:00.000Z"))
    assert [(w.lead_id, w.priority, w.due_at, w.sent, w.status) for w in waiting] == [
        ("U1", "urgent", DUE, 0, "new"),
        ("N1", "normal", "2026-12-01T10:30:00.000Z", 0, "new"),
    ]
    acknowledge(store, "U1", "casey", "2026-12-01T10:40:00.000Z")
    assert [w.lead_id for w in store.leads_awaiting_ack("2026-12-01T10:45:00.000Z")] == ["N1"]


def test_an_escalation_is_claimed_once_and_moves_the_clock(store: Any) -> None:
    store.create_lead(lead("U", priority="urgent", ack_due_at=DUE), [], now_epoch=NOW)
    nxt = "2026-12-01T10:20:00.000Z"
    claimed = store.claim_escalation("U", due_at=DUE, sent=0, at="2026-12-01T10:10:05.000Z", next_due_at=nxt)
    assert claimed is not None and claimed["escalations"] == ["2026-12-01T10:10:05.000Z"]
    assert claimed["ack_due_at"] == nxt and claimed["lead_id"] == "U"
    # A second sweep that read the same clock takes nothing.
    assert store.claim_escalation("U", due_at=DUE, sent=0, at="2026-12-01T10:10:06.000Z", next_due_at=nxt) is None
    [waiting] = store.leads_awaiting_ack("2026-12-01T10:20:00.000Z")
    assert (waiting.due_at, waiting.sent) == (nxt, 1)
    # The last one ends the clock: nothing more is awaited.
    last = store.claim_escalation("U", due_at=nxt, sent=1, at="2026-12-01T10:20:01.000Z", next_due_at=None)
    assert last is not None and "ack_due_at" not in last and len(last["escalations"]) == 2
    assert list(store.leads_awaiting_ack("2026-12-02T00:00:00.000Z")) == []


def test_a_released_escalation_is_due_again_unless_staff_acknowledged_meanwhile(store: Any) -> None:
    store.create_lead(lead("A", priority="normal", ack_due_at=DUE), [], now_epoch=NOW)
    store.create_lead(lead("B", priority="normal", ack_due_at=DUE), [], now_epoch=NOW)
    for lead_id in ("A", "B"):
        assert store.claim_escalation(lead_id, due_at=DUE, sent=0, at=DUE, next_due_at=None) is not None
    acknowledge(store, "B", "casey", "2026-12-01T10:10:01.000Z")
    store.release_escalation("A", due_at=DUE, sent=0, next_due_at=None)
    store.release_escalation("B", due_at=DUE, sent=0, next_due_at=None)
    [again] = store.leads_awaiting_ack(DUE)
    assert (again.lead_id, again.sent) == ("A", 0)
    assert "escalations" not in store.get_lead("A")
    b = store.get_lead("B")
    assert "ack_due_at" not in b and b["acknowledged_by"] == "casey"


def test_an_acknowledged_or_worked_lead_cannot_be_escalated(store: Any) -> None:
    store.create_lead(lead("A", priority="urgent", ack_due_at=DUE), [], now_epoch=NOW)
    store.create_lead(lead("B", priority="urgent", ack_due_at=DUE), [], now_epoch=NOW)
    # Acknowledged with the clock still there (a write that left it) is not escalated either.
    mark_acknowledged_leaving_the_clock(store, "A", DUE)
    assert store.claim_escalation("A", due_at=DUE, sent=0, at=DUE, next_due_at=None) is None
    store.set_status("B", Status.CONTACTED, expected=Status.NEW, updated_at=DUE, expires_at=None)
    assert store.claim_escalation("B", due_at=DUE, sent=0, at=DUE, next_due_at=None) is None
    # The sweeper ends the clock of a lead no longer new; never of one still new.
    assert store.stop_ack_clock("A", due_at=DUE) is False
    assert store.stop_ack_clock("B", due_at="2026-12-01T09:00:00.000Z") is False
    assert store.stop_ack_clock("B", due_at=DUE) is True
    assert [w.lead_id for w in store.leads_awaiting_ack(DUE)] == ["A"]


def test_a_restored_spam_lead_gets_a_clock_and_its_review_is_no_acknowledgement(store: Any) -> None:
    store.create_lead(lead("S", status=Status.SPAM.value, priority="normal"), [], now_epoch=NOW)
    assert list(store.leads_awaiting_ack("2027-01-01T00:00:00.000Z")) == []
    assert store.acknowledge("S", at=DUE, by="reviewer", audit=record(AuditAction.VIEW, "S"))
    assert store.restore_spam("S", now=DUE, notice_due_at=DUE, ack_due_at="2026-12-01T10:40:00.000Z")
    [waiting] = store.leads_awaiting_ack("2027-01-01T00:00:00.000Z")
    assert (waiting.lead_id, waiting.due_at, waiting.status) == ("S", "2026-12-01T10:40:00.000Z", "new")
    assert "acknowledged_at" not in store.get_lead("S") and "acknowledged_by" not in store.get_lead("S")


# -- staff verbs: each change and its audit record together ---------------------


def record(
    action: AuditAction, lead_id: str | None = "A", at: str = "2026-12-01T10:00:00.000Z", **extra: Any
) -> AuditRecord:
    return AuditRecord(
        at=at, actor="alice", role="intake", action=action, lead_id=lead_id, source_ip="198.51.100.7", **extra
    )


def actions_of(store: Any, lead_id: str = "A") -> list[str]:
    return [r["action"] for r in store.audit_of_lead(lead_id)]


def test_audit_records_read_back_by_day_and_by_lead_oldest_first(store: Any) -> None:
    store.record_audit(record(AuditAction.VIEW, "A", "2026-12-01T10:00:02.000Z"))
    store.record_audit(record(AuditAction.LIST, None, "2026-12-01T10:00:01.000Z", detail="3 rows"))
    store.record_audit(record(AuditAction.VIEW, "B", "2026-12-01T23:59:59.999Z"))
    store.record_audit(record(AuditAction.VIEW, "A", "2026-12-02T00:00:00.000Z"))
    # Two records of one millisecond are both kept.
    store.record_audit(record(AuditAction.VIEW, "A", "2026-12-02T00:00:00.000Z"))

    day, more = store.audit_of_day("2026-12-01", limit=100)
    assert more is None
    assert [(r["at"], r.get("lead_id")) for r in day] == [
        ("2026-12-01T10:00:01.000Z", None),
        ("2026-12-01T10:00:02.000Z", "A"),
        ("2026-12-01T23:59:59.999Z", "B"),
    ]
    assert day[0] == {
        "at": "2026-12-01T10:00:01.000Z",
        "actor": "alice",
        "role": "intake",
        "action": "list",
        "detail": "3 rows",
        "source_ip": "198.51.100.7",
    }
    assert [r["at"] for r in store.audit_of_lead("A")] == [
        "2026-12-01T10:00:02.000Z",
        "2026-12-02T00:00:00.000Z",
        "2026-12-02T00:00:00.000Z",
    ]
    assert store.audit_of_day("2026-11-30", limit=100) == ([], None) and store.audit_of_lead("C") == []


def read_day_in_pages(store: Any, day: str, limit: int) -> list[list[dict[str, Any]]]:
    """Every page of the day's trail, following each page's position to the next."""
    pages: list[list[dict[str, Any]]] = []
    after = None
    while True:
        records, after = store.audit_of_day(day, limit=limit, after=after)
        pages.append(records)
        if after is None:
            return pages
        assert len(pages) < 20, "the pages never end"


def test_a_days_audit_trail_reads_in_pages_oldest_first_with_none_missed_or_repeated(store: Any) -> None:
    # GIVEN seven records of one day, written out of order, three of them in one millisecond, and one the next day
    times = ["10:00:03", "10:00:01", "10:00:02", "10:00:02", "10:00:02", "23:59:59", "00:00:00"]
    for n, at in enumerate(times):
        store.record_audit(record(AuditAction.VIEW, f"L{n}", f"2026-12-01T{at}.000Z"))
    store.record_audit(record(AuditAction.VIEW, "L9", "2026-12-02T00:00:00.000Z"))
    whole = sorted((r["at"], r["lead_id"]) for r in store.audit_of_day("2026-12-01", limit=100)[0])
    assert len(whole) == 7

    # WHEN the day is read three records at a time
    pages = read_day_in_pages(store, "2026-12-01", 3)

    # THEN the pages hold three, three and one, oldest first, together every record of the day once
    assert [len(p) for p in pages] == [3, 3, 1]
    shown = [(r["at"], r["lead_id"]) for p in pages for r in p]
    assert [at for at, _ in shown] == sorted(at for at, _ in whole)
    assert sorted(shown) == whole


def test_a_full_last_page_says_nothing_follows(store: Any) -> None:
    for n in range(4):
        store.record_audit(record(AuditAction.LIST, None, f"2026-12-01T10:00:0{n}.000Z", detail=f"{n} rows"))
    assert [len(p) for p in read_day_in_pages(store, "2026-12-01", 2)] == [2, 2]
    assert [len(p) for p in read_day_in_pages(store, "2026-12-01", 4)] == [4]


def test_a_record_written_after_a_page_was_read_is_on_a_later_page(store: Any) -> None:
    store.record_audit(record(AuditAction.VIEW, "A", "2026-12-01T10:00:00.000Z"))
    store.record_audit(record(AuditAction.VIEW, "B", "2026-12-01T10:00:01.000Z"))
    first, after = store.audit_of_day("2026-12-01", limit=1)
    store.record_audit(record(AuditAction.VIEW, "C", "2026-12-01T10:00:02.000Z"))
    rest, _ = store.audit_of_day("2026-12-01", limit=10, after=after)
    assert [r["lead_id"] for r in first + rest] == ["A", "B", "C"]


def test_acknowledge_first_wins_and_ends_the_due_time(store: Any) -> None:
    store.create_lead(lead("A", ack_due_at="2026-12-01T10:10:00.000Z"), [], now_epoch=NOW)
    assert store.acknowledge("A", at="2026-12-01T10:01:00.000Z", by="alice", audit=record(AuditAction.VIEW))
    assert not store.acknowledge("A", at="2026-12-01T10:02:00.000Z", by="bob", audit=record(AuditAction.VIEW))
    stored = store.get_lead("A")
    assert (stored["acknowledged_at"], stored["acknowledged_by"]) == ("2026-12-01T10:01:00.000Z", "alice")
    assert "ack_due_at" not in stored
    assert actions_of(store) == ["view"]  # the refused one wrote nothing
    with pytest.raises(LeadNotFound):
        store.acknowledge("Z", at="t", by="alice", audit=record(AuditAction.VIEW, "Z"))
    assert store.audit_of_lead("Z") == []


def test_claim_one_holder_at_a_time_and_again_for_the_holder(store: Any) -> None:
    store.create_lead(lead("A", ack_due_at="2026-12-01T10:10:00.000Z"), [], now_epoch=NOW)
    assert store.claim_lead("A", by="alice", at="2026-12-01T10:01:00.000Z", audit=record(AuditAction.CLAIM)) == "alice"
    bob = AuditRecord(at="2026-12-01T10:02:00.000Z", actor="bob", role="intake", action=AuditAction.CLAIM, lead_id="A")
    assert store.claim_lead("A", by="bob", at="2026-12-01T10:02:00.000Z", audit=bob) == "alice"
    assert store.claim_lead("A", by="alice", at="2026-12-01T10:03:00.000Z", audit=record(AuditAction.CLAIM)) == "alice"
    stored = store.get_lead("A")
    assert stored["assigned_to"] == "alice"
    # The claim acknowledged it (first claim's time); nothing else moves it.
    assert (stored["acknowledged_at"], stored["acknowledged_by"]) == ("2026-12-01T10:01:00.000Z", "alice")
    assert "ack_due_at" not in stored
    assert [(r["action"], r["actor"]) for r in store.audit_of_lead("A")] == [("claim", "alice"), ("claim", "alice")]
    with pytest.raises(LeadNotFound):
        store.claim_lead("Z", by="alice", at="t", audit=record(AuditAction.CLAIM, "Z"))


def test_claim_keeps_an_earlier_acknowledgement(store: Any) -> None:
    store.create_lead(lead("A"), [], now_epoch=NOW)
    store.acknowledge("A", at="2026-12-01T10:01:00.000Z", by="bob", audit=record(AuditAction.VIEW))
    store.claim_lead("A", by="alice", at="2026-12-01T10:05:00.000Z", audit=record(AuditAction.CLAIM))
    stored = store.get_lead("A")
    assert (stored["assigned_to"], stored["acknowledged_by"]) == ("alice", "bob")
    assert stored["acknowledged_at"] == "2026-12-01T10:01:00.000Z"


def test_set_status_records_first_contact_once_with_its_audit_record(store: Any) -> None:
    store.create_lead(lead("A"), [], now_epoch=NOW)
    audit = record(AuditAction.STATUS, detail="new->contacted")
    moved = store.set_status(
        "A", Status.CONTACTED, expected=Status.NEW, updated_at="t1", expires_at=None, contacted_at="t1", audit=audit
    )
    assert moved["status"] == Status.CONTACTED and moved["first_contacted_at"] == "t1"
    store.set_status("A", Status.SCHEDULED, expected=Status.CONTACTED, updated_at="t2", expires_at=None)
    store.set_status(
        "A", Status.CONTACTED, expected=Status.SCHEDULED, updated_at="t3", expires_at=None, contacted_at="t3"
    )
    assert store.get_lead("A")["first_contacted_at"] == "t1"
    with pytest.raises(StatusConflict):
        store.set_status(
            "A", Status.CLOSED, expected=Status.NEW, updated_at="t4", expires_at=NOW, audit=record(AuditAction.STATUS)
        )
    assert [r["detail"] for r in store.audit_of_lead("A")] == ["new->contacted"]


def test_notes_oldest_first_each_with_its_audit_record(store: Any) -> None:
    store.create_lead(lead("A"), [], now_epoch=NOW)
    second = {"note_id": "N2", "author": "bob", "at": "2026-12-01T10:05:00.000Z", "text": "Left a voicemail."}
    first = {"note_id": "N1", "author": "alice", "at": "2026-12-01T10:01:00.000Z", "text": "Line two\nof two."}
    store.add_note("A", second, audit=record(AuditAction.NOTE, detail="N2"))
    store.add_note("A", first, audit=record(AuditAction.NOTE, detail="N1"))
    assert store.lead_notes("A") == [first, second]
    assert store.get_lead("A")["status"] == "new"
    assert actions_of(store) == ["note", "note"]
    with pytest.raises(LeadNotFound):
        store.add_note("Z", first, audit=record(AuditAction.NOTE, "Z"))
    assert store.audit_of_lead("Z") == [] and store.lead_notes("Z") == []


def test_a_lead_holds_at_most_max_notes(store: Any) -> None:
    store.create_lead(lead("A"), [], now_epoch=NOW)
    for i in range(MAX_NOTES):
        note = {"note_id": f"N{i:03}", "author": "alice", "at": f"2026-12-01T10:00:00.{i:03}Z", "text": "x"}
        store.add_note("A", note, audit=record(AuditAction.NOTE))
    with pytest.raises(NotesFull):
        store.add_note("A", {**note, "note_id": "N999"}, audit=record(AuditAction.NOTE))
    assert len(store.lead_notes("A")) == MAX_NOTES
    assert len(store.audit_of_lead("A")) == MAX_NOTES
    # and the lead, its notes and its audit record still go in one erase
    store.erase("A", audit=record(AuditAction.ERASE))
    assert store.lead_notes("A") == []
    assert len(store.audit_of_lead("A")) == MAX_NOTES + 1


def test_restore_spam_with_its_audit_record(store: Any) -> None:
    store.create_lead(lead("A", status=Status.SPAM.value, expires_at=NOW + 86400), [], now_epoch=NOW)
    audit = record(AuditAction.RESTORE, detail="spam->new")
    assert store.restore_spam("A", now="t", notice_due_at="2026-12-01T10:00:00.000Z", audit=audit)
    assert not store.restore_spam("A", now="t", notice_due_at="t", audit=record(AuditAction.RESTORE))
    assert store.get_lead("A")["status"] == "new"
    assert actions_of(store) == ["restore"]
    assert list(store.leads_due("2026-12-01T11:00:00.000Z")) == ["A"]


def test_erase_takes_the_notes_and_keeps_the_audit_records(store: Any) -> None:
    store.create_lead(lead("A"), [guard(GuardKind.IDEMPOTENCY, "k", "A")], now_epoch=NOW)
    store.create_lead(lead("B"), [], now_epoch=NOW)
    note = {"note_id": "N1", "author": "alice", "at": "2026-12-01T10:01:00.000Z", "text": "Called back."}
    store.add_note("A", note, audit=record(AuditAction.NOTE))
    store.add_note("B", {**note, "note_id": "N2"}, audit=record(AuditAction.NOTE, "B"))
    store.erase("A", audit=record(AuditAction.ERASE, at="2026-12-01T10:02:00.000Z"))
    with pytest.raises(LeadNotFound):
        store.get_lead("A")
    assert store.lead_notes("A") == []
    assert store.find_guard(GuardKind.IDEMPOTENCY, "k") is None
    assert actions_of(store) == ["note", "erase"]
    assert [n["note_id"] for n in store.lead_notes("B")] == ["N2"]
    with pytest.raises(LeadNotFound):
        store.erase("A", audit=record(AuditAction.ERASE))
    assert actions_of(store) == ["note", "erase"]


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


def test_whether_a_days_spam_digest_was_taken_is_one_read(store: Any) -> None:
    assert store.spam_digest_taken("2026-12-01") is False
    assert store.claim_spam_digest("2026-12-01", now=DUE, expires_at=NOW + 86400)
    assert store.spam_digest_taken("2026-12-01") is True and store.spam_digest_taken("2026-12-02") is False
    store.release_spam_digest("2026-12-01")
    assert store.spam_digest_taken("2026-12-01") is False


# -- who worked a lead, by the name colleagues know them by ------------------------


def by(actor: str, action: AuditAction, lead_id: str = "A") -> AuditRecord:
    return AuditRecord(at="2026-12-01T10:00:00.000Z", actor=actor, role="intake", action=action, lead_id=lead_id)


def test_each_staff_write_keeps_the_name_of_who_did_it_with_the_lead(store: Any) -> None:
    # GIVEN a new lead and a spam lead
    store.create_lead(lead("A"), [], now_epoch=NOW)
    store.create_lead(lead("S", status=Status.SPAM.value, expires_at=NOW + 86400), [], now_epoch=NOW)
    # WHEN five colleagues open, claim, note, move and restore them, each with their name
    assert store.acknowledge("A", at="t1", by="u-ana", name="Ana Diaz", audit=by("u-ana", AuditAction.VIEW))
    assert store.claim_lead("A", by="u-bo", at="t2", name="Bo Chen", audit=by("u-bo", AuditAction.CLAIM)) == "u-bo"
    note = {"note_id": "N1", "author": "u-cy", "at": "t3", "text": "Called back."}
    store.add_note("A", note, name="cy@clinic.example", audit=by("u-cy", AuditAction.NOTE))
    store.set_status(
        "A", Status.CONTACTED, expected=Status.NEW, updated_at="t4", expires_at=None,
        audit=by("u-di", AuditAction.STATUS), name="Di Park",
    )  # fmt: skip
    store.restore_spam("S", now="t5", notice_due_at="t5", audit=by("u-ed", AuditAction.RESTORE, "S"), name="Ed Roe")
    # THEN each lead names everyone who worked it, by username, as read and as listed
    named = {"u-ana": "Ana Diaz", "u-bo": "Bo Chen", "u-cy": "cy@clinic.example", "u-di": "Di Park"}
    assert store.get_lead("A")["staff_names"] == named
    [listed] = store.leads_by_status(Status.CONTACTED, limit=5)[0]
    assert listed["staff_names"] == named
    assert store.get_lead("S")["staff_names"] == {"u-ed": "Ed Roe"}
    # AND the note itself is kept as it was given
    assert store.lead_notes("A") == [note]


def test_a_refused_claim_or_acknowledgement_keeps_no_name(store: Any) -> None:
    store.create_lead(lead("A"), [], now_epoch=NOW)
    store.claim_lead("A", by="u-bo", at="t1", name="Bo Chen", audit=by("u-bo", AuditAction.CLAIM))
    assert store.claim_lead("A", by="u-ana", at="t2", name="Ana Diaz", audit=by("u-ana", AuditAction.CLAIM)) == "u-bo"
    assert not store.acknowledge("A", at="t3", by="u-ana", name="Ana Diaz", audit=by("u-ana", AuditAction.VIEW))
    assert store.get_lead("A")["staff_names"] == {"u-bo": "Bo Chen"}


def test_a_viewers_name_is_kept_with_the_view_record_and_a_new_name_replaces_the_old(store: Any) -> None:
    store.create_lead(lead("A"), [], now_epoch=NOW)
    store.remember_staff_name("A", by="u-ana", name="Ana Diaz", audit=by("u-ana", AuditAction.VIEW))
    store.remember_staff_name("A", by="u-ana", name="Ana Diaz-Ruiz", audit=by("u-ana", AuditAction.VIEW))
    assert store.get_lead("A")["staff_names"] == {"u-ana": "Ana Diaz-Ruiz"}
    assert actions_of(store) == ["view", "view"]
    with pytest.raises(LeadNotFound):
        store.remember_staff_name("Z", by="u-ana", name="Ana Diaz", audit=by("u-ana", AuditAction.VIEW, "Z"))
    assert store.audit_of_lead("Z") == []


def test_writes_without_a_name_keep_none_and_the_names_go_with_an_erased_lead(store: Any) -> None:
    store.create_lead(lead("A"), [], now_epoch=NOW)
    store.claim_lead("A", by="arn:aws:iam::1:user/cli", at="t1", audit=by("arn:aws:iam::1:user/cli", AuditAction.CLAIM))
    assert "staff_names" not in store.get_lead("A")
    store.remember_staff_name("A", by="u-ana", name="Ana Diaz", audit=by("u-ana", AuditAction.VIEW))
    store.erase("A", audit=by("u-ad", AuditAction.ERASE))
    store.create_lead(lead("A"), [], now_epoch=NOW)  # the same id again: nothing of the old lead is left
    assert "staff_names" not in store.get_lead("A")
