"""Tools for the fault and abuse tests: a movable clock, AWS faults, DynamoDB call counts, EMF lines."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.awsrequest import AWSResponse

ACCOUNT = "123456789012"
REGION = "us-east-1"

# A Monday afternoon, well inside one UTC day and one 10-minute window.
START = datetime(2026, 3, 2, 15, 0, 0, tzinfo=UTC)


class Clock:
    """Deps.clock that only moves when a test moves it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move time forward and return the new now."""
        self.now += timedelta(**delta)
        return self.now

    def epoch_ms(self, seconds_ago: float = 0) -> int:
        """The clock's time (minus some seconds) as epoch milliseconds, as the form sends started_at."""
        return int((self.now.timestamp() - seconds_ago) * 1000)


def lead_body(clock: Clock, n: int = 0, **changes: Any) -> dict[str, Any]:
    """A valid submission (distinct for each n) whose form was shown a minute before the clock's now."""
    from tests.conftest import valid_lead

    body = {"message": f"Question {n}: what does a first visit involve?", "started_at": clock.epoch_ms(60)}
    body.update(changes)
    return valid_lead(**body)


def submit(deps: Any, clock: Clock, n: int = 0, **changes: Any) -> str:
    """Submit lead n through the service, from its own client IP; returns the lead id."""
    from chalicelib.service import RequestMeta, submit_lead

    meta = RequestMeta(source_ip=f"192.0.2.{n % 250 + 1}", user_agent="Mozilla/5.0 (test)")
    return str(submit_lead(lead_body(clock, n, **changes), meta, deps).body["lead_id"])


def aws_error(code: str, operation: str, status: int = 400, **extra: Any) -> tuple[AWSResponse, dict[str, Any]]:
    """What a before-call hook returns to make a call fail the way AWS answers it."""
    parsed = {
        "Error": {"Code": code, "Message": f"injected {code}"},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **extra,
    }
    return AWSResponse(f"https://aws.invalid/{operation}", status, {}, None), parsed


@dataclass
class Fault:
    """Makes one operation of one boto3 client fail while `active`; counts every attempt.

    `answer` builds the failure: an (http, parsed) pair from aws_error, or it
    raises (a BotoCoreError for "no connection", anything else for a crash).
    """

    client: Any
    operation: str
    answer: Callable[[int], Any]
    active: bool = True
    calls: int = 0
    failures: int = 0
    _event: str = field(default="", init=False)

    def __post_init__(self) -> None:
        service = self.client.meta.service_model.service_id.hyphenize()
        self._event = f"before-call.{service}.{self.operation}"
        self.client.meta.events.register(self._event, self._hook)

    def _hook(self, **_: Any) -> Any:
        self.calls += 1
        if not self.active:
            return None
        self.failures += 1
        return self.answer(self.calls)

    def remove(self) -> None:
        """Stop intercepting the operation."""
        self.client.meta.events.unregister(self._event, self._hook)


@contextmanager
def aws_calls(client: Any) -> Iterator[list[str]]:
    """Record every API call a boto3 client makes, as 'service.Operation'."""
    names: list[str] = []

    def record(event_name: str, **_: Any) -> None:
        names.append(event_name.removeprefix("before-call."))

    client.meta.events.register("before-call.*.*", record)
    try:
        yield names
    finally:
        client.meta.events.unregister("before-call.*.*", record)


class ShardReader:
    """Reads a moto table's stream records straight from its shard, in order.

    The records are the ones GetRecords returns (moto's StreamRecord), shaped
    into Lambda events by the same code as the local pump (scripts/stream.py).
    Going around the GetRecords API skips only moto's response serialiser,
    which costs about 20 ms a record: the 1,400 records of 200 leads would
    take half a minute to read that way.
    """

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.position = 0

    def events(self, batch_size: int = 25) -> list[dict[str, Any]]:
        """The records added since the last call, as Lambda events of at most batch_size records."""
        from moto.dynamodb.models import dynamodb_backends

        from scripts.stream import _lambda_record

        table = dynamodb_backends[ACCOUNT][REGION].get_table(self.stack.table)
        records = table.stream_shard.items[self.position :]
        self.position += len(records)
        shaped = [_lambda_record(r.to_json(), self.stack.stream_arn, REGION) for r in records]
        return [{"Records": shaped[i : i + batch_size]} for i in range(0, len(shaped), batch_size)]


def drain(client: Any, stack: Any, reader: ShardReader | None = None) -> ShardReader:
    """Deliver every new stream record to notify_staff, batch after batch, as Lambda would."""
    reader = reader or ShardReader(stack)
    while events := reader.events():
        for event in events:
            client.lambda_.invoke("notify_staff", event)
    return reader


_LEAD_IN_NOTICE = re.compile(r"Lead ([0-9A-HJKMNP-TV-Z]{26})\.")


def noticed(stack: Any, event: str = "new_lead") -> Counter[str]:
    """How many notices of one kind staff received for each lead id."""
    counts: Counter[str] = Counter()
    for notice in stack.notices():
        if notice["attributes"].get("event") == event:
            match = _LEAD_IN_NOTICE.search(notice["texts"]["sms"])
            assert match, notice["texts"]["sms"]
            counts[match.group(1)] += 1
    return counts


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every JSON object line in captured output."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def emf_lines(text: str) -> list[dict[str, Any]]:
    """The CloudWatch embedded-metric-format lines in captured output."""
    return [line for line in json_lines(text) if "_aws" in line]


def metric_total(lines: list[dict[str, Any]], name: str) -> int:
    """What CloudWatch would sum for one metric over these EMF lines."""
    total = 0
    for line in lines:
        declared = {m["Name"] for block in line["_aws"]["CloudWatchMetrics"] for m in block["Metrics"]}
        if name in declared:
            total += int(line[name])
    return total


def acknowledge(deps: Any, lead_id: str, by: str, how: str = "view") -> None:
    """A staff member first opens (`view`) or claims (`claim`) a lead, through the staff action the inbox calls.

    That records who and when (the first one wins) and removes the lead's
    `ack_due_at` in the same write, so nothing more is escalated.
    """
    from chalicelib.staff import actions

    actor = actions.Actor(username=by, role="clinician", source_ip="")
    if how == "claim":
        actions.claim(lead_id, deps, actor)
    else:
        actions.view_lead(lead_id, deps, actor)
