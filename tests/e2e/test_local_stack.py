"""`make run`'s stack end to end: HTTP in, emulator table and printed staff notice out."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.store import from_item
from tests.e2e.stack import ROOT, LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

LEAD = {
    "first_name": "Harper",
    "last_name": "Lindqvist",
    "email": "harper.l@example.org",
    "phone": "202 555 0166",
    "preferred_contact": "text",
    "consent_to_text": True,
    "consent_to_contact": True,
    "message": "Three years of insomnia after the fire.",
}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    running = LocalStack()
    yield running
    running.stop()


def stored_leads(stack: LocalStack) -> list[dict[str, Any]]:
    items = [from_item(i) for i in stack.dynamodb().scan(TableName="next-steps-local-leads")["Items"]]
    return [i for i in items if i["pk"].startswith("LEAD#")]


def test_curl_post_is_stored_in_e164_and_a_phi_free_notice_is_printed(stack: LocalStack) -> None:
    body = dict(LEAD, started_at=int((time.time() - 30) * 1000))
    status, _, answer = stack.post_json(body, {"Idempotency-Key": "e2e-1"})
    assert status == 201
    [lead] = [x for x in stored_leads(stack) if x["lead_id"] == answer["lead_id"]]
    assert lead["phone"] == "+12025550166"
    assert stack.wait_for(f"Lead {answer['lead_id']}", 5), stack.output
    notice = stack.output[stack.output.index("STAFF NOTICE") :]
    for value in ("insomnia", "fire", "harper.l@example.org", "+12025550166", "555", "Lindqvist"):
        assert value not in notice

    status, headers, again = stack.post_json(body, {"Idempotency-Key": "e2e-1"})
    assert status == 201 and again["lead_id"] == answer["lead_id"]
    assert headers["Idempotent-Replayed"] == "true"
    time.sleep(1.5)  # give the pump time to (wrongly) print a second notice
    assert stack.output.count(f"Lead {answer['lead_id']}.") == 1


def test_cors_is_real_between_the_demo_page_and_the_api(stack: LocalStack) -> None:
    status, headers, _ = stack.request("OPTIONS", "/leads", headers={"Origin": stack.web_origin})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == stack.web_origin
    status, headers, _ = stack.request(
        "POST", "/leads", b"{}", {"Content-Type": "application/json", "Origin": "http://127.0.0.1:1"}
    )
    assert status == 403 and "Access-Control-Allow-Origin" not in headers


def test_no_lead_gets_a_second_notice_even_after_the_sweepers_grace(stack: LocalStack) -> None:
    """A late duplicate (the sweeper resending what the stream sent) would show only after the grace."""
    status, _, answer = stack.post_json(
        dict(LEAD, email="late.check@example.org", started_at=int((time.time() - 30) * 1000))
    )
    assert status == 201
    assert stack.wait_for(f"Lead {answer['lead_id']}.", 5), stack.output
    leads = stack.wait_past_late_duplicates()
    noticed = stack.notice_counts()
    assert {lead["lead_id"] for lead in leads if lead["status"] != "spam"} == set(noticed)
    assert set(noticed.values()) == {1}, noticed


def test_ctrl_c_stops_everything_and_a_second_run_works() -> None:
    first = LocalStack()
    ports = (first.api_port, first.emulator_port, first.web_port)
    assert first.stop() == 0
    for port in ports:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
    second = LocalStack(ports)  # the same ports: nothing was left holding them
    try:
        status, _, _ = second.request("GET", "/health")
        assert status == 200
    finally:
        second.stop()


def _local_limit() -> int:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return int(config["stages"]["local"]["environment_variables"]["RATE_LIMIT_PER_10_MIN"])


def test_each_local_client_address_is_its_own_client_ip(stack: LocalStack) -> None:
    # GIVEN the local stage's per-client-IP limit, and two clients on two loopback addresses
    limit = _local_limit()

    def person(n: int) -> dict[str, Any]:
        return dict(
            LEAD,
            email=f"client.{n}@example.org",
            message=f"Request {n}: trouble sleeping.",
            started_at=int((time.time() - 30) * 1000),
        )

    # WHEN the first client sends as many leads as the limit allows, and one more
    made = []
    for n in range(limit):
        status, _, answer = stack.post_json(person(n), source="127.0.0.2")
        assert status == 201, answer
        made.append(answer["lead_id"])
    status, headers, _ = stack.post_json(person(limit), source="127.0.0.2")

    # THEN only the first client is limited; the second still gets through
    assert status == 429 and int(headers["Retry-After"]) > 0
    status, _, answer = stack.post_json(person(limit + 1), source="127.0.0.3")
    assert status == 201, answer
    # AND each lead's consent record holds the address it really came from, as behind API Gateway
    ips = {lead["lead_id"]: lead["consent"]["ip"] for lead in stored_leads(stack)}
    assert {ips[lead_id] for lead_id in made} == {"127.0.0.2"}
    assert ips[answer["lead_id"]] == "127.0.0.3"


def test_the_terminal_shows_notices_and_the_log_file_has_the_log_lines(stack: LocalStack) -> None:
    # GIVEN the running stack, which said where its log file is
    assert f"Logs       {stack.log_file}" in stack.output
    # WHEN a lead arrives and its notice is sent
    body = dict(LEAD, email="quiet.terminal@example.org", started_at=int((time.time() - 30) * 1000))
    status, _, answer = stack.post_json(body, {"Idempotency-Key": "e2e-quiet"})
    assert status == 201
    lead_id = answer["lead_id"]
    assert stack.wait_for(f"Lead {lead_id}.", 10), stack.output

    # THEN the terminal shows the notice, and no JSON log line or access line
    terminal = stack.lines
    assert any(line.startswith("STAFF NOTICE") for line in terminal)
    # the link that opens it in this stack's staff inbox
    assert f"http://127.0.0.1:{stack.staff_port}/staff/#lead={lead_id}" in stack.output
    assert [line for line in terminal if line.lstrip().startswith("{")] == []
    assert [line for line in terminal if "HTTP/1.1" in line] == []

    # AND the log file has the API's and the notice pump's JSON lines, and the access lines
    # (this lead's own line: other tests' notices share the stack, and the pump may write it
    # a moment after the terminal shows the notice)
    def logged_events() -> set[tuple[str, str | None]]:
        logged = [json.loads(line) for line in stack.log.splitlines() if line.startswith("{")]
        return {(line["event"], line.get("lead_id")) for line in logged}

    deadline = time.monotonic() + 5
    while ("notice_sent", lead_id) not in logged_events() and time.monotonic() < deadline:
        time.sleep(0.1)
    events = logged_events()
    assert ("lead_received", lead_id) in events
    assert ("notice_sent", lead_id) in events
    assert '"POST /leads HTTP/1.1" 201' in stack.log
