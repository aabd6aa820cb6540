"""The staff API's routes in process: Chalice's test client over staff/app.py, leads in the in-memory store.

Tokens are signed here with a key the test's verifier trusts, and leads live
in the in-memory store (held to the DynamoDB adapter's promises by
tests/contract): these tests are about the edge. The HTTP tests in tests/e2e
run the same routes with the emulator's real Cognito tokens and table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.memory import MemoryLeadStore
from tests.conftest import VALID
from tests.integration.staff_client import ISSUER, Answer, Signer, Staff, load_staff_app, staff_client
from tests.reliability.support import Clock, submit

# Everything a visitor typed about themselves: none of it may reach an audit record, a log line or an error.
PHI = (VALID["first_name"], VALID["last_name"], VALID["email"], "2025550143", "555-0143", "nightmares")
NOTE = "Left a voicemail; she prefers Tuesday mornings."
CRISIS = "I keep thinking I want to kill myself."
# `chalice local` lets every Cognito-guarded request through: the staff function's own check is what is tested.
pytestmark = pytest.mark.filterwarnings("ignore:CognitoUserPoolAuthorizer is not a supported:UserWarning")


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer()


class Published:
    """The staff topic: every notice published to it."""

    def __init__(self) -> None:
        self.notices: list[Any] = []

    def publish(self, notice: Any) -> str:
        self.notices.append(notice)
        return f"m-{len(self.notices)}"

    def about(self, lead_id: str) -> list[Any]:
        return [n for n in self.notices if n.lead_id == lead_id]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.fixture
def deps(clock: Clock, published: Published) -> Iterator[Any]:
    """The service's dependencies over the in-memory store, installed as the staff function's."""
    from chalicelib import runtime
    from chalicelib.service import Deps
    from chalicelib.settings import Settings

    settings = Settings.from_env(
        {
            "STAGE": "test",
            "LEADS_TABLE": "next-steps-test-leads",
            "STAFF_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:next-steps-test-staff",
            "ALLOWED_ORIGINS": "https://clinic.example",
            "THANK_YOU_URL": "https://clinic.example/thank-you",
        }
    )
    built = Deps(store=MemoryLeadStore(), settings=settings, publisher_factory=lambda: published, clock=clock)
    runtime.use(built)
    yield built
    runtime.reset()


@pytest.fixture
def staff(deps: Any, signer: Signer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Staff]:
    with staff_client(signer, monkeypatch) as client:
        yield client


def audit_records(deps: Any) -> list[dict[str, Any]]:
    """Every audit record the store holds."""
    return [record.as_dict() for record in deps.store.audit]


def assert_problem(answer: Answer, status: int) -> dict[str, Any]:
    assert answer.status == status, answer.raw
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = answer.body
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in answer.raw.decode()
    return body


ROUTES = [
    ("GET", "/staff/me"),
    ("GET", "/staff/leads"),
    ("GET", "/staff/leads/{id}"),
    ("POST", "/staff/leads/{id}/claim"),
    ("POST", "/staff/leads/{id}/status"),
    ("POST", "/staff/leads/{id}/notes"),
    ("POST", "/staff/leads/{id}/restore"),
    ("DELETE", "/staff/leads/{id}"),
    ("GET", "/staff/export"),
    ("GET", "/staff/stats"),
    ("GET", "/staff/audit?date=2026-03-02"),
]


# ---------------------------------------------------------------------------
# Who may
# ---------------------------------------------------------------------------


# The inbox page's own files and sign-in settings: public, holding no data (tests/integration/test_inbox_page.py).
PUBLIC = {
    ("GET", "/staff"),
    ("GET", "/staff/inbox.js"),
    ("GET", "/staff/inbox.css"),
    ("GET", "/staff/qr.js"),
    ("GET", "/staff/config"),
}


def test_the_token_test_covers_every_route_the_staff_app_declares() -> None:
    # Every route but the wrong-method answers (see "A method a path does not take" below).
    declared = {
        (method, path)
        for path, entries in load_staff_app().routes.items()
        for method, entry in entries.items()
        if entry.view_name != "wrong_method"
    }
    assert PUBLIC <= declared
    assert declared - PUBLIC == {(method, path.split("?")[0].replace("{id}", "{lead_id}")) for method, path in ROUTES}


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_wants_a_valid_token(
    staff: Staff, deps: Any, clock: Clock, signer: Signer, method: str, path: str
) -> None:
    lead_id = submit(deps, clock)
    path = path.replace("{id}", lead_id)
    other_pool = Signer().token("mallory", "admin")
    expired = signer.token("sam", "intake", exp=1_000_000_000)
    for who in (None, other_pool, expired, signer.token("sam", "intake", iss=ISSUER + "x")):
        answer = staff.call(method, path, who, body={"status": "contacted", "expected": "new", "text": NOTE})
        assert_problem(answer, 401)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    # Nothing was done or read: the lead is untouched and no audit record names anyone.
    assert deps.store.get_lead(lead_id)["status"] == "new"
    assert not deps.store.get_lead(lead_id).get("acknowledged_at")


@pytest.mark.parametrize(("method", "path"), [("DELETE", "/staff/leads/{id}"), ("GET", "/staff/audit?date=2026-03-02")])
@pytest.mark.parametrize("who", ["sam", "riley"])
def test_intake_and_clinicians_may_not_erase_or_read_the_audit_trail(
    staff: Staff, deps: Any, clock: Clock, method: str, path: str, who: str
) -> None:
    lead_id = submit(deps, clock)
    body = assert_problem(staff.call(method, path.replace("{id}", lead_id), who), 403)
    assert "may not" in body["detail"]
    assert deps.store.get_lead(lead_id)["lead_id"] == lead_id  # still there


# ---------------------------------------------------------------------------
# A method a path does not take: 405 problem JSON with `Allow`
# ---------------------------------------------------------------------------

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def taken() -> dict[str, set[str]]:
    """Each staff path and the methods it takes."""
    paths: dict[str, set[str]] = {}
    for method, path in [*ROUTES, *PUBLIC]:
        paths.setdefault(path.split("?")[0], set()).add(method)
    return paths


WRONG = sorted((method, path) for path, methods in taken().items() for method in METHODS if method not in methods)


def test_the_wrong_methods_cover_every_staff_path() -> None:
    assert {("PUT", "/staff/leads"), ("POST", "/staff/me"), ("GET", "/staff/leads/{id}/claim")} <= set(WRONG)
    assert {("DELETE", "/staff/export"), ("POST", "/staff"), ("PATCH", "/staff/leads/{id}")} <= set(WRONG)
    assert ("HEAD", "/staff/leads") in WRONG
    assert {path for _, path in WRONG} == set(taken())


@pytest.mark.parametrize(("method", "path"), WRONG)
def test_a_method_a_staff_path_does_not_take_is_405_problem_json_with_allow(
    staff: Staff, deps: Any, clock: Clock, method: str, path: str
) -> None:
    # GIVEN a lead, and a path that does not take this method
    lead_id = submit(deps, clock)
    allowed = taken()[path]
    # WHEN it is sent, with any body, by a caller with no token and by a signed-in member
    answers = [
        staff.call(method, path.replace("{id}", lead_id), who, raw=b"not json", headers={"Content-Type": "text/plain"})
        for who in (None, "ada")
    ]
    # THEN each is 405 problem JSON naming the methods the path takes, and the same for both
    for answer in answers:
        if method == "HEAD":  # the same answer, headers only (a HEAD answer has no body)
            assert (answer.status, answer.raw, answer.headers["Content-Type"]) == (405, b"", "application/problem+json")
            assert set(answer.headers["Allow"].split(", ")) == allowed
            continue
        body = assert_problem(answer, 405)
        assert body["type"] == "about:blank" and body["title"] == "Method not allowed"
        assert set(answer.headers["Allow"].split(", ")) == allowed
        assert all(m in body["detail"] for m in allowed)
        assert "WWW-Authenticate" not in answer.headers
    assert answers[0].raw == answers[1].raw
    # AND nothing was read or done: no audit record, the lead untouched
    assert audit_records(deps) == []
    lead = deps.store.get_lead(lead_id)
    assert lead["status"] == "new" and not lead.get("acknowledged_at") and not lead.get("assigned_to")


def test_me_names_the_member_and_their_roles(staff: Staff) -> None:
    answer = staff.get("/staff/me", "ada")
    assert answer.status == 200
    assert answer.body == {
        "username": "ada",
        "email": "ada@clinic.example",
        "name": "ada@clinic.example",  # no name on the account: colleagues see the email
        "roles": ["admin", "intake"],
    }
    assert answer.headers["Cache-Control"] == "no-store"


def test_me_gives_the_name_colleagues_see_the_member_by(staff: Staff, signer: Signer) -> None:
    # The inbox shows it in its header, so a member can tell which name their claims and notes carry.
    maria = signer.token(MARIA, "intake", name="  Maria   Lopez ", email="maria@clinic.example")
    answer = staff.get("/staff/me", maria)
    assert (answer.status, answer.body["name"], answer.body["email"]) == (200, "Maria Lopez", "maria@clinic.example")


# ---------------------------------------------------------------------------
# The happy path of each route
# ---------------------------------------------------------------------------


def test_the_list_shows_urgent_new_leads_first_then_pages_with_a_cursor(staff: Staff, deps: Any, clock: Clock) -> None:
    urgent = submit(deps, clock, 1, message=CRISIS)
    clock.advance(minutes=5)
    second = submit(deps, clock, 2)
    clock.advance(minutes=5)
    newest = submit(deps, clock, 3)
    spam = submit(deps, clock, 4, website="http://spam.example")

    first = staff.get("/staff/leads?limit=2")
    assert first.status == 200, first.raw
    assert first.headers["Cache-Control"] == "no-store"
    assert [lead["lead_id"] for lead in first.body["leads"]] == [urgent, newest]
    assert first.body["leads"][0]["priority"] == "urgent"
    assert set(first.body["leads"][0]) == {
        "lead_id",
        "created_at",
        "status",
        "priority",
        "first_name",
        "preferred_contact",
        "best_time",
        "language",
        "assigned_to",
        "assigned_to_name",
        "notice_state",
    }
    rest = staff.get(f"/staff/leads?limit=2&cursor={first.body['next']}")
    assert [lead["lead_id"] for lead in rest.body["leads"]] == [second]
    assert rest.body["next"] is None
    # Spam only when asked for.
    assert [lead["lead_id"] for lead in staff.get("/staff/leads?status=spam").body["leads"]] == [spam]
    assert [lead["lead_id"] for lead in staff.get("/staff/leads?priority=urgent").body["leads"]] == [urgent]


def test_the_list_filters_by_the_visitors_language(staff: Staff, deps: Any, clock: Clock) -> None:
    english, spanish = submit(deps, clock, 1), submit(deps, clock, 2, language="es")
    listed = staff.get("/staff/leads?language=es").body["leads"]
    assert [(lead["lead_id"], lead["language"]) for lead in listed] == [(spanish, "es")]
    assert [lead["lead_id"] for lead in staff.get("/staff/leads?language=en").body["leads"]] == [english]
    refused = staff.get("/staff/leads?language=fr")
    assert refused.status == 400 and refused.body["title"] == "Bad language"


def test_the_list_of_my_leads_holds_what_i_claimed(staff: Staff, deps: Any, clock: Clock) -> None:
    mine, _theirs = submit(deps, clock, 1), submit(deps, clock, 2)
    assert staff.post(f"/staff/leads/{mine}/claim").status == 200
    listed = staff.get("/staff/leads?assigned=me").body["leads"]
    assert [(lead["lead_id"], lead["assigned_to"]) for lead in listed] == [(mine, "sam")]
    assert staff.get("/staff/leads?assigned=me", "riley").body["leads"] == []


@pytest.mark.parametrize(
    "query",
    ["cursor=not-a-cursor", "status=pending", "priority=high", "assigned=riley", "limit=0", "limit=101", "limit=²",
     "limit=%D9%A3"],
)  # fmt: skip
def test_a_bad_list_query_is_400(staff: Staff, query: str) -> None:
    assert_problem(staff.get(f"/staff/leads?{query}"), 400)


def test_opening_a_lead_shows_all_of_it_and_acknowledges_it(staff: Staff, deps: Any, clock: Clock) -> None:
    lead_id = submit(deps, clock, message=VALID["message"])
    clock.advance(minutes=3)
    answer = staff.get(f"/staff/leads/{lead_id}")
    assert answer.status == 200, answer.raw
    lead = answer.body
    assert (lead["lead_id"], lead["first_name"], lead["email"], lead["message"]) == (
        lead_id,
        VALID["first_name"],
        VALID["email"],
        VALID["message"],
    )
    assert lead["acknowledged_by"] == "sam" and lead["acknowledged_at"]
    assert lead["notes"] == []
    assert [(h["action"], h["actor"]) for h in lead["history"]] == [("view", "sam")]
    assert "pk" not in lead and "fingerprint" not in lead
    # Opened again by someone else: still acknowledged by the first.
    again = staff.get(f"/staff/leads/{lead_id}", "riley").body
    assert again["acknowledged_by"] == "sam"
    assert [(h["action"], h["actor"]) for h in again["history"]] == [("view", "sam"), ("view", "riley")]


@pytest.mark.parametrize(
    "raw_id",
    ["01HZZZZZZZZZZZZZZZZZZZZZZZ", "avery.quill@example.org", "Avery%20Quill", "..%2F..%2Fetc", "x" * 300],
)
def test_an_unknown_or_malformed_lead_id_is_404_without_echoing_it(staff: Staff, raw_id: str) -> None:
    for method, suffix, who in (("GET", "", "sam"), ("POST", "/claim", "sam"), ("DELETE", "", "ada")):
        answer = staff.call(method, f"/staff/leads/{raw_id}{suffix}", who)
        body = assert_problem(answer, 404)
        assert body["title"] == "No such lead"
        assert "avery" not in answer.raw.decode().lower() and "quill" not in answer.raw.decode().lower()


def test_claiming_assigns_the_lead_and_a_second_claimant_is_told_who_holds_it(
    staff: Staff, deps: Any, clock: Clock
) -> None:
    lead_id = submit(deps, clock)
    won = staff.post(f"/staff/leads/{lead_id}/claim")
    assert won.status == 200, won.raw
    assert won.body["assigned_to"] == "sam" and won.body["acknowledged_by"] == "sam"
    assert staff.post(f"/staff/leads/{lead_id}/claim").status == 200  # mine already: no harm
    lost = assert_problem(staff.post(f"/staff/leads/{lead_id}/claim", who="riley"), 409)
    assert lost["assigned_to"] == "sam"
    assert deps.store.get_lead(lead_id)["assigned_to"] == "sam"


# A Cognito username is a UUID: the inbox cannot show it to a colleague.
MARIA = "3f2a9c1b-7d4e-4f0a-9b1c-2e5d6a7b8c9d"


def test_colleagues_see_who_claimed_noted_and_moved_a_lead_by_name_and_the_409_names_the_holder(
    staff: Staff, deps: Any, clock: Clock, signer: Signer
) -> None:
    # GIVEN Maria, whose token carries her name, and Riley, whose token carries only an email
    maria = signer.token(MARIA, "intake", name="Maria Lopez", email="maria@clinic.example")
    lead_id = submit(deps, clock)
    # WHEN Maria claims the lead, adds a note and marks it contacted
    assert staff.post(f"/staff/leads/{lead_id}/claim", who=maria).status == 200
    assert staff.post(f"/staff/leads/{lead_id}/notes", {"text": NOTE}, maria).status == 201
    assert staff.post(f"/staff/leads/{lead_id}/status", {"status": "contacted", "expected": "new"}, maria).status == 200
    # THEN Sam's list names her as the one who holds it
    [row] = staff.get("/staff/leads?status=contacted").body["leads"]
    assert (row["assigned_to"], row["assigned_to_name"]) == (MARIA, "Maria Lopez")
    # AND the lead, opened by Riley, names every one of her records: holder, first to open, note, history
    lead = staff.get(f"/staff/leads/{lead_id}", "riley").body
    names = lead["staff_names"]
    assert lead["assigned_to"] == lead["acknowledged_by"] == lead["notes"][0]["author"] == MARIA
    assert names[MARIA] == "Maria Lopez"
    assert [(h["action"], names.get(h["actor"])) for h in lead["history"]] == [
        ("claim", "Maria Lopez"),
        ("note", "Maria Lopez"),
        ("status", "Maria Lopez"),
        ("view", "riley@clinic.example"),  # no name in the token: the email stands in
    ]
    # AND Sam's own claim is refused with her name, in the problem and in its words
    lost = assert_problem(staff.post(f"/staff/leads/{lead_id}/claim"), 409)
    assert (lost["assigned_to"], lost["assigned_to_name"]) == (MARIA, "Maria Lopez")
    assert lost["detail"] == "Maria Lopez is already working this lead."
    # AND the audit trail still names each actor by username alone, Sam's refused claim included
    trail = staff.get("/staff/audit?date=2026-03-02", "ada").body["records"]
    assert {r["actor"] for r in trail if r.get("lead_id") == lead_id} == {MARIA, "riley", "sam"}
    assert [r["detail"] for r in trail if r["actor"] == "sam" and r.get("lead_id") == lead_id] == ["refused"]
    for text in (json.dumps(trail), json.dumps(audit_records(deps))):
        assert "Maria Lopez" not in text and "@clinic.example" not in text


def test_a_lead_claimed_before_staff_were_named_lists_its_holder_without_a_name(
    staff: Staff, deps: Any, clock: Clock
) -> None:
    # GIVEN a lead whose holder was recorded by username only (as every claim was before names)
    from chalicelib.ports import AuditAction, AuditRecord

    lead_id = submit(deps, clock)
    record = AuditRecord("2026-03-02T15:00:00.000Z", MARIA, "intake", AuditAction.CLAIM, lead_id)
    deps.store.claim_lead(lead_id, by=MARIA, at=record.at, audit=record)
    # WHEN a colleague lists it, opens it and tries to claim it
    [row] = staff.get("/staff/leads").body["leads"]
    lead = staff.get(f"/staff/leads/{lead_id}").body
    lost = assert_problem(staff.post(f"/staff/leads/{lead_id}/claim"), 409)
    # THEN the holder is there with no name (the inbox shows its short form) and the refusal still says so
    assert (row["assigned_to"], row["assigned_to_name"]) == (MARIA, None)
    assert MARIA not in lead.get("staff_names", {})
    assert (lost["assigned_to"], lost["assigned_to_name"]) == (MARIA, None)
    assert lost["detail"] == "Someone else is already working this lead."


def test_a_status_change_moves_the_lead_only_from_the_status_the_caller_saw(
    staff: Staff, deps: Any, clock: Clock
) -> None:
    lead_id = submit(deps, clock)
    moved = staff.post(f"/staff/leads/{lead_id}/status", {"status": "contacted", "expected": "new"})
    assert moved.status == 200, moved.raw
    assert moved.body == {"lead_id": lead_id, "previous": "new", "status": "contacted"}
    # Riley's page still shows it new.
    stale = assert_problem(
        staff.post(f"/staff/leads/{lead_id}/status", {"status": "closed", "expected": "new"}, "riley"), 409
    )
    assert stale["current"] == "contacted"
    assert deps.store.get_lead(lead_id)["status"] == "contacted"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "spam", "expected": "new"}, "status"),
        ({"status": "new", "expected": "contacted"}, "status"),
        ({"status": "Contacted!", "expected": "new"}, "status"),
        ({"expected": "new"}, "status"),
        ({"status": "contacted"}, "expected"),
        ({"status": "contacted", "expected": "whatever"}, "expected"),
    ],
)
def test_a_status_no_one_may_set_is_422(staff: Staff, deps: Any, clock: Clock, body: Any, field: str) -> None:
    lead_id = submit(deps, clock)
    problem = assert_problem(staff.post(f"/staff/leads/{lead_id}/status", body), 422)
    assert [e["field"] for e in problem["errors"]] == [field]
    assert deps.store.get_lead(lead_id)["status"] == "new"


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"contacted"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_400(staff: Staff, deps: Any, clock: Clock, raw: bytes) -> None:
    lead_id = submit(deps, clock)
    assert_problem(staff.post(f"/staff/leads/{lead_id}/status", raw=raw), 400)
    assert_problem(staff.post(f"/staff/leads/{lead_id}/notes", raw=raw), 400)


def test_a_note_is_201_and_shown_with_the_lead(staff: Staff, deps: Any, clock: Clock) -> None:
    lead_id = submit(deps, clock)
    answer = staff.post(f"/staff/leads/{lead_id}/notes", {"text": NOTE}, "riley")
    assert answer.status == 201, answer.raw
    note = answer.body
    assert (note["author"], note["text"]) == ("riley", NOTE) and note["note_id"] and note["at"]
    shown = staff.get(f"/staff/leads/{lead_id}").body
    assert shown["notes"] == [note]


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001, 42, None, ["a note"]])
def test_an_empty_too_long_or_missing_note_is_422(staff: Staff, deps: Any, clock: Clock, text: Any) -> None:
    lead_id = submit(deps, clock)
    answer = staff.post(f"/staff/leads/{lead_id}/notes", {"text": text} if text is not None else {})
    problem = assert_problem(answer, 422)
    assert [e["field"] for e in problem["errors"]] == ["text"]
    said = problem["errors"][0]["message"]
    assert "2000" in said if isinstance(text, str) and len(text) > 2000 else said
    assert deps.store.lead_notes(lead_id) == []


def test_a_lead_that_holds_all_the_notes_it_can_takes_no_more(
    staff: Staff, deps: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import memory

    monkeypatch.setattr(memory, "MAX_NOTES", 2)
    lead_id = submit(deps, clock)
    for n in range(2):
        assert staff.post(f"/staff/leads/{lead_id}/notes", {"text": f"{NOTE} ({n})"}).status == 201
    body = assert_problem(staff.post(f"/staff/leads/{lead_id}/notes", {"text": NOTE}), 422)
    assert body["errors"] == [{"field": "text", "message": "A lead holds at most 2 notes."}]
    assert len(deps.store.lead_notes(lead_id)) == 2


def test_a_note_for_no_lead_is_404(staff: Staff) -> None:
    assert_problem(staff.post("/staff/leads/01HZZZZZZZZZZZZZZZZZZZZZZZ/notes", {"text": NOTE}), 404)


def test_restoring_spam_makes_it_new_with_one_notice(
    staff: Staff, deps: Any, clock: Clock, published: Published
) -> None:
    lead_id = submit(deps, clock, website="http://spam.example")
    answer = staff.post(f"/staff/leads/{lead_id}/restore")
    assert answer.status == 200, answer.raw
    assert answer.body == {"lead_id": lead_id, "status": "new", "notice": "sent"}
    assert deps.store.get_lead(lead_id)["status"] == "new"
    assert len(published.about(lead_id)) == 1
    # Restoring it again: it is not spam now.
    again = assert_problem(staff.post(f"/staff/leads/{lead_id}/restore"), 409)
    assert again["current"] == "new"
    assert len(published.about(lead_id)) == 1


def test_an_admin_erases_a_lead_and_its_audit_records_stay(staff: Staff, deps: Any, clock: Clock) -> None:
    lead_id = submit(deps, clock)
    staff.get(f"/staff/leads/{lead_id}")
    staff.post(f"/staff/leads/{lead_id}/notes", {"text": NOTE})
    answer = staff.call("DELETE", f"/staff/leads/{lead_id}", "ada")
    assert answer.status == 204 and answer.raw == b""
    assert answer.headers["Cache-Control"] == "no-store"
    assert_problem(staff.get(f"/staff/leads/{lead_id}"), 404)
    assert_problem(staff.call("DELETE", f"/staff/leads/{lead_id}", "ada"), 404)
    records = staff.get("/staff/audit?date=2026-03-02", "ada").body["records"]
    assert [r["action"] for r in records if r.get("lead_id") == lead_id] == ["view", "note", "erase"]


def test_the_export_is_a_csv_download_of_the_range(staff: Staff, deps: Any, clock: Clock) -> None:
    inside = submit(deps, clock, 1, message='=HYPERLINK("http://x")')
    clock.advance(days=2)
    submit(deps, clock, 2)
    answer = staff.get("/staff/export?from=2026-03-01&to=2026-03-02")
    assert answer.status == 200, answer.raw
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="leads-2026-03-01-2026-03-02.csv"'
    assert answer.headers["Cache-Control"] == "no-store"
    rows = answer.raw.decode("utf-8-sig").splitlines()  # with a BOM, for spreadsheets
    assert rows[0].startswith("lead_id,created_at,status")
    assert len(rows) == 2 and rows[1].startswith(inside)
    assert "'=HYPERLINK" in rows[1]  # a formula cell is neutralised
    # With no first day: the last 90 days (the clock reads 2026-03-04 now), both leads.
    everything = staff.get("/staff/export")
    assert everything.headers["Content-Disposition"] == 'attachment; filename="leads-2025-12-05.csv"'
    assert len(everything.raw.decode().splitlines()) == 3


def test_an_export_with_no_first_day_holds_the_last_90_days(staff: Staff, deps: Any, clock: Clock) -> None:
    # GIVEN a lead of 100 days ago, one of 80 days ago and one of today (2026-03-02)
    clock.now -= timedelta(days=100)
    old = submit(deps, clock, 1)
    clock.advance(days=20)
    recent = submit(deps, clock, 2, message="@SUM(A1) and more")
    clock.advance(days=80)
    today = submit(deps, clock, 3)
    # WHEN staff export without choosing a first day
    answer = staff.get("/staff/export")
    # THEN they get the 90 days that end today, formula cells still neutralised
    assert answer.status == 200, answer.raw
    assert answer.headers["Content-Disposition"] == 'attachment; filename="leads-2025-12-03.csv"'
    rows = answer.raw.decode("utf-8-sig").splitlines()[1:]
    assert [row.split(",")[0] for row in rows] == [recent, today]
    assert "'@SUM(A1)" in rows[0] and old not in answer.raw.decode()
    # AND with only a last day, the 90 days that end then
    earlier = staff.get("/staff/export?to=2026-01-31")
    assert earlier.headers["Content-Disposition"] == 'attachment; filename="leads-2025-11-03-2026-01-31.csv"'
    assert [row.split(",")[0] for row in earlier.raw.decode("utf-8-sig").splitlines()[1:]] == [old, recent]
    # AND a last day near the calendar's start exports what there is from then, not a failure
    edge = staff.get("/staff/export?to=0001-01-31")
    assert (
        edge.status == 200
        and edge.headers["Content-Disposition"] == 'attachment; filename="leads-0001-01-01-0001-01-31.csv"'
    )
    # AND a first day still reaches as far back as asked
    assert len(staff.get("/staff/export?from=2025-01-01").raw.decode("utf-8-sig").splitlines()) == 4


@pytest.mark.parametrize("path", ["/staff/export", "/staff/stats"])
@pytest.mark.parametrize(
    "query",
    ["from=yesterday", "to=2026-02-30", "from=2026-03-05&to=2026-03-01", 'from=2026-03-01"%0D%0AX-Evil:1',
     "from=0001-01-01T00:00:00%2B01:00", "to=9999-12-31T23:59:59-01:00"],
)  # fmt: skip
def test_a_bad_range_is_400(staff: Staff, path: str, query: str) -> None:
    answer = staff.get(f"{path}?{query}")
    assert_problem(answer, 400)
    assert "Content-Disposition" not in answer.headers and "X-Evil" not in answer.headers


def test_stats_count_the_range(staff: Staff, deps: Any, clock: Clock) -> None:
    lead_id = submit(deps, clock, 1)
    submit(deps, clock, 2)
    staff.post(f"/staff/leads/{lead_id}/status", {"status": "contacted", "expected": "new"})
    answer = staff.get("/staff/stats?from=2026-03-02&to=2026-03-02")
    assert answer.status == 200, answer.raw
    assert answer.body["total"] == 2
    assert answer.body["totals"]["contacted"] == 1 and answer.body["totals"]["new"] == 1


def test_stats_with_no_first_day_count_the_last_90_days_and_say_so(staff: Staff, deps: Any, clock: Clock) -> None:
    # GIVEN a lead of 200 days ago and one of today (2026-03-02)
    clock.now -= timedelta(days=200)
    old = submit(deps, clock, 1)
    clock.advance(days=200)
    submit(deps, clock, 2)
    # WHEN staff ask for stats without choosing a first day
    answer = staff.get("/staff/stats")
    # THEN only the 90 days that end today are counted, and the answer says where they began
    assert answer.status == 200, answer.raw
    assert answer.body["total"] == 1
    assert answer.body["since"].startswith("2025-12-03T00:00:00") and answer.body["until"] is None
    # AND with only a last day, the 90 days that end then: the old lead alone
    earlier = staff.get(f"/staff/stats?to={deps.store.get_lead(old)['created_at'][:10]}").body
    assert earlier["total"] == 1 and earlier["since"].startswith("2025-05-17")
    # AND a first day still reaches as far back as asked
    assert staff.get("/staff/stats?from=2025-01-01").body["total"] == 2


def test_the_audit_trail_of_a_day_is_for_admins(staff: Staff, deps: Any, clock: Clock) -> None:
    lead_id = submit(deps, clock)
    staff.get(f"/staff/leads/{lead_id}", "riley")
    answer = staff.get("/staff/audit?date=2026-03-02", "ada")
    assert answer.status == 200, answer.raw
    assert answer.body["date"] == "2026-03-02"
    [record] = answer.body["records"]
    assert (record["actor"], record["role"], record["action"], record["lead_id"]) == (
        "riley",
        "clinician",
        "view",
        lead_id,
    )
    assert staff.get("/staff/audit?date=2026-03-01", "ada").body["records"] == []


@pytest.mark.parametrize("query", ["", "?date=", "?date=2026-3-2", "?date=2026-02-30", "?date=today"])
def test_an_audit_day_that_is_not_a_date_is_400(staff: Staff, query: str) -> None:
    assert_problem(staff.get(f"/staff/audit{query}", "ada"), 400)


def add_records(deps: Any, count: int, day: str = "2026-03-02") -> None:
    from chalicelib.ports import AuditAction, AuditRecord

    for n in range(count):
        at = f"{day}T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000Z"
        deps.store.record_audit(AuditRecord(at, "sam", "intake", AuditAction.LIST, detail=f"{n} rows"))


def test_the_audit_trail_of_a_day_comes_in_pages_oldest_first(staff: Staff, deps: Any) -> None:
    # GIVEN a day of 450 audit records
    add_records(deps, 450)
    add_records(deps, 3, day="2026-03-03")
    # WHEN an admin reads it without choosing a page size
    first = staff.get("/staff/audit?date=2026-03-02", "ada")
    # THEN they get the first 200, oldest first, and the cursor of the next page
    assert first.status == 200, first.raw
    assert first.body["date"] == "2026-03-02" and len(first.body["records"]) == 200
    assert first.body["next"]
    # AND following `next` gives the rest, each record once, until `next` is null
    shown, answer = list(first.body["records"]), first
    while answer.body["next"] is not None:
        answer = staff.get(f"/staff/audit?date=2026-03-02&cursor={answer.body['next']}&limit=100", "ada")
        assert answer.status == 200, answer.raw
        assert len(answer.body["records"]) <= 100
        shown += answer.body["records"]
    assert [r["detail"] for r in shown] == [f"{n} rows" for n in range(450)]
    # AND a page may hold up to 1000
    whole = staff.get("/staff/audit?date=2026-03-02&limit=1000", "ada").body
    assert len(whole["records"]) == 450 and whole["next"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=ten", "limit=-5", "cursor=not-a-cursor"])
def test_a_bad_audit_page_is_400(staff: Staff, deps: Any, query: str) -> None:
    add_records(deps, 3)
    assert_problem(staff.get(f"/staff/audit?date=2026-03-02&{query}", "ada"), 400)


def test_an_audit_cursor_of_one_day_does_not_page_another(staff: Staff, deps: Any) -> None:
    add_records(deps, 3)
    token = staff.get("/staff/audit?date=2026-03-02&limit=1", "ada").body["next"]
    body = assert_problem(staff.get(f"/staff/audit?date=2026-03-03&cursor={token}", "ada"), 400)
    assert body["title"] == "Bad cursor"


# ---------------------------------------------------------------------------
# The inbox's polls: an unchanged list is answered 304, and not audited
# ---------------------------------------------------------------------------


def list_records(deps: Any) -> list[dict[str, Any]]:
    return [r for r in audit_records(deps) if r["action"] == "list"]


def test_a_list_asked_for_with_the_tag_of_the_same_answer_is_304_and_not_audited(
    staff: Staff, deps: Any, clock: Clock
) -> None:
    # GIVEN a list the inbox was shown, with its ETag
    submit(deps, clock, 1)
    shown = staff.get("/staff/leads?status=new&limit=50")
    assert shown.status == 200 and len(list_records(deps)) == 1
    tag = shown.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', tag)
    # WHEN it polls with that tag and nothing has changed
    for _ in range(5):
        again = staff.get("/staff/leads?status=new&limit=50", headers={"If-None-Match": tag})
        # THEN each answer is 304 with no lead in it, and the trail holds no more lists
        assert (again.status, again.raw, again.headers["ETag"]) == (304, b"", tag)
        assert again.headers["Cache-Control"] == "no-store"
    assert len(list_records(deps)) == 1
    # AND the weak form and a list of tags match too
    assert staff.get("/staff/leads?status=new&limit=50", headers={"If-None-Match": f'"x", W/{tag}'}).status == 304
    # AND without the header, or with a tag of another answer, the list is answered and audited
    assert staff.get("/staff/leads?status=new&limit=50").status == 200
    other = staff.get("/staff/leads?status=new&limit=50", headers={"If-None-Match": '"' + "0" * 32 + '"'})
    assert other.status == 200 and other.headers["ETag"] == tag
    assert len(list_records(deps)) == 3


def test_each_change_the_list_would_show_is_answered_in_full_and_audited(staff: Staff, deps: Any, clock: Clock) -> None:
    lead_id = submit(deps, clock, 1)
    tag = staff.get("/staff/leads").headers["ETag"]
    changes = [
        ("a new lead arrives", lambda: submit(deps, clock, 2)),
        ("a colleague claims one", lambda: staff.post(f"/staff/leads/{lead_id}/claim", who="riley")),
        (
            "its status moves on",
            lambda: staff.post(f"/staff/leads/{lead_id}/status", {"status": "contacted", "expected": "new"}, "riley"),
        ),
        ("it is erased", lambda: staff.call("DELETE", f"/staff/leads/{lead_id}", "ada")),
    ]
    for what, change in changes:
        change()
        before = len(list_records(deps))
        answer = staff.get("/staff/leads", headers={"If-None-Match": tag})
        assert answer.status == 200, what
        assert answer.headers["ETag"] != tag, what
        assert len(list_records(deps)) == before + 1, what
        tag = answer.headers["ETag"]
    assert staff.get("/staff/leads", headers={"If-None-Match": tag}).status == 304


# ---------------------------------------------------------------------------
# The audit trail of each route, and no PHI anywhere
# ---------------------------------------------------------------------------


def test_each_route_that_reads_or_changes_a_lead_writes_one_audit_record_without_phi(
    staff: Staff, deps: Any, clock: Clock, all_logs: Any
) -> None:
    lead_id = submit(deps, clock, message=VALID["message"])
    spam = submit(deps, clock, 2, website="http://spam.example")
    done = [
        ("list", None, lambda: staff.get("/staff/leads")),
        ("view", lead_id, lambda: staff.get(f"/staff/leads/{lead_id}")),
        ("claim", lead_id, lambda: staff.post(f"/staff/leads/{lead_id}/claim")),
        ("note", lead_id, lambda: staff.post(f"/staff/leads/{lead_id}/notes", {"text": NOTE})),
        (
            "status",
            lead_id,
            lambda: staff.post(f"/staff/leads/{lead_id}/status", {"status": "contacted", "expected": "new"}),
        ),
        ("restore", spam, lambda: staff.post(f"/staff/leads/{spam}/restore")),
        ("export", None, lambda: staff.get("/staff/export")),
        ("erase", lead_id, lambda: staff.call("DELETE", f"/staff/leads/{lead_id}", "ada")),
    ]
    for action, target, run in done:
        before = len(audit_records(deps))
        answer = run()
        assert answer.status in (200, 201, 204), (action, answer.raw)
        records = staff.get("/staff/audit?date=2026-03-02", "ada").body["records"]
        assert len(audit_records(deps)) == before + 1, action
        last = records[-1]
        assert last["action"] == action and last.get("lead_id") == target
        assert last["actor"] == ("ada" if action == "erase" else "sam")
        assert last["role"] == ("admin" if action == "erase" else "intake")
        assert last["source_ip"] == "127.0.0.1"
    # Refusals and failures say nothing of the lead either.
    errors = [
        staff.post(f"/staff/leads/{spam}/status", {"status": "nope", "expected": "new"}).raw,
        staff.post(f"/staff/leads/{spam}/notes", {"text": "x" * 2001}).raw,
        staff.get(f"/staff/leads/{VALID['email']}").raw,
    ]
    trail = json.dumps(audit_records(deps)) + json.dumps(staff.get("/staff/audit?date=2026-03-02", "ada").body)
    for text in (trail, all_logs(), *(e.decode() for e in errors)):
        for secret in (*PHI, NOTE):
            assert secret not in text


def test_an_unexpected_failure_is_a_bare_500(
    staff: Staff, deps: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch, all_logs: Any
) -> None:
    from chalicelib.staff import actions

    lead_id = submit(deps, clock)

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError(f"lost the thread while reading {VALID['email']}")

    monkeypatch.setattr(actions, "view_lead", broken)
    answer = staff.get(f"/staff/leads/{lead_id}")
    body = assert_problem(answer, 500)
    assert set(body) == {"type", "status", "title", "detail"}
    assert VALID["email"] not in answer.raw.decode() and "RuntimeError" not in answer.raw.decode()
    logs = all_logs()
    assert "staff_unhandled_error" in logs and "RuntimeError" in logs
    assert VALID["email"] not in logs


def test_storage_that_cannot_be_reached_is_503_with_retry_after(
    staff: Staff, deps: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.errors import StorageUnavailable
    from chalicelib.staff import actions

    def unreachable(*_: Any, **__: Any) -> Any:
        raise StorageUnavailable("ProvisionedThroughputExceededException")

    monkeypatch.setattr(actions, "list_leads", unreachable)
    answer = staff.get("/staff/leads")
    assert_problem(answer, 503)
    assert answer.headers["Retry-After"] == "5"
