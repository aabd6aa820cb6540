"""A write that lands but whose answer times out: the visitor is told the truth, and any retry finds the lead."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import leads, post
from tests.reliability.support import drain, lead_body, noticed

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://clinic.example"}
UNSURE = "We could not confirm your request was received. Sending it again is safe and will not make a second request."


class StalledAfterWrite:
    """DynamoDB applies each TransactWriteItems, then the answer never arrives (a read timeout).

    The hook runs after moto has handled the request, as a stalled network
    would lose the answer of a write DynamoDB already made; botocore sees a
    ReadTimeoutError and retries as the app's client is configured to.
    """

    def __init__(self, client: Any) -> None:
        self.active = True
        self.limit: int | None = None  # lose only this many answers (None: every one while active)
        self.timeouts = 0
        client.meta.events.register("before-send", self._hook)

    def _hook(self, request: Any, **_: Any) -> None:
        from botocore.exceptions import ReadTimeoutError

        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        within = self.limit is None or self.timeouts < self.limit
        if self.active and within and target.endswith(".TransactWriteItems"):
            self.timeouts += 1
            raise ReadTimeoutError(endpoint_url=request.url)


@pytest.fixture
def stalled(deps: Any, aws: Any) -> Iterator[StalledAfterWrite]:
    """The store's DynamoDB client as the app builds it (timeouts, retries), stalling after each write."""
    from chalicelib import runtime
    from chalicelib.store import LeadStore

    client = runtime._client("dynamodb")
    deps.store = LeadStore(client, aws.table)
    yield StalledAfterWrite(client)


def form_body() -> bytes:
    return urlencode(
        {
            "first_name": "Rowan",
            "phone": "202-555-0177",
            "preferred_contact": "phone",
            "consent_to_contact": "on",
            "message": "Is there a waiting list for KAP?",
            "website": "",
        }
    ).encode()


@pytest.mark.parametrize("keyed", [True, False], ids=["same-key", "no-key-identical"])
def test_a_write_whose_answer_timed_out_says_so_and_the_retry_lands_on_the_stored_lead(
    client: Any, aws: Any, deps: Any, clock: Any, stalled: StalledAfterWrite, keyed: bool
) -> None:
    # GIVEN DynamoDB stores the lead but its answer never comes back
    body = lead_body(clock)
    headers = {"Idempotency-Key": "c0ffee-form-load"} if keyed else {}

    # WHEN the visitor submits
    answer = post(client, body, headers)

    # THEN they are told calmly that it may have arrived and that sending again is safe, not that nothing was saved
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0
    assert answer.json_body["detail"].startswith(UNSURE)
    assert "Nothing was saved" not in answer.body.decode()
    [stored] = leads(aws.table)
    assert stalled.timeouts >= 2  # botocore retried before giving up

    # WHEN DynamoDB answers again and they send the same submission once more (the form's retry, or Back and Send)
    stalled.active = False
    clock.advance(seconds=20)
    retry = post(client, body, headers)

    # THEN they get the stored lead's answer: one lead, one notice
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json_body["lead_id"] == stored["lead_id"]
    drain(client, aws)
    assert [lead["lead_id"] for lead in leads(aws.table)] == [stored["lead_id"]]
    assert noticed(aws) == {stored["lead_id"]: 1}


def test_a_form_post_whose_write_timed_out_gets_a_page_and_sending_again_lands_on_the_lead(
    client: Any, aws: Any, deps: Any, clock: Any, stalled: StalledAfterWrite
) -> None:
    # GIVEN a browser without JavaScript, and DynamoDB that stores the lead but never answers
    answer = post(client, None, FORM, raw=form_body())

    # THEN the page says the outcome is unknown and that sending again is safe
    assert answer.status_code == 503
    assert answer.headers["Content-Type"].startswith("text/html")
    page = answer.body.decode()
    assert "could not confirm your request was received" in page and "Sending it again is safe" in page
    assert "Nothing was saved" not in page
    [stored] = leads(aws.table)

    # WHEN they go Back and send the same form again
    stalled.active = False
    clock.advance(seconds=30)
    again = post(client, None, FORM, raw=form_body())

    # THEN they land on the thank-you page, and there is one lead, notified once
    assert again.status_code == 303
    assert again.headers["Idempotent-Replayed"] == "true"
    drain(client, aws)
    assert [lead["lead_id"] for lead in leads(aws.table)] == [stored["lead_id"]]
    assert noticed(aws) == {stored["lead_id"]: 1}


def test_one_lost_answer_retried_by_the_client_is_the_stored_lead_not_a_second_one(
    client: Any, aws: Any, deps: Any, clock: Any, stalled: StalledAfterWrite
) -> None:
    # GIVEN DynamoDB stores the lead, loses that one answer, then answers botocore's own retry
    stalled.limit = 1

    # WHEN the visitor submits
    answer = post(client, lead_body(clock), {"Idempotency-Key": "lost-once"})

    # THEN they are answered with the lead that was stored: one lead, one notice
    assert stalled.timeouts == 1
    assert answer.status_code == 201
    [stored] = leads(aws.table)
    assert answer.json_body["lead_id"] == stored["lead_id"]
    # AND it is their first answer, not a replay: this request's own write landed
    assert "Idempotent-Replayed" not in answer.headers
    drain(client, aws)
    assert noticed(aws) == {stored["lead_id"]: 1}
