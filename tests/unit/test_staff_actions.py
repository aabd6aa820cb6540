"""The staff actions on the in-memory store: what staff see, what the lead keeps, what the audit trail says."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.errors import LeadNotFound, StorageUnavailable
from chalicelib.memory import MemoryLeadStore
from chalicelib.ports import MAX_NOTES
from chalicelib.service import Deps, RequestMeta, submit_lead
from chalicelib.settings import Settings
from chalicelib.staff import actions
from chalicelib.staff.actions import SUMMARY_FIELDS, Actor, BadCursor, HeldByOther, NoteInvalid, StaleStatus

START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
ALICE = Actor("alice", "intake", "198.51.100.7")
BOB = Actor("bob", "clinician", "198.51.100.8")
ADMIN = Actor("dana", "admin", "198.51.100.9")
_people = itertools.count(1)


class Ticking:
    """A clock one second further on each time it is read (records and leads get distinct times)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class Publisher:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def publish(self, notice: Any) -> str:
        self.sent.append(notice)
        return f"m{len(self.sent)}"


@pytest.fixture
def deps() -> Deps:
    settings = Settings.from_env({"STAGE": "test", "LEADS_TABLE": "t", "STAFF_TOPIC_ARN": "arn:aws:sns:x"})
    settings = replace(settings, min_fill_seconds=0, rate_limit_window=1000, rate_limit_day=1000)
    publisher = Publisher()
    return Deps(store=MemoryLeadStore(), settings=settings, publisher_factory=lambda: publisher, clock=Ticking())


def store_of(deps: Deps) -> MemoryLeadStore:
    assert isinstance(deps.store, MemoryLeadStore)
    return deps.store


def make_lead(deps: Deps, **changes: Any) -> str:
    n = next(_people)
    body = {
        "first_name": f"Avery{n}",
        "last_name": "Quill",
        "email": f"avery{n}@example.org",
        "phone": "+1 415 555 0100",
        "preferred_contact": "email",
        "best_time": "morning",
        "service": "consultation",
        "message": f"Nightmares since the accident, number {n}.",
        "consent_to_contact": True,
        "privacy_notice_version": "2025-01",
        "started_at": (START - timedelta(minutes=2)).isoformat(),
        **changes,
    }
    return str(submit_lead(body, RequestMeta(source_ip="192.0.2.1"), deps).body["lead_id"])


def records(deps: Deps) -> list[dict[str, Any]]:
    return [r.as_dict() for r in store_of(deps).audit]


# -- list ---------------------------------------------------------------------


def test_list_shows_summaries_newest_first_urgent_new_first_and_spam_apart(deps: Deps) -> None:
    old = make_lead(deps)
    urgent = make_lead(deps, message="Some days I want to kill myself.")
    spam = make_lead(deps, website="http://spam.example")
    worked = make_lead(deps)
    actions.change_status(worked, "contacted", deps, ALICE)
    newest = make_lead(deps)

    page = actions.list_leads(deps, ALICE)
    assert [s["lead_id"] for s in page["leads"]] == [urgent, newest, worked, old]
    assert page["next"] is None
    assert all(tuple(s) == SUMMARY_FIELDS for s in page["leads"])
    first = page["leads"][0]
    assert first["priority"] == "urgent" and first["status"] == "new" and first["first_name"].startswith("Avery")
    assert first["assigned_to"] is None and first["notice_state"] == "pending"

    assert [s["lead_id"] for s in actions.list_leads(deps, ALICE, status="spam")["leads"]] == [spam]
    assert [s["lead_id"] for s in actions.list_leads(deps, ALICE, status="contacted")["leads"]] == [worked]


