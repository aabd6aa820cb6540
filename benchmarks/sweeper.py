"""The sweeper's cost per run against the size of the lead table: CPU and DynamoDB reads, against moto server.

    python -m benchmarks.sweeper                      # 10, 1,000 and 10,000 leads; prints one JSON object
    python -m benchmarks.sweeper --sizes 10,200 --runs 3

For each size a fresh stage of infra/stack.yaml is deployed into moto server
(scripts/emulator.py, in its own process) and filled with that many leads:
most of them worked or acknowledged long ago (no clock), a tenth spam, and a
handful waiting (three urgent and two normal leads, all due). Each run puts
the handful back in the state "due now" (not measured), then calls the
scheduled `sweeper` handler of app.py once, as Lambda does, and measures:

- CPU time of this process (`time.process_time`): the app, boto3 and
  botocore, as the Lambda pays for them; moto's own work is in the other
  process, so a table scan in the emulator cannot hide in the figure;
- DynamoDB calls by operation and the items each Query read (its
  ScannedCount, what DynamoDB bills a Query by), with botocore hooks;
- notices published (each run sends three escalations and two reminders).

For contrast, it also counts the items the query of the 24-hour reminder
this replaced would read (every `new` lead older than a day, from the
by_status index): that one grows with the table.

Runs in its own interpreter (benchmarks/run.py starts it), because the warm
measurement there replaces botocore's clients with stubs.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
SIZES = (10, 1_000, 10_000)
WAITING = {"urgent": 3, "normal": 2}
# A Monday, 10:00 in New York: inside the default clinic hours.
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def emulator() -> Iterator[str]:
    """moto server in its own process; yields its endpoint URL."""
    port = _free_port()
    # Each process on a CPU of its own, where there are two: the emulator's
    # scans of a large table would otherwise preempt the measured process on
    # its CPU and leave its caches cold, which shows as more of *its* CPU time.
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    apart = len(cpus) >= 2
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.emulator", "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus[1:])) if apart else None,
    )
    if apart:
        os.sched_setaffinity(0, cpus[:1])
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("moto server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _environment(url: str) -> None:
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ACCESS_KEY_ID="benchmark",
        AWS_SECRET_ACCESS_KEY="benchmark",
        AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
        AWS_EC2_METADATA_DISABLED="true",
    )


def deploy(stage: str) -> dict[str, str]:
    """Deploy infra/stack.yaml as stage `stage`; its outputs."""
    import boto3

    from scripts.staff_pool import emulator_template

    cfn = boto3.client("cloudformation")
    name = f"next-steps-{stage}"
    cfn.create_stack(
        StackName=name,
        TemplateBody=emulator_template((ROOT / "infra" / "stack.yaml").read_text()),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}],
    )
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def _lead(n: int, created: datetime, **extra: Any) -> dict[str, Any]:
    """A stored lead as the API writes it (the fields a real one has; the words do not matter here)."""
    from chalicelib.service import iso

    return {
        "lead_id": f"01KBENCH{n:018d}",
        "created_at": iso(created),
        "status": "new",
        "priority": "normal",
        "first_name": "Avery",
        "last_name": "Quill",
        "email": f"avery{n}@example.org",
        "phone": "+12025550143",
        "preferred_contact": "phone",
        "best_time": "evening",
        "service": "consultation",
        "message": "Years of nightmares since the accident; two SSRIs did nothing. " * 3,
        "language": "en",
        "consent": {"contact": True, "text": False, "notice_version": "2026-01", "at": iso(created)},
        "notice_state": "sent",
        "notice_attempts": 1,
        **extra,
    }


def background(n: int) -> dict[str, Any]:
    """Lead n of the table's bulk: none of them waits for anything."""
    from chalicelib.service import iso

    created = NOW - timedelta(days=2, minutes=n)
    kind = n % 10
    if kind == 0:
        return _lead(n, created, status="spam", notice_state="suppressed")
    if kind < 5:  # new, but acknowledged (a staff member opened it)
        return _lead(n, created, acknowledged_at=iso(created + timedelta(minutes=4)), acknowledged_by="casey")
    if kind < 8:
        return _lead(n, created, status="contacted", acknowledged_at=iso(created + timedelta(minutes=4)))
    return _lead(n, created, status="closed", acknowledged_at=iso(created + timedelta(minutes=4)))


