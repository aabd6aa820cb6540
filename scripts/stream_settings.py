"""After `chalice deploy`: the stream subscription settings Chalice cannot set.

Chalice 1.34's `@app.on_dynamodb_record` sets only the batch size, the
batching window and the starting position of `notify_staff`'s event source
mapping. Left at Lambda's defaults, a batch whose invocation fails is retried
whole until its records expire (24 hours), holding up every later record of
its shard, and every item written to the table (guards, rate counters,
notice updates) invokes the function. This sets, on the mapping Chalice
recorded in `.chalice/deployed/<stage>.json`:

- MaximumRetryAttempts 2, BisectBatchOnFunctionError, MaximumRecordAgeInSeconds
  900: a failing batch is split to isolate the bad record and given up after
  two retries or 15 minutes. Nothing is lost when it is: every lead keeps its
  notice due in the table, and the sweeper sends it (NOTICE_GRACE_SECONDS).
- FilterCriteria: only INSERT records of lead items (`LEAD#...`/`LEAD`)
  invoke the function.

`chalice deploy` updates only the batch settings of an existing mapping, so
these survive redeploys; run this after the first deploy of a stage and
whenever the stream changes. It is idempotent.

    python -m scripts.stream_settings --stage dev
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Only a new lead item: guards, rate counters and notice updates never invoke the function.
LEAD_INSERTS = {
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "LEAD#"}]}, "sk": {"S": ["LEAD"]}}},
}

STREAM_SETTINGS: dict[str, Any] = {
    "MaximumRetryAttempts": 2,
    "BisectBatchOnFunctionError": True,
    "MaximumRecordAgeInSeconds": 900,
    "FilterCriteria": {"Filters": [{"Pattern": json.dumps(LEAD_INSERTS, separators=(",", ":"))}]},
}


class StreamSettingsError(Exception):
    """The subscription cannot be set; the message says why and what to do."""


def deployed_mapping(project_dir: Path, stage: str) -> dict[str, Any]:
    """The stream subscription Chalice recorded for the stage (event_uuid, stream_arn, lambda_arn)."""
    path = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StreamSettingsError(f"cannot read {path} ({exc}); run `chalice deploy --stage {stage}` first") from exc
    mappings = [r for r in record.get("resources", []) if r.get("resource_type") == "dynamodb_event"]
    if len(mappings) != 1:
        raise StreamSettingsError(f"{path} records {len(mappings)} stream subscriptions, expected one")
    mapping: dict[str, Any] = mappings[0]
    return mapping


def configured_stream(project_dir: Path, stage: str) -> str:
    """The stage's LEADS_STREAM_ARN in .chalice/config.json (written by `make configure`)."""
    config = json.loads((project_dir / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return str(config.get("stages", {}).get(stage, {}).get("environment_variables", {}).get("LEADS_STREAM_ARN", ""))


def apply(lambda_client: Any, project_dir: Path, stage: str) -> dict[str, Any]:
    """Set the retry limits and filter on the stage's subscription; return the mapping as Lambda reports it."""
    recorded = deployed_mapping(project_dir, stage)
    uuid = recorded["event_uuid"]
    current = lambda_client.get_event_source_mapping(UUID=uuid)
    wanted_stream = configured_stream(project_dir, stage)
    if wanted_stream and current["EventSourceArn"] != wanted_stream:
        # Chalice keeps an existing mapping on the stream it was made for,
        # even when LEADS_STREAM_ARN changed (a re-enabled stream has a new ARN).
        raise StreamSettingsError(
            f"the subscription {uuid} reads {current['EventSourceArn']}, not the stage's stream {wanted_stream}. "
            f"Remove it (aws lambda delete-event-source-mapping --uuid {uuid}), run "
            f"`chalice deploy --stage {stage}` again (it subscribes the new stream), then run this again"
        )
    lambda_client.update_event_source_mapping(UUID=uuid, **STREAM_SETTINGS)
    updated: dict[str, Any] = lambda_client.get_event_source_mapping(UUID=uuid)
    return updated


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--stage", required=True, help="the Chalice stage just deployed (dev, prod, ...)")
    parser.add_argument("--region", help="AWS region (default: from the environment)")
    parser.add_argument("--project-dir", type=Path, default=ROOT, help="Chalice project (default: this repository)")
    args = parser.parse_args(argv)
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("lambda", region_name=args.region) if args.region else boto3.client("lambda")
    try:
        mapping = apply(client, args.project_dir, args.stage)
    except StreamSettingsError as exc:
        print(f"stream-settings: {exc}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as exc:
        print(f"stream-settings: AWS refused or could not be reached: {exc}", file=sys.stderr)
        return 1
    print(
        f"notify_staff's stream subscription {mapping['UUID']}: at most {mapping.get('MaximumRetryAttempts')} retries, "
        f"records older than {mapping.get('MaximumRecordAgeInSeconds')} s left to the sweeper, "
        f"failing batches split, only new leads delivered."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
