"""Per-IP rate limits: 5 per 10 minutes and 20 per day by default; over the limit, 429 with Retry-After."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.service import RateLimited, RequestMeta, submit_lead
from chalicelib.settings import Settings
from tests.abuse.conftest import assert_problem
from tests.conftest import leads, post, table_items
from tests.reliability.support import START, lead_body


def from_ip(deps, clock, n, ip):
    return submit_lead(lead_body(clock, n), RequestMeta(source_ip=ip), deps)


def test_the_sixth_submission_in_ten_minutes_gets_429_with_retry_after_and_stores_nothing(client, aws, deps, clock):
    # GIVEN five leads from the test client's address (127.0.0.1) since 15:00, the last at 15:03:20
    for n in range(5):
        assert post(client, lead_body(clock, n)).status_code == 201
        clock.advance(seconds=50)
    before = table_items(aws.table)

    # WHEN a sixth arrives in the same ten minutes
    answer = post(client, lead_body(clock, 5))

    # THEN it is refused with 429, problem JSON, and Retry-After: the seconds until the window ends (15:10)
    assert clock.now == START + timedelta(seconds=250)
    assert_problem(answer, 429)
    assert answer.headers["Retry-After"] == "350"
    assert answer.headers["Access-Control-Allow-Origin"] == "https://clinic.example"
    # AND nothing was stored for it, not even a count
    assert table_items(aws.table) == before
    assert len(leads(aws.table)) == 5
    # AND the counts are kept in the table under a hash of the address (never the address), expiring by TTL
    counters = sorted((c["hits"], c["expires_at"]) for c in table_items(aws.table, "RATE#"))
    window_end, day_end = START + timedelta(minutes=10), START.replace(hour=0) + timedelta(days=1)
    assert counters == [(5, int(window_end.timestamp())), (5, int(day_end.timestamp()))]
    assert "127.0.0.1" not in repr(table_items(aws.table, "RATE#"))


def test_another_ip_is_unaffected_and_the_limit_lifts_when_the_window_ends(client, aws, deps, clock):
    # GIVEN one address at its limit
    for n in range(5):
        from_ip(deps, clock, n, "203.0.113.5")
    with pytest.raises(RateLimited):
        from_ip(deps, clock, 5, "203.0.113.5")

    # WHEN another address submits, and the first tries again in the next window
    other = from_ip(deps, clock, 6, "203.0.113.6")
    clock.now = START + timedelta(minutes=10)
    later = from_ip(deps, clock, 7, "203.0.113.5")

    # THEN both are accepted
    assert not other.replayed and not later.replayed
    assert len(leads(aws.table)) == 7


def test_the_twenty_first_submission_in_a_day_waits_until_midnight_utc(client, aws, deps, clock):
    # GIVEN twenty leads from one address, five in each of four ten-minute windows
    for n in range(20):
        clock.now = START + timedelta(minutes=10 * (n // 5), seconds=n % 5)
        from_ip(deps, clock, n, "198.51.100.40")

    # WHEN it sends another in a fresh window
    clock.now = START + timedelta(minutes=40)

    # THEN it is told to come back at midnight UTC (8 h 20 min later), and nothing is stored
    with pytest.raises(RateLimited) as refused:
        from_ip(deps, clock, 20, "198.51.100.40")
    assert refused.value.retry_after == 8 * 3600 + 20 * 60
    assert len(leads(aws.table)) == 20
    # AND the next day it is welcome again
    clock.now = START.replace(hour=0) + timedelta(days=1)
    from_ip(deps, clock, 21, "198.51.100.40")
    assert len(leads(aws.table)) == 21


def test_a_retry_of_an_accepted_submission_is_replayed_not_refused_at_the_limit(client, aws, deps, clock):
    # GIVEN five accepted submissions, the last sent with an idempotency key
    for n in range(4):
        post(client, lead_body(clock, n))
    body = lead_body(clock, 4)
    first = post(client, body, {"Idempotency-Key": "retry-after-timeout"})

    # WHEN the browser retries that one (its answer was lost), at the limit
    retry = post(client, body, {"Idempotency-Key": "retry-after-timeout"})

    # THEN it gets its first answer again, not a 429
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json_body == first.json_body


def test_limits_are_stage_settings(client, aws, deps, clock):
    # GIVEN the defaults, and a stage that allows two per ten minutes
    assert (Settings().rate_limit_window, Settings().rate_limit_day) == (5, 20)
    env = {"RATE_LIMIT_PER_10_MIN": "2", "RATE_LIMIT_PER_DAY": "3"}
    assert (Settings.from_env(env).rate_limit_window, Settings.from_env(env).rate_limit_day) == (2, 3)
    deps.settings = replace(deps.settings, rate_limit_window=2)

    # WHEN three arrive from one address
    answers = [post(client, lead_body(clock, n)).status_code for n in range(3)]

    # THEN the third is refused
    assert answers == [201, 201, 429]