def waiting() -> list[dict[str, Any]]:
    """The handful of leads nobody has opened, each due now."""
    from chalicelib.service import iso

    due = iso(NOW - timedelta(seconds=30))
    priorities = [priority for priority, count in WAITING.items() for _ in range(count)]
    return [
        _lead(900_000_000 + i, NOW - timedelta(minutes=40), priority=priority, ack_due_at=due)
        for i, priority in enumerate(priorities)
    ]


def fill(table: str, size: int) -> None:
    """Write `size` leads (the handful waiting among them) with BatchWriteItem."""
    import boto3

    from chalicelib.dynamo.items import lead_item

    db = boto3.client("dynamodb")
    handful = waiting()
    items = [lead_item(background(n), []) for n in range(size - len(handful))]
    items += [lead_item(lead, []) for lead in handful]
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        db.batch_write_item(RequestItems={table: batch})


def reset_waiting(table: str) -> None:
    """Put the handful back: due now, nothing sent yet."""
    import boto3

    from chalicelib.dynamo.items import lead_item

    db = boto3.client("dynamodb")
    for lead in waiting():
        db.put_item(TableName=table, Item=lead_item(lead, []))


# Every call is made to last this long (wall time) before the sweeper goes on.
# DynamoDB answers a Query in milliseconds whatever the table's size; moto
# scans the table, so its answers slow down as it grows (about 20 ms at 10,000
# leads). A process that waits longer wakes with colder caches and spends more
# CPU on the same work (a 20 ms sleep after each Query adds about 3.5 ms to a
# sweep of 10 leads), which would be charged to the sweeper. With every call
# padded to the same length, each size waits alike.
CALL_MS = 80


class Meter:
    """Counts one client's DynamoDB and SNS calls and the items each Query read; pads each call to CALL_MS."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_read = 0
        self.slow_calls = 0  # calls that took longer than CALL_MS: the padding did not equalise them
        self._started = 0.0

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self._call)
        client.meta.events.register("after-call.dynamodb.Query", self._query)
        client.meta.events.register("after-call.*.*", self._pad)

    def _call(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1
        self._started = time.monotonic()

    def _pad(self, **_: Any) -> None:
        left = self._started + CALL_MS / 1000 - time.monotonic()
        if left > 0:
            time.sleep(left)
        else:
            self.slow_calls += 1

    def _query(self, parsed: dict[str, Any], **_: Any) -> None:
        self.items_read += int(parsed.get("ScannedCount", parsed.get("Count", 0)))

    def reset(self) -> None:
        self.calls.clear()
        self.items_read = 0


def old_reminder_reads(table: str) -> int:
    """Items the 24-hour reminder's by_status query (every new lead over a day old) would read now."""
    import boto3

    from chalicelib.service import iso

    db = boto3.client("dynamodb")
    read, cursor = 0, None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": table,
            "IndexName": "by_status",
            "KeyConditionExpression": "#s = :new AND created_at <= :cutoff",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":new": {"S": "new"}, ":cutoff": {"S": iso(NOW - timedelta(hours=24))}},
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = cursor
        page = db.query(**kwargs)
        read += int(page["ScannedCount"])
        cursor = page.get("LastEvaluatedKey")
        if not cursor:
            return read


