"""The daily spam digest's marker, and counting leads, on the lead table (mixed into LeadStore)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.dynamo.calls import ConditionFailed, call
from chalicelib.dynamo.items import DIGEST_PREFIX, key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from chalicelib.leads import Status

SPAM_DIGEST = DIGEST_PREFIX + "spam"


class DigestMarks:
    """One marker item per day and digest: taken with a conditional write, so a digest is sent once."""

    _db: DynamoDBClient
    _table: str

    def count_leads(self, status: Status, since: str | None) -> int:
        """How many leads of this status were created at or after `since` (counted by the index: no item is read)."""
        condition = "#st = :st" + (" AND created_at >= :since" if since is not None else "")
        values: dict[str, Any] = {":st": {"S": status.value}}
        if since is not None:
            values[":since"] = {"S": since}
        total, cursor = 0, None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": "by_status",
                "KeyConditionExpression": condition,
                "ExpressionAttributeNames": {"#st": "status"},
                "ExpressionAttributeValues": values,
                "Select": "COUNT",
            }
            if cursor:
                kwargs["ExclusiveStartKey"] = cursor
            response = call(self._db.query, **kwargs)
            total += int(response.get("Count", 0))
            cursor = response.get("LastEvaluatedKey")
            if not cursor:
                return total

    def spam_digest_taken(self, day: str) -> bool:
        """True if the day's marker holds a sending time (a strongly consistent read of its one item)."""
        answer = call(
            self._db.get_item,
            TableName=self._table,
            Key=key(SPAM_DIGEST, day),
            ProjectionExpression="sent_at",
            ConsistentRead=True,
        )
        return "sent_at" in answer.get("Item", {})

    def claim_spam_digest(self, day: str, *, now: str, expires_at: int) -> bool:
        """Take the one spam digest of a day; False if it was taken already."""
        try:
            call(
                self._db.update_item,
                TableName=self._table,
                Key=key(SPAM_DIGEST, day),
                UpdateExpression="SET sent_at = :now, expires_at = :exp",
                ConditionExpression="attribute_not_exists(sent_at)",
                ExpressionAttributeValues={":now": {"S": now}, ":exp": {"N": str(expires_at)}},
            )
        except ConditionFailed:
            return False
        return True

    def release_spam_digest(self, day: str) -> None:
        """Give a day's spam digest back, so a later sweep sends it."""
        try:
            call(
                self._db.update_item,
                TableName=self._table,
                Key=key(SPAM_DIGEST, day),
                UpdateExpression="REMOVE sent_at",
                ConditionExpression="attribute_exists(sent_at)",
            )
        except ConditionFailed:
            return
