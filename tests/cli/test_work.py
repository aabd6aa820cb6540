"""list, show, status, restore, erase and redrive against moto, on leads made through the API."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import boto3

from tests.cli.conftest import Run, run_cli, submit
from tests.conftest import Stack, leads, pump, table_items
from tests.reliability.support import acknowledge

Cli = Callable[..., Run]


def stored(aws: Stack, lead_id: str) -> dict[str, Any]:
    [lead] = [lead for lead in leads(aws.table) if lead["lead_id"] == lead_id]
    return lead


# -- list -------------------------------------------------------------------


def test_list_shows_open_leads_newest_first_and_keeps_spam_apart(cli: Cli, client: Any, aws: Stack) -> None:
    first = submit(client)
    second = submit(client)
    spam = submit(client, website="http://cheap-pills.example")
    assert cli("status", first, "contacted").code == 0

    shown = cli("list", "--json").json()
    expected = sorted((lead for lead in leads(aws.table) if lead["status"] != "spam"), key=lambda x: x["created_at"])
    assert [lead["lead_id"] for lead in shown["leads"]] == [lead["lead_id"] for lead in reversed(expected)]
    assert {lead["lead_id"] for lead in shown["leads"]} == {first, second}
    assert shown["next"] is None

    table = cli("list")
    assert table.code == 0
    assert first in table.out and second in table.out and spam not in table.out
    assert "Times are America/New_York" in table.out and "contacted" in table.out
    assert "list --spam" in table.out

    spam_list = cli("list", "--spam", "--json").json()
    assert [lead["lead_id"] for lead in spam_list["leads"]] == [spam]


def test_list_pages_with_next_until_every_lead_was_shown_once(cli: Cli, client: Any, aws: Stack) -> None:
    made = [submit(client) for _ in range(4)]
    cli("status", made[1], "scheduled")
    cli("status", made[2], "contacted")
    seen: list[str] = []
    page = cli("list", "--limit", "1", "--json").json()
    while True:
        seen += [lead["lead_id"] for lead in page["leads"]]
        if page["next"] is None:
            break
        page = cli("list", "--limit", "1", "--next", page["next"], "--json").json()
    newest_first = sorted(leads(aws.table), key=lambda x: x["created_at"], reverse=True)
    assert seen == [lead["lead_id"] for lead in newest_first]

    human = cli("list", "--limit", "2")
    assert "More: ./leads --stage test list --next " in human.out


def test_list_rejects_a_made_up_cursor() -> None:
    result = run_cli("list", "--next", "not-a-cursor", "--stage", "test")
    assert result.code == 2
    assert "--next" in result.err and "Traceback" not in result.err


# -- show -------------------------------------------------------------------


def test_show_labels_the_whole_lead_including_consent_and_notice(cli: Cli, client: Any, aws: Stack) -> None:
    lead_id = submit(client, last_name="Quill", preferred_contact="phone", best_time="evening")
    pump(client, aws)
    shown = cli("show", lead_id)
    assert shown.code == 0
    out = shown.out
    assert f"Lead {lead_id}" in out
    for label, value in [
        ("Status", "new"),
        ("Last name", "Quill"),
        ("Email", "avery.quill@example.org"),
        ("Phone", "+12025550143"),
        ("Prefers", "Phone call"),
        ("Best time", "evening"),
        ("Language", "English"),
        ("Service", "Ketamine-assisted psychotherapy (KAP)"),
        ("Tried", "Therapy, SSRI/SNRI"),
        ("To contact", "yes"),
        ("To text", "no"),
        ("Privacy notice", "2026-01"),
        ("State", "sent"),
        ("Attempts", "1"),
    ]:
        assert any(line.strip().startswith(label) and value in line for line in out.splitlines()), (label, value)
    for section in ("Person", "Request", "Consent", "Staff notice"):
        assert section in out.splitlines()
    assert "nightmares since the accident" in out

    as_json = cli("show", lead_id.lower(), "--json").json()
    item = stored(aws, lead_id)
    assert as_json["consent"] == item["consent"]
    assert as_json["notice_state"] == "sent" and as_json["notice_message_id"] == item["notice_message_id"]
    assert "pk" not in as_json and "fingerprint" not in as_json


def test_show_says_a_spanish_speakers_language(cli: Cli, client: Any, aws: Stack) -> None:
    lead_id = submit(client, language="es")
    out = cli("show", lead_id).out
    assert any(line.strip().startswith("Language") and "Spanish" in line for line in out.splitlines()), out


def test_show_names_the_colleague_who_worked_a_lead_in_the_inbox(cli: Cli, client: Any, aws: Stack, deps: Any) -> None:
    # GIVEN a lead Maria claimed and noted in the inbox (her token named her)
    from chalicelib.staff import actions

    lead_id = submit(client)
    maria = actions.Actor("3f2a9c1b-7d4e-4f0a-9b1c-2e5d6a7b8c9d", "intake", "198.51.100.10", "Maria Lopez")
    actions.claim(lead_id, deps, maria)
    actions.add_note(lead_id, "Booked a call for Friday.", deps, maria)
    # WHEN an admin shows it in the terminal
    out = cli("show", lead_id).out
    # THEN her name stands beside her username wherever the lead says who, and the names are no "Other" field
    named = f"Maria Lopez ({maria.username})"
    lines = out.splitlines()
    assert any(line.strip().startswith("Assigned to") and line.strip().endswith(named) for line in lines), out
    assert any(line.strip().startswith("Acknowledged") and line.strip().endswith(f"by {named}") for line in lines)
    assert f"{named}: Booked a call for Friday." in out
    assert f"claim by {named}" in out
    assert "staff_names" not in out


# -- status -----------------------------------------------------------------


def test_status_moves_a_lead_and_says_from_what(cli: Cli, client: Any, aws: Stack) -> None:
    lead_id = submit(client)
    result = cli("status", lead_id, "contacted")
    assert result.code == 0
    assert f"Lead {lead_id}: new -> contacted." in result.out
    assert stored(aws, lead_id)["status"] == "contacted"

    closed = cli("status", lead_id, "closed", "--json")
    assert closed.json() == {"lead_id": lead_id, "previous": "contacted", "status": "closed"}
    assert stored(aws, lead_id)["status"] == "closed"


def test_status_with_a_stale_from_changes_nothing(cli: Cli, client: Any, aws: Stack) -> None:
    lead_id = submit(client)
    cli("status", lead_id, "scheduled")
    result = cli("status", lead_id, "declined", "--from", "new")
    assert result.code == 4
    assert "changed by someone else" in result.err and "now scheduled" in result.err
    assert stored(aws, lead_id)["status"] == "scheduled"


def test_status_refuses_spam_until_restored(cli: Cli, client: Any, aws: Stack) -> None:
    lead_id = submit(client, website="http://spam.example")
    result = cli("status", lead_id, "contacted")
    assert result.code == 4
    assert f"restore {lead_id}" in result.err
    assert stored(aws, lead_id)["status"] == "spam"


def test_two_staff_changing_one_lead_at_once_exactly_one_wins(
    cli: Cli, client: Any, aws: Stack, monkeypatch: Any
) -> None:
    from chalicelib.store import LeadStore

    lead_id = submit(client)
    # GIVEN two staff who have both read the lead as `new` before either writes
    both_read = threading.Barrier(2, timeout=10)
    one_write_at_a_time = threading.Lock()  # DynamoDB serialises writes to an item; moto needs the help
    original = LeadStore.set_status

    def set_after_both_read(self: LeadStore, *args: Any, **kwargs: Any) -> Any:
        both_read.wait()
        with one_write_at_a_time:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(LeadStore, "set_status", set_after_both_read)
    results: dict[str, Run] = {}

    def act(status: str) -> None:
        results[status] = cli("status", lead_id, status)

    threads = [threading.Thread(target=act, args=(s,)) for s in ("contacted", "declined")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN exactly one wins, the other is told, and the stored status is the winner's
    codes = sorted(r.code for r in results.values())
    assert codes == [0, 4]
    [winner] = [s for s, r in results.items() if r.code == 0]
    [loser] = [r for r in results.values() if r.code == 4]
    assert "changed by someone else" in loser.err and f"now {winner}" in loser.err
    assert "Nothing was changed" in loser.err
    assert stored(aws, lead_id)["status"] == winner


# -- restore ------------------------------------------------------------------


def test_restore_moves_spam_to_new_and_sends_exactly_one_notice(cli: Cli, client: Any, aws: Stack) -> None:
    lead_id = submit(client, website="http://spam.example")
    pump(client, aws)
    assert aws.notices() == []

    result = cli("restore", lead_id)
    assert result.code == 0
    assert "restored to new; staff notice sent" in result.out
    pump(client, aws)  # the restore's stream record must not send a second one
    [notice] = aws.notices()
    assert lead_id in notice["texts"]["sms"]
    lead = stored(aws, lead_id)
    assert lead["status"] == "new" and lead["notice_state"] == "sent"
    assert "expires_at" not in lead

    again = cli("restore", lead_id)
    assert again.code == 4 and "is not spam" in again.err
    assert len(aws.notices()) == 1


# -- erase --------------------------------------------------------------------


def test_erase_asks_for_the_id_and_leaves_nothing_keyed_by_the_lead(cli: Cli, client: Any, aws: Stack) -> None:
    from tests.conftest import post, valid_lead

    response = post(client, valid_lead(first_name="Robin"), {"Idempotency-Key": "erase-me-1"})
    lead_id = json.loads(response.body)["lead_id"]
    other = submit(client)
    pump(client, aws)
    mentions = [i for i in table_items(aws.table) if lead_id in json.dumps(i)]
    assert len(mentions) == 3  # the lead, its idempotency and duplicate guards

    refused = cli("erase", lead_id, stdin="no thanks\n")
    assert refused.code == 1 and "Not erased" in refused.err
    assert "Type the lead id" in refused.err
    assert stored(aws, lead_id)

    done = cli("erase", lead_id, stdin=lead_id.lower() + "\n")
    assert done.code == 0 and f"Lead {lead_id} erased." in done.out
    # Only its audit records stay (each confirmation showed the lead: a view), and they hold no PHI.
    left = sorted((i for i in table_items(aws.table) if lead_id in json.dumps(i)), key=lambda i: i["at"])
    assert [(i["entity"], i["action"]) for i in left] == [("audit", "view"), ("audit", "view"), ("audit", "erase")]
    assert "Robin" not in json.dumps(left) and "avery.quill" not in json.dumps(left)
    assert stored(aws, other)["status"] == "new"

    gone = cli("show", lead_id)
    assert gone.code == 3


def test_erase_with_yes_does_not_ask(cli: Cli, client: Any, aws: Stack) -> None:
    lead_id = submit(client)
    result = cli("erase", lead_id, "--yes", "--json")
    assert result.code == 0 and result.json() == {"lead_id": lead_id, "erased": True}
    assert result.err == ""
    assert leads(aws.table) == []


# -- redrive ------------------------------------------------------------------


def test_redrive_resends_a_failed_notice_once(cli: Cli, client: Any, aws: Stack, deps: Any) -> None:
    from chalicelib.notices import SnsPublisher

    lead_id = submit(client)
    # GIVEN a notice that failed because the topic could not be reached
    missing = aws.topic_arn + "-gone"
    deps._publisher = SnsPublisher(boto3.client("sns"), missing)
    pump(client, aws)
    assert stored(aws, lead_id)["notice_state"] == "failed"
    assert aws.notices() == []

    result = cli("redrive", "--json")
    assert result.code == 0
    assert result.json() == {"sent": 1, "failed": 0, "dead": 0, "skipped": 0}
    [notice] = aws.notices()
    assert lead_id in notice["texts"]["sms"]
    assert stored(aws, lead_id)["notice_state"] == "sent"

    nothing = cli("redrive")
    assert nothing.code == 0 and "nothing to send" in nothing.out
    assert len(aws.notices()) == 1


# -- stats --------------------------------------------------------------------


def test_stats_counts_leads_by_day_and_status_and_notice_times(cli: Cli, client: Any, aws: Stack, deps: Any) -> None:
    first = submit(client)
    submit(client)
    submit(client, website="http://spam.example")
    pump(client, aws)
    acknowledge(deps, first, "casey")
    cli("status", first, "contacted")

    stats = cli("stats", "--json").json()
    [(day, counts)] = stats["by_day"].items()
    assert day == leads(aws.table)[0]["created_at"][:10]
    assert counts == {"new": 1, "contacted": 1, "scheduled": 0, "closed": 0, "declined": 0, "spam": 1}
    assert stats["total"] == 3
    notices = stats["notices"]
    assert notices["delivered"] == 2
    assert notices["states"] == {"sent": 2, "suppressed": 1}
    assert 0 <= notices["median_seconds"] <= notices["max_seconds"]

    human = cli("stats")
    assert human.code == 0
    assert "Leads by day (UTC)" in human.out
    row = next(line for line in human.out.splitlines() if line.startswith(day))
    assert row.split() == [day, "1", "1", "0", "0", "0", "1", "3"]
    assert "delivered 2: median" in human.out
    # AND how fast staff answered: one of the two real leads acknowledged, the other not yet (spam not counted)
    speed = stats["speed"]["overall"]
    assert sum(speed[a]["leads"] for a in ("in_hours", "out_of_hours")) == 2
    assert sum(speed[a]["unacknowledged"] for a in ("in_hours", "out_of_hours")) == 1
    assert sum(speed[a]["acknowledge"]["count"] for a in ("in_hours", "out_of_hours")) == 1
    assert len(stats["speed"]["by_day"]) == 1 and len(stats["speed"]["by_week"]) == 1  # clinic days, not UTC
    assert "Speed to lead: minutes from arrival, median / 90th percentile" in human.out
    [total] = [line.split() for line in human.out.splitlines() if line.startswith("all ")]
    assert total[:2] == ["all", "in"] or total[:2] == ["all", "outside"]