def measure_size(size: int, runs: int) -> dict[str, Any]:
    """Deploy a stage, fill it with `size` leads, and run the sweeper `runs` times (plus one unmeasured)."""
    import boto3

    from chalicelib import runtime
    from chalicelib.notices import SnsPublisher
    from chalicelib.service import Deps
    from chalicelib.settings import Settings
    from chalicelib.store import LeadStore

    stage = f"bench{size}"
    outputs = deploy(stage)
    table = outputs["TableName"]
    fill(table, size)
    meter = Meter()
    dynamodb = boto3.client("dynamodb")
    sns = boto3.client("sns")
    meter.attach(dynamodb)
    meter.attach(sns)
    settings = Settings.from_env({"STAGE": stage, "LEADS_TABLE": table, "STAFF_TOPIC_ARN": outputs["TopicArn"]})
    runtime.use(
        Deps(
            store=LeadStore(dynamodb, table),
            settings=settings,
            publisher_factory=lambda: SnsPublisher(sns, outputs["TopicArn"]),
            clock=lambda: NOW,
        )
    )
    from app import sweeper

    event = {"version": "0", "id": "bench", "detail-type": "Scheduled Event", "source": "aws.events"}
    event.update({"account": "123456789012", "time": NOW.isoformat(), "region": REGION, "resources": [], "detail": {}})
    cpu: list[float] = []
    idle: list[float] = []
    busy_calls: Counter[str] = Counter()
    idle_calls: Counter[str] = Counter()
    reads = {"busy": 0, "idle": 0}
    for run in range(runs + 1):
        reset_waiting(table)
        meter.reset()
        start = time.process_time()
        tally = sweeper(event, None)
        spent = (time.process_time() - start) * 1000
        if (tally["escalations"], tally["reminders"]) != (WAITING["urgent"], WAITING["normal"]):
            raise RuntimeError(f"the sweep did not nudge the handful waiting: {tally}")
        if run:
            cpu.append(spent)
            busy_calls, reads["busy"] = Counter(meter.calls), meter.items_read
        # The same sweep a minute later: the handful were nudged, nothing is due.
        meter.reset()
        start = time.process_time()
        tally = sweeper(event, None)
        spent = (time.process_time() - start) * 1000
        if tally["escalations"] or tally["reminders"]:
            raise RuntimeError(f"an idle sweep sent something: {tally}")
        if run:
            idle.append(spent)
            idle_calls, reads["idle"] = Counter(meter.calls), meter.items_read
    runtime.reset()
    return {
        "leads": size,
        "waiting": sum(WAITING.values()),
        "cpu_ms": statistics.median(cpu),
        "cpu_runs_ms": [round(c, 3) for c in cpu],
        "calls": dict(sorted(busy_calls.items())),
        "items_read": reads["busy"],
        "idle_cpu_ms": statistics.median(idle),
        "idle_calls": dict(sorted(idle_calls.items())),
        "idle_items_read": reads["idle"],
        "calls_over_padding": meter.slow_calls,
        "old_reminder_items_read": old_reminder_reads(table),
    }


def measure(sizes: tuple[int, ...] = SIZES, runs: int = 15) -> dict[str, Any]:
    """Every size against one emulator; the figures, and the CPU ratio of each size to the smallest."""
    with emulator() as url:
        _environment(url)
        sys.stdout, real = open(os.devnull, "w"), sys.stdout  # the app's log lines
        try:
            by_size = [measure_size(size, runs) for size in sizes]
        finally:
            sys.stdout.close()
            sys.stdout = real
    smallest = by_size[0]
    for row in by_size:
        row["cpu_ratio"] = row["cpu_ms"] / smallest["cpu_ms"]
        row["idle_cpu_ratio"] = row["idle_cpu_ms"] / smallest["idle_cpu_ms"]
    return {"runs": runs, "sizes": by_size}


def main(argv: list[str] | None = None) -> int:
    """Print the figures as one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="leads in the table, comma-separated")
    parser.add_argument("--runs", type=int, default=15, help="measured sweeps per size (default 15)")
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    print(json.dumps(measure(sizes, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
