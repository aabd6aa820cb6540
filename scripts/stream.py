"""Read a DynamoDB stream and shape its records as Lambda's event source mapping does."""

from __future__ import annotations

from collections import OrderedDict
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
    """Follows every shard of one table's stream (in moto) from its start, each record once."""

    # moto handles a failed transaction (a replay, a duplicate, a rate limit)
    # by putting back a copy of the table taken before it, stream included:
    # an iterator kept from before is stranded, and a write that landed in
    # between is undone, so its sequence number is handed out again to the
    # next record. Each poll therefore starts a fresh iterator a little before
    # the last record seen and skips the records (by event id) already read.
    REREAD = 50
    SEEN_MAX = 5000

    def __init__(self, streams_client: Any, stream_arn: str, region: str) -> None:
        self._client = streams_client
        self._arn = stream_arn
        self._region = region
        self._last: dict[str, int] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()

    def _iterator(self, shard: dict[str, Any]) -> str:
        sid = shard["ShardId"]
        first = int(shard["SequenceNumberRange"]["StartingSequenceNumber"])
        if sid in self._last:
            at = max(first, self._last[sid] - self.REREAD)
            kind: dict[str, str] = {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": str(at)}
        else:
            kind = {"ShardIteratorType": "TRIM_HORIZON"}
        return str(self._client.get_shard_iterator(StreamArn=self._arn, ShardId=sid, **kind)["ShardIterator"])

    def _is_new(self, record: dict[str, Any]) -> bool:
        event_id = str(record.get("eventID") or "")
        if not event_id:
            return True
        if event_id in self._seen:
            return False
        self._seen[event_id] = None
        if len(self._seen) > self.SEEN_MAX:
            self._seen.popitem(last=False)
        return True

    def poll(self, limit: int = 100) -> list[dict[str, Any]]:
        """Return the records added since the last poll, as Lambda records."""
        shards = self._client.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]
        out: list[dict[str, Any]] = []
        for shard in shards:
            iterator: str | None = self._iterator(shard)
            while iterator:
                response = self._client.get_records(ShardIterator=iterator, Limit=limit)
                records = response.get("Records", [])
                if not records:
                    break
                self._last[shard["ShardId"]] = int(records[-1]["dynamodb"]["SequenceNumber"])
                out.extend(_lambda_record(r, self._arn, self._region) for r in records if self._is_new(r))
                iterator = response.get("NextShardIterator")
        return out

    def events(self, batch_size: int = 25) -> list[dict[str, Any]]:
        """The new records grouped into Lambda events of at most batch_size records."""
        records = self.poll()
        return [{"Records": records[i : i + batch_size]} for i in range(0, len(records), batch_size)]