def test_list_filters_by_language_and_a_cursor_keeps_the_filter(deps: Deps) -> None:
    # GIVEN leads from the English form, the Spanish form, and one stored before leads had a language
    english = make_lead(deps)
    spanish = [make_lead(deps, language="es") for _ in range(3)]
    older = make_lead(deps)
    store_of(deps).leads[older].pop("language")

    # THEN a Spanish-speaking coordinator can list only the Spanish speakers', page by page
    first = actions.list_leads(deps, ALICE, language="es", limit=2)
    assert [s["language"] for s in first["leads"]] == ["es", "es"]
    rest = actions.list_leads(deps, ALICE, limit=2, cursor=first["next"])
    assert [s["lead_id"] for s in first["leads"] + rest["leads"]] == list(reversed(spanish))
    # AND a lead with no language is English
    assert [s["lead_id"] for s in actions.list_leads(deps, ALICE, language="en")["leads"]] == [older, english]
    with pytest.raises(ValueError, match="language"):
        actions.list_leads(deps, ALICE, language="fr")
    with pytest.raises(BadCursor):
        actions.list_leads(deps, ALICE, language="en", cursor=first["next"])


def test_list_filters_by_priority_and_mine_and_pages_through_every_lead_once(deps: Deps) -> None:
    made = [make_lead(deps) for _ in range(5)]
    urgent = make_lead(deps, message="Some days I want to kill myself.")
    actions.claim(made[1], deps, ALICE)
    actions.claim(made[3], deps, ALICE)
    actions.claim(made[4], deps, BOB)

    mine = actions.list_leads(deps, ALICE, assigned="me")
    assert [s["lead_id"] for s in mine["leads"]] == [made[3], made[1]]
    assert {s["assigned_to"] for s in mine["leads"]} == {"alice"}
    assert [s["lead_id"] for s in actions.list_leads(deps, BOB, assigned="me")["leads"]] == [made[4]]
    assert [s["lead_id"] for s in actions.list_leads(deps, ALICE, priority="urgent")["leads"]] == [urgent]
    assert urgent not in [s["lead_id"] for s in actions.list_leads(deps, ALICE, priority="normal")["leads"]]

    seen: list[str] = []
    page = actions.list_leads(deps, ALICE, limit=2)
    while True:
        seen += [s["lead_id"] for s in page["leads"]]
        if page["next"] is None:
            break
        page = actions.list_leads(deps, ALICE, limit=2, cursor=page["next"])
    assert seen == [urgent, *reversed(made)]

    # A cursor of "my" list keeps listing only mine.
    first = actions.list_leads(deps, ALICE, assigned="me", limit=1)
    rest = actions.list_leads(deps, ALICE, limit=1, cursor=first["next"])
    assert [s["lead_id"] for s in first["leads"] + rest["leads"]] == [made[3], made[1]]


