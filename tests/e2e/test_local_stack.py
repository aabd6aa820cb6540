"""`make run`'s stack end to end: HTTP in, emulator table and printed staff notice out."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.store import from_item
from tests.e2e.stack import LocalStack

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
