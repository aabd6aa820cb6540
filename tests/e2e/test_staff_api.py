"""The staff API of `make run` over HTTP: each route with real Cognito tokens, against the emulator's table."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import valid_lead
from tests.e2e.stack import ROOT, LocalStack
from tests.e2e.staff import assert_unauthenticated, b64, payload

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

Member = tuple[str, dict[str, str]]
NOTE = "Called back; wants an evening consult."


def new_lead(stack: LocalStack, n: int, **changes: Any) -> str:
    """A visitor's submission through the public API, from its own client address; its lead id."""
    body = valid_lead(first_name=f"Visitor{n}", email=f"visitor{n}@example.org", **changes)
    status, _, answer = stack.post_json(body, source=f"127.0.{n // 250}.{n % 250 + 2}")
    assert status == 201, answer
    return str(answer["lead_id"])


def test_a_lead_route_refuses_no_token_a_tampered_one_and_another_pools(
    staff_stack: LocalStack, intake: Member
) -> None:
    token, _ = intake
    lead_id = new_lead(staff_stack, 1)
    assert_unauthenticated(staff_stack.staff(f"/staff/leads/{lead_id}"))
    head, _, signature = token.split(".")
    raised = dict(payload(token), **{"cognito:groups": ["admin"]})
    tampered = f"{head}.{b64(raised)}.{signature}"
    assert_unauthenticated(staff_stack.staff(f"/staff/leads/{lead_id}", tampered))
    # A route that changes a lead checks the token before anything else.
    assert_unauthenticated(staff_stack.staff(f"/staff/leads/{lead_id}/claim", tampered, "POST"))
    assert_unauthenticated(staff_stack.staff(f"/staff/leads/{lead_id}", tampered, "DELETE"))
    assert_unauthenticated(staff_stack.staff(f"/staff/leads/{lead_id}", other_pool_token(staff_stack)))
    # Nothing happened to the lead.
    [lead] = [x for x in staff_stack.stored_leads() if x["lead_id"] == lead_id]
    assert "assigned_to" not in lead and "acknowledged_at" not in lead


def other_pool_token(stack: LocalStack) -> str:
    """An admin's valid ID token from a user pool that is not the stage's."""
    cognito = stack.cognito()
    other = cognito.create_user_pool(PoolName="another-clinics-pool")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=other, ClientName="other", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.create_group(UserPoolId=other, GroupName="admin")
    cognito.admin_create_user(UserPoolId=other, Username="eve", TemporaryPassword="Temporary-Password-1")
    cognito.admin_set_user_password(UserPoolId=other, Username="eve", Password="Eve-Password-123", Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=other, Username="eve", GroupName="admin")
    return str(
        cognito.admin_initiate_auth(
            UserPoolId=other,
            ClientId=client,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "eve", "PASSWORD": "Eve-Password-123"},
        )["AuthenticationResult"]["IdToken"]
    )


