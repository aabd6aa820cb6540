"""Concurrent submissions: one key means one lead and one notice; distinct ones all land."""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from chalicelib import http
from scripts.emulator import atomic_moto_dynamodb
from tests.conftest import leads, valid_lead
from tests.reliability.support import drain, noticed


@dataclass
class EdgeRequest:
    """What the web edge reads from a Chalice request, for calling it from many threads.

    Chalice keeps the current request on the app object (one request per
    Lambda container), so threads call the edge function with their own
    request instead of going through app.current_request.
    """

    body: dict[str, Any]
    source_ip: str
    key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.headers = {"content-type": "application/json", "origin": "https://clinic.example"}
        if self.key:
            self.headers["idempotency-key"] = self.key
        self.raw_body = json.dumps(self.body).encode()
        self.context = {"identity": {"sourceIp": self.source_ip}}


def run_together(requests: list[EdgeRequest], deps: Any, workers: int) -> list[Any]:
    """POST every request from `workers` threads, the first of them released at the same instant."""
    start = threading.Event()

    def send(request: EdgeRequest) -> Any:
        start.wait()
        return http.guarded(lambda: http.post_leads(request, deps))

    with atomic_moto_dynamodb(), ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(send, request) for request in requests]
        start.set()
        return [future.result() for future in futures]


def test_fifty_concurrent_submissions_with_one_key_make_one_lead_and_one_notice(client, aws, deps):
    # GIVEN one visitor's submission sent 50 times at once with the same key, from one IP
    body = valid_lead()
    requests = [EdgeRequest(body, "203.0.113.9", key="3f0c9a51-double-click") for _ in range(50)]

    # WHEN they all arrive together
    answers = run_together(requests, deps, workers=50)

    # THEN every answer is a 201 naming the same lead; one is the original, 49 are flagged replays
    assert Counter(a.status_code for a in answers) == {201: 50}
    lead_ids = {json.loads(a.body)["lead_id"] for a in answers}
    assert len(lead_ids) == 1
    replayed = Counter(a.headers.get("Idempotent-Replayed") for a in answers)
    assert replayed == {None: 1, "true": 49}
    # AND exactly one lead is stored, and staff get exactly one notice
    stored = leads(aws.table)
    assert [lead["lead_id"] for lead in stored] == list(lead_ids)
    drain(client, aws)
    assert noticed(aws) == {stored[0]["lead_id"]: 1}
    assert len(aws.notices()) == 1


def test_two_hundred_concurrent_distinct_submissions_make_two_hundred_leads_and_notices(client, aws, deps):
    # GIVEN 200 different people submitting at the same moment, each from their own network
    requests = [
        EdgeRequest(
            valid_lead(first_name=f"Visitor{i}", message=f"Question number {i} about infusions."),
            f"198.51.{i // 100}.{i % 100 + 1}",
            key=f"key-{i:03d}",
        )
        for i in range(200)
    ]

    # WHEN they all arrive together
    answers = run_together(requests, deps, workers=50)

    # THEN each gets its own 201 and lead id, none a replay
    assert Counter(a.status_code for a in answers) == {201: 200}
    assert not [a for a in answers if a.headers.get("Idempotent-Replayed")]
    lead_ids = [json.loads(a.body)["lead_id"] for a in answers]
    assert len(set(lead_ids)) == 200
    # AND 200 leads are stored, and staff get 200 notices, one per lead
    assert sorted(lead["lead_id"] for lead in leads(aws.table)) == sorted(lead_ids)
    drain(client, aws)
    assert noticed(aws) == dict.fromkeys(lead_ids, 1)
    assert len(aws.notices()) == 200
