"""Read a DynamoDB stream and shape its records as Lambda's event source mapping does."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    dynamodb.setdefault("ApproximateCreationDateTime", 0)
    dynamodb.setdefault("SizeBytes", 0)
    return {
        "eventID": record.get("eventID", ""),
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


class StreamReader:
    """Follows every shard of one table's stream from its start."""

    def __init__(self, streams_client: Any, stream_arn: str, region: str) -> None:
        self._client = streams_client
        self._arn = stream_arn
        self._region = region
        self._last: dict[str, str | None] = {}

    def _iterator(self, shard_id: str) -> str:
        # A fresh iterator on every poll, from the last record seen: when a
        # transaction fails (a replay, a duplicate, a rate limit), moto swaps
        # in a copy of the table and its stream, stranding any iterator kept
        # from before, and every later record would be missed.
        last = self._last.get(shard_id)
        if last is None:
            kind: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            kind = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
        return str(self._client.get_shard_iterator(StreamArn=self._arn, ShardId=shard_id, **kind)["ShardIterator"])

    def poll(self, limit: int = 100) -> list[dict[str, Any]]:
        """Return the records added since the last poll, as Lambda records."""
        shards = self._client.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]
        out: list[dict[str, Any]] = []
        for shard in shards:
            sid = shard["ShardId"]
            records = self._client.get_records(ShardIterator=self._iterator(sid), Limit=limit).get("Records", [])
            if records:
                self._last[sid] = records[-1]["dynamodb"]["SequenceNumber"]
            out.extend(_lambda_record(r, self._arn, self._region) for r in records)
        return out

    def events(self, batch_size: int = 25) -> list[dict[str, Any]]:
        """The new records grouped into Lambda events of at most batch_size records."""
        records = self.poll()
        return [{"Records": records[i : i + batch_size]} for i in range(0, len(records), batch_size)]