def test_the_readmes_token_command_signs_a_member_in(staff_stack: LocalStack, intake: Member) -> None:
    _, printed = intake
    done = subprocess.run(
        [sys.executable, "-m", "scripts.staff_token", "--email", "sam.intake@clinic.example"],
        cwd=ROOT,
        env={
            "EMULATOR_PORT": str(staff_stack.emulator_port),
            "STAFF_PASSWORD": printed["Password"],
            "STAFF_TOTP_SECRET": printed["TOTP secret"],
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    status, _, me = staff_stack.staff("/staff/me", done.stdout.strip())
    assert (status, me["email"]) == (200, "sam.intake@clinic.example")
    wrong = subprocess.run(
        [sys.executable, "-m", "scripts.staff_token", "--email", "sam.intake@clinic.example"],
        cwd=ROOT,
        env={"EMULATOR_PORT": str(staff_stack.emulator_port), "STAFF_PASSWORD": "not-it", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert wrong.returncode == 2 and "--totp-secret" in wrong.stderr and "Traceback" not in wrong.stderr


def test_a_method_a_staff_path_does_not_take_is_405_problem_json_with_allow(
    staff_stack: LocalStack, intake: Member
) -> None:
    token, _ = intake
    lead_id = new_lead(staff_stack, 10)
    wrong = [
        ("PUT", "/staff/leads", "GET"),
        ("POST", "/staff/me", "GET"),
        ("GET", f"/staff/leads/{lead_id}/claim", "POST"),
        ("PATCH", f"/staff/leads/{lead_id}", "GET, DELETE"),
        ("DELETE", "/staff/export", "GET"),
        ("POST", "/staff", "GET"),
    ]
    # HEAD too, with the same status and Allow and no body.
    for who in (None, token):
        status, headers, body = staff_stack.staff("/staff/leads", who, "HEAD")
        assert (status, headers.get("Allow"), body) == (405, "GET", None)
    for method, path, allow in wrong:
        for who in (None, token):
            status, headers, body = staff_stack.staff(path, who, method, None if method == "GET" else {})
            assert (status, headers.get("Content-Type"), headers.get("Allow")) == (
                405,
                "application/problem+json",
                allow,
            ), (method, path, body)
            assert (body["status"], body["title"]) == (405, "Method not allowed") and allow in body["detail"]
    # The claim that was not one claimed nothing.
    [lead] = [x for x in staff_stack.stored_leads() if x["lead_id"] == lead_id]
    assert "assigned_to" not in lead and "acknowledged_at" not in lead


def test_intake_may_not_erase_a_lead_or_read_the_audit_trail(staff_stack: LocalStack, intake: Member) -> None:
    token, _ = intake
    lead_id = new_lead(staff_stack, 2)
    status, headers, body = staff_stack.staff(f"/staff/leads/{lead_id}", token, "DELETE")
    assert (status, headers["Content-Type"], body["status"]) == (403, "application/problem+json", 403)
    status, _, body = staff_stack.staff(f"/staff/audit?date={datetime.now(UTC).date()}", token)
    assert (status, body["status"]) == (403, 403)
    assert [x for x in staff_stack.stored_leads() if x["lead_id"] == lead_id]


def test_a_lead_worked_from_the_list_to_erased_through_every_route(
    staff_stack: LocalStack, intake: Member, admin: Member
) -> None:
    token, _ = intake
    admin_token, _ = admin
    lead_id = new_lead(staff_stack, 3)
    spam_id = new_lead(staff_stack, 4, website="http://cheap-pills.example")
    today = datetime.now(UTC).date().isoformat()

    status, _, me = staff_stack.staff("/staff/me", token)
    assert (status, me["roles"]) == (200, ["intake"])
    status, headers, listed = staff_stack.staff("/staff/leads", token)
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert lead_id in [x["lead_id"] for x in listed["leads"]]
    assert spam_id not in [x["lead_id"] for x in listed["leads"]]

    status, _, lead = staff_stack.staff(f"/staff/leads/{lead_id}", token)
    assert status == 200
    assert (lead["first_name"], lead["acknowledged_by"]) == ("Visitor3", me["username"])
    status, _, claimed = staff_stack.staff(f"/staff/leads/{lead_id}/claim", token, "POST")
    assert (status, claimed["assigned_to"]) == (200, me["username"])
    status, _, note = staff_stack.staff(f"/staff/leads/{lead_id}/notes", token, "POST", {"text": NOTE})
    assert (status, note["text"], note["author"]) == (201, NOTE, me["username"])
    status, _, moved = staff_stack.staff(
        f"/staff/leads/{lead_id}/status", token, "POST", {"status": "contacted", "expected": "new"}
    )
    assert (status, moved["previous"], moved["status"]) == (200, "new", "contacted")
    status, _, restored = staff_stack.staff(f"/staff/leads/{spam_id}/restore", token, "POST")
    assert (status, restored["status"]) == (200, "new")

    status, headers, csv = staff_stack.staff(f"/staff/export?from={today}&to={today}", token)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert headers["Content-Disposition"] == f'attachment; filename="leads-{today}-{today}.csv"'
    assert lead_id in csv and spam_id in csv
    status, _, stats = staff_stack.staff(f"/staff/stats?from={today}&to={today}", token)
    assert status == 200 and stats["totals"]["contacted"] >= 1

    status, _, opened = staff_stack.staff(f"/staff/leads/{lead_id}", token)
    assert [n["text"] for n in opened["notes"]] == [NOTE]
    assert [h["action"] for h in opened["history"]] == ["view", "claim", "note", "status", "view"]

    status, headers, body = staff_stack.staff(f"/staff/leads/{lead_id}", admin_token, "DELETE")
    assert (status, body) == (204, None)
    status, _, gone = staff_stack.staff(f"/staff/leads/{lead_id}", token)
    assert (status, gone["title"]) == (404, "No such lead")
    assert not [x for x in staff_stack.stored_leads() if x["lead_id"] == lead_id]

    trail = {"records": whole_trail(staff_stack, admin_token, today)}
    mine = [(r["action"], r["actor"]) for r in trail["records"] if r.get("lead_id") == lead_id]
    assert mine == [
        ("view", me["username"]),
        ("claim", me["username"]),
        ("note", me["username"]),
        ("status", me["username"]),
        ("view", me["username"]),
        ("erase", payload(admin_token)["cognito:username"]),
    ]
    assert all(r["source_ip"] == "127.0.0.1" for r in trail["records"])
    # No visitor's words or the note's text in the trail, nor in the stack's log.
    for text in (str(trail), staff_stack.log):
        for secret in ("Visitor3", "visitor3@example.org", NOTE):
            assert secret not in text


def whole_trail(stack: LocalStack, token: str, day: str, limit: int = 1000) -> list[dict[str, Any]]:
    """Every audit record of the day, following each page's `next`."""
    records: list[dict[str, Any]] = []
    cursor = ""
    while True:
        status, _, page = stack.staff(f"/staff/audit?date={day}&limit={limit}&cursor={cursor}", token)
        assert status == 200, page
        assert len(page["records"]) <= limit
        records += page["records"]
        if page["next"] is None:
            return records
        cursor = page["next"]


def test_the_days_audit_trail_reads_in_pages_over_http(staff_stack: LocalStack, intake: Member, admin: Member) -> None:
    token, _ = intake
    today = datetime.now(UTC).date().isoformat()
    lead_id = new_lead(staff_stack, 7)
    for _ in range(3):
        assert staff_stack.staff(f"/staff/leads/{lead_id}", token)[0] == 200
    # The index is read eventually consistently: its newest records may take a moment to show.
    whole = whole_trail(staff_stack, admin[0], today)
    paged = whole_trail(staff_stack, admin[0], today, limit=2)
    assert paged[: len(whole)] == whole
    assert [r["action"] for r in paged if r.get("lead_id") == lead_id] == ["view"] * 3
    status, _, refused = staff_stack.staff(f"/staff/audit?date={today}&limit=1001", admin[0])
    assert (status, refused["title"]) == (400, "Bad limit")


def test_a_poll_of_an_unchanged_list_is_304_with_no_body_and_no_audit_record(
    staff_stack: LocalStack, intake: Member, admin: Member
) -> None:
    token, _ = intake
    today = datetime.now(UTC).date().isoformat()
    listed_id = new_lead(staff_stack, 8)
    # Once its notice went out (the pump changes its notice_state), nothing changes the list.
    deadline = time.monotonic() + 10
    while True:
        status, headers, first = staff_stack.staff("/staff/leads?status=new&limit=50", token)
        assert status == 200 and headers["ETag"]
        states = {x["lead_id"]: x["notice_state"] for x in first["leads"]}
        if states.get(listed_id) == "sent" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    before = len(whole_trail(staff_stack, admin[0], today))
    status, again, body = staff_stack.staff(
        "/staff/leads?status=new&limit=50", token, headers={"If-None-Match": headers["ETag"]}
    )
    assert (status, body, again["ETag"], again["Cache-Control"]) == (304, None, headers["ETag"], "no-store")
    assert len(whole_trail(staff_stack, admin[0], today)) == before
    arrived = new_lead(staff_stack, 9)
    status, _, listed = staff_stack.staff(
        "/staff/leads?status=new&limit=50", token, headers={"If-None-Match": headers["ETag"]}
    )
    assert status == 200 and arrived in [x["lead_id"] for x in listed["leads"]]


def test_a_stale_status_change_is_409_with_the_current_status(
    staff_stack: LocalStack, intake: Member, clinician: Member
) -> None:
    lead_id = new_lead(staff_stack, 5)
    status, _, _ = staff_stack.staff(
        f"/staff/leads/{lead_id}/status", intake[0], "POST", {"status": "scheduled", "expected": "new"}
    )
    assert status == 200
    # The clinician's page still shows it new.
    status, headers, body = staff_stack.staff(
        f"/staff/leads/{lead_id}/status", clinician[0], "POST", {"status": "closed", "expected": "new"}
    )
    assert (status, headers["Content-Type"], body["current"]) == (409, "application/problem+json", "scheduled")


def test_two_staff_claiming_one_lead_one_wins(staff_stack: LocalStack, intake: Member, clinician: Member) -> None:
    lead_id = new_lead(staff_stack, 6)
    start = threading.Barrier(2)
    answers: dict[str, tuple[int, dict[str, str], Any]] = {}

    def claim(who: str, token: str) -> None:
        start.wait()
        answers[who] = staff_stack.staff(f"/staff/leads/{lead_id}/claim", token, "POST")

    threads = [threading.Thread(target=claim, args=m) for m in (("sam", intake[0]), ("riley", clinician[0]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _, _ in answers.values()) == [200, 409]
    names = {"sam": payload(intake[0])["cognito:username"], "riley": payload(clinician[0])["cognito:username"]}
    [winner] = [who for who, (status, _, _) in answers.items() if status == 200]
    [loser] = [who for who in answers if who != winner]
    assert answers[winner][2]["assigned_to"] == names[winner]
    assert answers[loser][2]["assigned_to"] == names[winner]  # told who holds it
    [lead] = [x for x in staff_stack.stored_leads() if x["lead_id"] == lead_id]
    assert lead["assigned_to"] == names[winner]