@pytest.mark.parametrize(
    "filters",
    [{"status": "pending"}, {"priority": "high"}, {"assigned": "bob"}, {"limit": 0}, {"limit": 501}],
)
def test_list_refuses_a_filter_that_is_not_one(deps: Deps, filters: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        actions.list_leads(deps, ALICE, **filters)
    assert records(deps) == []


def test_list_refuses_a_cursor_it_did_not_make_or_made_for_other_filters(deps: Deps) -> None:
    for _ in range(3):
        make_lead(deps)
    with pytest.raises(BadCursor):
        actions.list_leads(deps, ALICE, cursor="not-a-cursor")
    token = actions.list_leads(deps, ALICE, status="new", limit=1)["next"]
    with pytest.raises(BadCursor):
        actions.list_leads(deps, ALICE, status="spam", cursor=token)
    with pytest.raises(BadCursor):
        actions.list_leads(deps, ALICE, assigned="me", cursor=token)
    assert [r["action"] for r in records(deps)] == ["list"]


def test_list_is_audited_as_one_record_with_its_row_count(deps: Deps) -> None:
    make_lead(deps)
    make_lead(deps)
    actions.list_leads(deps, ALICE)
    [record] = records(deps)
    assert record == {
        "at": record["at"],
        "actor": "alice",
        "role": "intake",
        "action": "list",
        "detail": "2 rows",
        "source_ip": "198.51.100.7",
    }


def list_records(deps: Deps) -> list[dict[str, Any]]:
    return [r for r in records(deps) if r["action"] == "list"]


def test_a_list_asked_for_again_unchanged_is_answered_unchanged_and_not_audited(deps: Deps) -> None:
    # GIVEN a list a staff member was shown (and its tag)
    make_lead(deps)
    shown = actions.list_leads(deps, ALICE)
    tag = actions.page_tag(shown)
    assert re.fullmatch("[0-9a-f]{32}", tag)  # a digest: nothing of a lead can be read from it
    # WHEN the same list is asked for again, with the tag of what they were shown
    with pytest.raises(actions.Unchanged) as same:
        actions.list_leads(deps, ALICE, seen=[tag])
    # THEN they are told it is unchanged, no lead is returned, and the trail holds only the first list
    assert same.value.tag == tag
    assert len(list_records(deps)) == 1
    # AND a tag of some other answer gets the list, audited
    assert actions.list_leads(deps, ALICE, seen=["0" * 32])["leads"] == shown["leads"]
    assert len(list_records(deps)) == 2


def test_each_change_a_list_shows_is_answered_in_full_and_audited(deps: Deps) -> None:
    lead_id = make_lead(deps)
    tag = actions.page_tag(actions.list_leads(deps, ALICE))
    changes = [
        ("a new lead", lambda: make_lead(deps)),
        ("a colleague claims one", lambda: actions.claim(lead_id, deps, BOB)),
        ("its status moves on", lambda: actions.change_status(lead_id, "contacted", deps, BOB)),
    ]
    for what, change in changes:
        change()
        before = len(list_records(deps))
        page = actions.list_leads(deps, ALICE, seen=[tag])
        assert actions.page_tag(page) != tag, what
        assert len(list_records(deps)) == before + 1, what
        tag = actions.page_tag(page)
    assert [s["assigned_to"] for s in page["leads"] if s["lead_id"] == lead_id] == ["bob"]


# -- view -----------------------------------------------------------------------


def test_view_returns_the_whole_lead_its_notes_and_history_and_the_first_viewer_acknowledges(deps: Deps) -> None:
    lead_id = make_lead(deps)
    store_of(deps).leads[lead_id]["ack_due_at"] = "2026-12-01T15:30:00.000Z"
    note = actions.add_note(lead_id, "Left a voicemail.", deps, BOB)

    seen = actions.view_lead(lead_id, deps, ALICE)
    assert seen["email"].endswith("@example.org") and seen["consent"]["contact"] is True
    assert "fingerprint" not in seen and "ack_due_at" not in seen
    assert seen["acknowledged_by"] == "alice" and seen["acknowledged_at"]
    assert seen["notes"] == [note]
    assert [(h["action"], h["actor"], h["detail"]) for h in seen["history"]] == [
        ("note", "bob", note["note_id"]),
        ("view", "alice", "acknowledged"),
    ]

    again = actions.view_lead(lead_id, deps, BOB)
    assert (again["acknowledged_by"], again["acknowledged_at"]) == ("alice", seen["acknowledged_at"])
    assert [h["actor"] for h in again["history"]] == ["bob", "alice", "bob"]
    assert "ack_due_at" not in store_of(deps).leads[lead_id]


def test_a_view_whose_audit_record_cannot_be_written_returns_nothing(deps: Deps, monkeypatch: Any) -> None:
    lead_id = make_lead(deps)
    actions.claim(lead_id, deps, BOB)  # acknowledged: a view writes its record on its own

    def unavailable(*args: Any, **kwargs: Any) -> None:
        raise StorageUnavailable("ProvisionedThroughputExceededException")

    monkeypatch.setattr(store_of(deps), "record_audit", unavailable)
    with pytest.raises(StorageUnavailable):
        actions.view_lead(lead_id, deps, ALICE)
    other = make_lead(deps)
    monkeypatch.setattr(store_of(deps), "acknowledge", unavailable)
    with pytest.raises(StorageUnavailable):
        actions.view_lead(other, deps, ALICE)
    assert "acknowledged_at" not in store_of(deps).leads[other]


def test_view_of_no_lead_is_not_found(deps: Deps) -> None:
    with pytest.raises(LeadNotFound):
        actions.view_lead("01KJQH0CC0B5Q7XYGXT8BX8AMM", deps, ALICE)


# -- claim ------------------------------------------------------------------------


def test_two_staff_claim_one_lead_at_once_one_wins_and_the_other_is_told_who(deps: Deps) -> None:
    lead_id = make_lead(deps)
    both = threading.Barrier(2, timeout=10)
    outcomes: dict[str, Any] = {}

    def claim_as(actor: Actor) -> None:
        both.wait()
        try:
            outcomes[actor.username] = actions.claim(lead_id, deps, actor)["assigned_to"]
        except HeldByOther as exc:
            outcomes[actor.username] = exc

    threads = [threading.Thread(target=claim_as, args=(a,)) for a in (ALICE, BOB)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    [winner] = [name for name, got in outcomes.items() if got == name]
    [refused] = [got for got in outcomes.values() if isinstance(got, HeldByOther)]
    assert refused.holder == winner
    lead = store_of(deps).get_lead(lead_id)
    assert lead["assigned_to"] == winner and lead["acknowledged_by"] == winner
    # AND both attempts are in the trail: the refused one too, since its answer named the holder
    [loser] = [name for name in outcomes if name != winner]
    assert sorted((r["action"], r["actor"], r["detail"]) for r in records(deps)) == sorted(
        [("claim", winner, ""), ("claim", loser, "refused")]
    )


def test_claiming_again_is_fine_for_the_holder(deps: Deps) -> None:
    lead_id = make_lead(deps)
    first = actions.claim(lead_id, deps, ALICE)
    again = actions.claim(lead_id, deps, ALICE)
    assert first["assigned_to"] == again["assigned_to"] == "alice"
    assert first["acknowledged_at"] == again["acknowledged_at"]
    with pytest.raises(HeldByOther) as held:
        actions.claim(lead_id, deps, BOB)
    assert held.value.holder == "alice"


# -- who worked a lead, by name --------------------------------------------------------

MARIA = Actor("3f2a9c1b-7d4e-4f0a-9b1c-2e5d6a7b8c9d", "intake", "198.51.100.10", "Maria Lopez")
TEO = Actor("9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", "clinician", "198.51.100.11", "teo@clinic.example")
CLI = Actor("arn:aws:iam::123456789012:user/dana", "cli", "")


def test_the_list_and_a_refused_claim_name_who_holds_the_lead(deps: Deps) -> None:
    # GIVEN a lead Maria claimed, one claimed from the CLI (no name) and one nobody holds
    hers, cli, free = make_lead(deps), make_lead(deps), make_lead(deps)
    actions.claim(hers, deps, MARIA)
    actions.claim(cli, deps, CLI)
    # WHEN Teo lists them
    rows = {row["lead_id"]: row for row in actions.list_leads(deps, TEO)["leads"]}
    # THEN her lead is listed with her name, the others with none
    assert (rows[hers]["assigned_to"], rows[hers]["assigned_to_name"]) == (MARIA.username, "Maria Lopez")
    assert (rows[cli]["assigned_to"], rows[cli]["assigned_to_name"]) == (CLI.username, None)
    assert (rows[free]["assigned_to"], rows[free]["assigned_to_name"]) == (None, None)
    # AND his claim of her lead is refused naming her
    with pytest.raises(HeldByOther) as held:
        actions.claim(hers, deps, TEO)
    assert (held.value.holder, held.value.holder_name) == (MARIA.username, "Maria Lopez")
    with pytest.raises(HeldByOther) as unnamed:
        actions.claim(cli, deps, TEO)
    assert (unnamed.value.holder, unnamed.value.holder_name) == (CLI.username, "")


def test_a_lead_names_everyone_who_opened_noted_moved_or_restored_it(deps: Deps) -> None:
    lead_id, spam = make_lead(deps), make_lead(deps, website="http://spam.example")
    actions.view_lead(lead_id, deps, MARIA)  # the first to open it
    actions.add_note(lead_id, "Left a voicemail.", deps, TEO)
    actions.change_status(lead_id, "contacted", deps, MARIA)
    actions.restore(spam, deps, TEO)
    seen = actions.view_lead(lead_id, deps, ALICE)
    assert seen["acknowledged_by"] == MARIA.username
    assert seen["staff_names"] == {MARIA.username: "Maria Lopez", TEO.username: "teo@clinic.example"}
    assert actions.view_lead(spam, deps, MARIA)["staff_names"] == {
        TEO.username: "teo@clinic.example",
        MARIA.username: "Maria Lopez",
    }


def test_a_viewer_is_named_on_a_lead_once_and_every_view_is_still_audited(deps: Deps, monkeypatch: Any) -> None:
    lead_id = make_lead(deps)
    actions.claim(lead_id, deps, MARIA)
    store = store_of(deps)
    named: list[str] = []
    remember = store.remember_staff_name

    def counted(lead_id: str, **kwargs: Any) -> None:
        named.append(kwargs["by"])
        remember(lead_id, **kwargs)

    monkeypatch.setattr(store, "remember_staff_name", counted)
    # WHEN Teo opens the lead three times, and Maria (named on it already) once
    for actor in (TEO, TEO, TEO, MARIA):
        seen = actions.view_lead(lead_id, deps, actor)
    # THEN the lead names him, written with his first view only, and each view has its record
    assert seen["staff_names"][TEO.username] == "teo@clinic.example"
    assert named == [TEO.username]
    assert [r["actor"] for r in records(deps)] == [MARIA.username, TEO.username, TEO.username, TEO.username,
                                                   MARIA.username]  # fmt: skip
    # AND a new name in his token replaces the old one
    actions.view_lead(lead_id, deps, replace(TEO, name="Teo Ruiz"))
    assert store.get_lead(lead_id)["staff_names"][TEO.username] == "Teo Ruiz"


# -- status ---------------------------------------------------------------------------


def test_a_stale_status_changes_nothing_and_says_what_it_is_now(deps: Deps) -> None:
    lead_id = make_lead(deps)
    actions.change_status(lead_id, "scheduled", deps, BOB, expected="new")
    with pytest.raises(StaleStatus) as stale:
        actions.change_status(lead_id, "declined", deps, ALICE, expected="new")
    assert stale.value.current == "scheduled" and stale.value.expected == "new"
    assert store_of(deps).get_lead(lead_id)["status"] == "scheduled"
    # AND the refused attempt is in the trail, since its answer said the lead's status now
    assert [(r["actor"], r["detail"]) for r in records(deps)] == [
        ("bob", "new->scheduled"),
        ("alice", "refused new->declined"),
    ]


def test_the_first_move_to_contacted_starts_the_clock_once(deps: Deps) -> None:
    lead_id = make_lead(deps)
    change = actions.change_status(lead_id, "contacted", deps, ALICE)
    assert (change.previous, change.status) == ("new", "contacted")
    first = store_of(deps).get_lead(lead_id)["first_contacted_at"]
    actions.change_status(lead_id, "scheduled", deps, ALICE)
    actions.change_status(lead_id, "contacted", deps, ALICE)
    assert store_of(deps).get_lead(lead_id)["first_contacted_at"] == first
    assert [r["detail"] for r in records(deps)] == ["new->contacted", "contacted->scheduled", "scheduled->contacted"]


@pytest.mark.parametrize("status", ["new", "spam", "done"])
def test_only_work_statuses_can_be_set(deps: Deps, status: str) -> None:
    lead_id = make_lead(deps)
    with pytest.raises(ValueError):
        actions.change_status(lead_id, status, deps, ALICE)
    assert records(deps) == []


# -- notes ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t ", "x" * 2001, None])
def test_a_note_must_have_text_and_at_most_2000_characters(deps: Deps, text: Any) -> None:
    lead_id = make_lead(deps)
    with pytest.raises(NoteInvalid):
        actions.add_note(lead_id, text, deps, ALICE)
    assert store_of(deps).lead_notes(lead_id) == [] and records(deps) == []


def test_a_note_is_kept_as_written_by_whom_and_when(deps: Deps) -> None:
    lead_id = make_lead(deps)
    note = actions.add_note(lead_id, "  Call after 5pm.\nSpanish preferred.  ", deps, ALICE)
    assert set(note) == {"note_id", "author", "at", "text"}
    assert (note["author"], note["text"]) == ("alice", "Call after 5pm.\nSpanish preferred.")
    longest = actions.add_note(lead_id, "y" * 2000, deps, BOB)
    assert store_of(deps).lead_notes(lead_id) == [note, longest]
    with pytest.raises(LeadNotFound):
        actions.add_note("01KJQH0CC0B5Q7XYGXT8BX8AMM", "Hello", deps, ALICE)


def test_a_lead_full_of_notes_refuses_one_more_as_an_invalid_note(deps: Deps) -> None:
    lead_id = make_lead(deps)
    for i in range(MAX_NOTES):
        actions.add_note(lead_id, f"try {i}", deps, ALICE)
    with pytest.raises(NoteInvalid):
        actions.add_note(lead_id, "one more", deps, ALICE)


# -- restore and erase --------------------------------------------------------------------


def test_restore_sends_one_notice_and_a_second_restore_is_stale(deps: Deps) -> None:
    lead_id = make_lead(deps, website="http://spam.example")
    assert actions.restore(lead_id, deps, ALICE) == "sent"
    with pytest.raises(StaleStatus) as stale:
        actions.restore(lead_id, deps, ALICE)
    assert stale.value.current == "new"
    assert [(r["action"], r["detail"]) for r in records(deps)] == [("restore", "spam->new")]


def test_erase_removes_the_lead_and_its_notes_and_keeps_its_audit_records(deps: Deps) -> None:
    lead_id = make_lead(deps)
    other = make_lead(deps)
    actions.add_note(lead_id, "Wants a call on Friday.", deps, ALICE)
    actions.add_note(other, "Unrelated.", deps, ALICE)
    actions.view_lead(lead_id, deps, ALICE)
    actions.erase(lead_id, deps, ADMIN)

    with pytest.raises(LeadNotFound):
        actions.view_lead(lead_id, deps, ALICE)
    assert store_of(deps).lead_notes(lead_id) == []
    assert len(store_of(deps).lead_notes(other)) == 1
    kept = store_of(deps).audit_of_lead(lead_id)
    assert [(r["action"], r["actor"]) for r in kept] == [("note", "alice"), ("view", "alice"), ("erase", "dana")]
    with pytest.raises(LeadNotFound):
        actions.erase(lead_id, deps, ADMIN)


# -- export, stats, audit trail ----------------------------------------------------------------


def test_export_is_csv_without_spam_and_audited_with_its_row_count(deps: Deps) -> None:
    make_lead(deps, first_name="=HYPERLINK(1)")
    make_lead(deps)
    make_lead(deps, website="http://spam.example")
    text = actions.export_csv(deps, ALICE, "2026-12-01", "2026-12-01")
    rows = text.lstrip("\ufeff").strip().splitlines()
    assert len(rows) == 3 and rows[0].startswith("lead_id,")
    assert "'=HYPERLINK(1)" in text
    assert actions.export_csv(deps, ALICE, "2026-12-02", None).count("\n") == 1
    assert [(r["action"], r["detail"]) for r in records(deps)] == [("export", "2 rows"), ("export", "0 rows")]
    with pytest.raises(ValueError):
        actions.export_csv(deps, ALICE, "2026-12-02", "2026-12-01")
    with pytest.raises(ValueError):
        actions.export_csv(deps, ALICE, "last week", None)


def test_an_export_with_no_first_day_covers_the_90_days_up_to_its_last(deps: Deps) -> None:
    # The clock reads 2026-12-01: 90 days are 2026-09-03 to 2026-12-01, both whole.
    assert actions.default_since(deps, None) == "2026-09-03"
    assert actions.default_since(deps, "2026-06-30") == "2026-04-02"
    assert actions.default_since(deps, "2026-06-30T23:30:00-05:00") == "2026-04-03"  # July 1st in UTC
    assert actions.default_since(deps, None, days=1) == "2026-12-01"
    assert actions.default_since(deps, "0001-02-01") == "0001-01-01"  # no earlier day to start from
    assert actions.default_since(deps, "0001-03-31") == "0001-01-01"
    assert actions.default_since(deps, "0001-04-01") == "0001-01-02"


def test_stats_count_the_range_and_are_not_an_audited_read(deps: Deps) -> None:
    make_lead(deps)
    make_lead(deps, website="http://spam.example")
    stats = actions.lead_stats(deps, ALICE, "2026-12-01", None)
    assert stats["total"] == 2 and stats["totals"]["spam"] == 1 and stats["since"].startswith("2026-12-01")
    assert records(deps) == []


def test_the_audit_trail_of_a_day_oldest_first(deps: Deps) -> None:
    lead_id = make_lead(deps)
    actions.list_leads(deps, ALICE)
    actions.view_lead(lead_id, deps, BOB)
    day = actions.audit_day("2026-12-01", deps, ADMIN)
    assert day["next"] is None
    assert [(r["action"], r["actor"], r.get("lead_id")) for r in day["records"]] == [
        ("list", "alice", None),
        ("view", "bob", lead_id),
    ]
    assert day["records"][0]["at"] < day["records"][1]["at"]
    assert actions.audit_day("2026-12-02", deps, ADMIN) == {"records": [], "next": None}
    for bad in ("2026-13-01", "yesterday", "2026-12-1", ""):
        with pytest.raises(ValueError):
            actions.audit_day(bad, deps, ADMIN)


def test_the_audit_trail_of_a_day_comes_a_page_at_a_time_and_the_pages_hold_it_all(deps: Deps) -> None:
    # GIVEN a day of five records
    lead_id = make_lead(deps)
    for _ in range(4):
        actions.list_leads(deps, ALICE)
    actions.view_lead(lead_id, deps, BOB)
    # WHEN an admin reads it two records a page, each page's `next` asking for the following one
    pages = [actions.audit_day("2026-12-01", deps, ADMIN, limit=2)]
    while pages[-1]["next"] is not None:
        pages.append(actions.audit_day("2026-12-01", deps, ADMIN, cursor=pages[-1]["next"], limit=2))
    # THEN they get 2, 2 and 1 records, oldest first, the whole day once
    assert [len(p["records"]) for p in pages] == [2, 2, 1]
    assert [r for p in pages for r in p["records"]] == sorted(records(deps), key=lambda r: r["at"])
    # AND the CLI's walk through every page gives the same
    assert list(actions.audit_trail("2026-12-01", deps, ADMIN, page=2)) == [r for p in pages for r in p["records"]]


def test_a_days_audit_page_holds_200_records_unless_asked_and_at_most_1000(deps: Deps) -> None:
    for _ in range(201):
        actions.list_leads(deps, ALICE)
    first = actions.audit_day("2026-12-01", deps, ADMIN)
    assert len(first["records"]) == 200 and first["next"] is not None
    rest = actions.audit_day("2026-12-01", deps, ADMIN, cursor=first["next"], limit=1000)
    assert len(rest["records"]) == 1 and rest["next"] is None
    for bad in (0, 1001):
        with pytest.raises(ValueError):
            actions.audit_day("2026-12-01", deps, ADMIN, limit=bad)


def test_a_days_audit_cursor_continues_only_that_day(deps: Deps) -> None:
    for _ in range(3):
        actions.list_leads(deps, ALICE)
    token = actions.audit_day("2026-12-01", deps, ADMIN, limit=1)["next"]
    assert token is not None
    for day, cursor in (("2026-12-02", token), ("2026-12-01", "not-a-cursor"), ("2026-12-01", token[:-3])):
        with pytest.raises(BadCursor):
            actions.audit_day(day, deps, ADMIN, cursor=cursor)


# -- every read or change of a lead: exactly one record, and never PHI ---------------------------

LeadAction = Callable[[str, Deps, Actor], Any]
LEAD_ACTIONS: dict[str, tuple[LeadAction, dict[str, Any]]] = {
    "view": (actions.view_lead, {}),
    "claim": (actions.claim, {}),
    "status": (lambda i, d, a: actions.change_status(i, "contacted", d, a), {}),
    "note": (lambda i, d, a: actions.add_note(i, "Prefers text messages.", d, a), {}),
    "restore": (actions.restore, {"website": "http://spam.example"}),
    "erase": (actions.erase, {}),
}


@pytest.mark.parametrize("action", sorted(LEAD_ACTIONS))
def test_each_action_on_a_lead_writes_exactly_one_audit_record_naming_who_what_and_which(
    deps: Deps, action: str
) -> None:
    run, changes = LEAD_ACTIONS[action]
    lead_id = make_lead(deps, **changes)
    run(lead_id, deps, BOB)
    [record] = records(deps)
    assert (record["actor"], record["role"], record["action"], record["lead_id"]) == (
        "bob",
        "clinician",
        action,
        lead_id,
    )
    assert record["source_ip"] == "198.51.100.8" and record["at"]
    assert set(record) == {"at", "actor", "role", "action", "lead_id", "detail", "source_ip"}


def test_no_audit_record_or_log_line_holds_the_persons_details_or_a_notes_text(
    deps: Deps, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = {
        "first_name": "Zebulon",
        "last_name": "Quartermaine",
        "email": "zq.unique@example.org",
        "phone": "+1 415 555 0199",
        "message": "Flashbacks from the convoy in Kandahar every single night.",
    }
    note_text = "Husband Thaddeus answers the landline."
    lead_id = make_lead(deps, **secrets)
    spam_id = make_lead(deps, first_name="Ignatius", website="http://spam.example")
    actions.list_leads(deps, ALICE)
    actions.list_leads(deps, ALICE, status="spam")
    actions.view_lead(lead_id, deps, ALICE)
    actions.claim(lead_id, deps, ALICE)
    with pytest.raises(HeldByOther) as held:
        actions.claim(lead_id, deps, BOB)
    actions.add_note(lead_id, note_text, deps, ALICE)
    actions.change_status(lead_id, "contacted", deps, ALICE)
    with pytest.raises(StaleStatus) as stale:
        actions.change_status(lead_id, "closed", deps, BOB, expected="new")
    actions.restore(spam_id, deps, ALICE)
    actions.export_csv(deps, ALICE, None, None)
    actions.lead_stats(deps, ALICE, None, None)
    actions.view_lead(lead_id, deps, BOB)
    actions.erase(lead_id, deps, ADMIN)
    trail = actions.audit_day("2026-12-01", deps, ADMIN)["records"]

    logs = capsys.readouterr().out
    captured = json.dumps(trail) + logs + str(held.value) + str(stale.value)
    assert len(trail) == 12  # the refused claim and status change too
    assert '"event":"lead_status"' in logs and '"event":"lead_erased"' in logs  # the log lines were captured
    for value in [*secrets.values(), "415 555 0199", "4155550199", "Kandahar", "Ignatius", note_text, "Thaddeus"]:
        assert value.lower() not in captured.lower(), value
