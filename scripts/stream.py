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
        self._iterators: dict[str, str | None] = {}

    def poll(self, limit: int = 100) -> list[dict[str, Any]]:
        """Return the records added since the last poll, as Lambda records."""
        shards = self._client.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]
        for shard in shards:
            sid = shard["ShardId"]
            if sid not in self._iterators:
                self._iterators[sid] = self._client.get_shard_iterator(
                    StreamArn=self._arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
        out: list[dict[str, Any]] = []
        for sid, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            response = self._client.get_records(ShardIterator=iterator, Limit=limit)
            self._iterators[sid] = response.get("NextShardIterator")
            out.extend(_lambda_record(r, self._arn, self._region) for r in response.get("Records", []))
        return out

    def events(self, batch_size: int = 25) -> list[dict[str, Any]]:
        """The new records grouped into Lambda events of at most batch_size records."""
        records = self.poll()
        return [{"Records": records[i : i + batch_size]} for i in range(0, len(records), batch_size)]
