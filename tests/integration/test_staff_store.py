"""The staff side's items in the table: notes live and die with their lead, audit records stay six years."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib.staff import actions
from chalicelib.staff.actions import Actor
from tests.conftest import Stack, post, pump, table_items, valid_lead

ALICE = Actor("alice", "intake", "198.51.100.7")
SIX_YEARS = 6 * 365 * 86400 + 2 * 86400  # with the leap days any six years hold


def new_lead(client: Any, **changes: Any) -> str:
    response = post(client, valid_lead(**changes))
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["lead_id"])


def items_of(aws: Stack, lead_id: str) -> dict[str, dict[str, Any]]:
    """The lead's own items by sk (the lead, its notes)."""
    return {i["sk"]: i for i in table_items(aws.table, f"LEAD#{lead_id}")}


def test_a_note_expires_with_its_lead_whatever_the_status(client: Any, aws: Stack, deps: Any) -> None:
    lead_id = new_lead(client)
    actions.add_note(lead_id, "Voicemail left, will try again at 5.", deps, ALICE)
    actions.change_status(lead_id, "closed", deps, ALICE)
    items = items_of(aws, lead_id)
    [note] = [i for sk, i in items.items() if sk.startswith("NOTE#")]
    assert note["expires_at"] == items["LEAD"]["expires_at"]

    actions.add_note(lead_id, "Called back after all.", deps, ALICE)
    actions.change_status(lead_id, "contacted", deps, ALICE)
    items = items_of(aws, lead_id)
    assert len(items) == 3
    assert all("expires_at" not in i for i in items.values())


def test_a_spam_leads_note_goes_with_it_unless_it_is_restored(client: Any, aws: Stack, deps: Any) -> None:
    lead_id = new_lead(client, website="http://spam.example")
    actions.add_note(lead_id, "Looks like a bot.", deps, ALICE)
    items = items_of(aws, lead_id)
    [note] = [i for sk, i in items.items() if sk.startswith("NOTE#")]
    assert note["expires_at"] == items["LEAD"]["expires_at"]

    actions.restore(lead_id, deps, ALICE)
    assert all("expires_at" not in i for i in items_of(aws, lead_id).values())


def test_a_note_written_while_the_lead_closes_still_expires_with_it(
    client: Any, aws: Stack, deps: Any, monkeypatch: Any
) -> None:
    from chalicelib.dynamo.work import StaffVerbs

    lead_id = new_lead(client)
    read_notes = StaffVerbs._note_keys
    calls = []

    def a_note_arrives_after_the_first_read(self: StaffVerbs, wanted: str) -> Any:
        found = read_notes(self, wanted)
        calls.append(wanted)
        if len(calls) == 1:
            # GIVEN a colleague's note lands between the close's read of the notes and its write
            actions.add_note(lead_id, "Added at the same moment.", deps, Actor("bob", "intake", ""))
        return found

    monkeypatch.setattr(StaffVerbs, "_note_keys", a_note_arrives_after_the_first_read)
    actions.change_status(lead_id, "declined", deps, ALICE)

    items = items_of(aws, lead_id)
    [note] = [i for sk, i in items.items() if sk.startswith("NOTE#")]
    assert note["expires_at"] == items["LEAD"]["expires_at"]
    assert len(calls) == 2


def test_audit_items_are_kept_six_years_and_are_never_leads(client: Any, aws: Stack, deps: Any) -> None:
    lead_id = new_lead(client)
    pump(client, aws)
    sent = len(aws.notices())
    actions.view_lead(lead_id, deps, ALICE)
    actions.add_note(lead_id, "Prefers evenings.", deps, ALICE)
    actions.list_leads(deps, ALICE)
    actions.erase(lead_id, deps, ALICE)

    audit = [i for i in table_items(aws.table) if i.get("entity") == "audit"]
    assert sorted(i["action"] for i in audit) == ["erase", "list", "note", "view"]
    for item in audit:
        at = datetime.fromisoformat(item["at"]).timestamp()
        assert item["expires_at"] >= at + SIX_YEARS
        assert item["pk"].startswith("AUDIT#")
    # Neither notes nor audit records are new leads to the stream's reader.
    pump(client, aws)
    assert len(aws.notices()) == sent
    assert table_items(aws.table, "LEAD#") == []


def test_no_audit_item_or_log_line_in_the_table_holds_the_persons_details_or_a_note(
    client: Any, aws: Stack, deps: Any, capsys: Any
) -> None:
    secrets = {
        "first_name": "Zebulon",
        "last_name": "Quartermaine",
        "email": "zq.unique@example.org",
        "phone": "(202) 555-0177",
        "message": "Flashbacks from the convoy in Kandahar every single night.",
    }
    note_text = "Husband Thaddeus answers the landline."
    lead_id = new_lead(client, **secrets)
    pump(client, aws)
    bob = Actor("bob", "clinician", "198.51.100.8")
    actions.list_leads(deps, ALICE)
    actions.view_lead(lead_id, deps, ALICE)
    actions.claim(lead_id, deps, ALICE)
    actions.add_note(lead_id, note_text, deps, ALICE)
    actions.change_status(lead_id, "contacted", deps, ALICE)
    actions.export_csv(deps, ALICE, None, None)
    actions.view_lead(lead_id, deps, bob)
    actions.erase(lead_id, deps, Actor("dana", "admin", ""))

    stored = [i for i in table_items(aws.table) if i.get("entity") == "audit"]
    days = sorted({i["audit_day"] for i in stored})  # one, unless the test ran across midnight UTC
    day = [record for d in days for record in actions.audit_trail(d, deps, ALICE)]
    assert len(stored) == len(day) == 8
    captured = json.dumps(stored) + json.dumps(day) + capsys.readouterr().out
    for value in [*secrets.values(), "2025550177", "555-0177", "Kandahar", note_text, "Thaddeus"]:
        assert value.lower() not in captured.lower(), value
