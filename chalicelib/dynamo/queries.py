"""Index queries of the lead table, page by page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from chalicelib.dynamo.calls import call
from chalicelib.dynamo.items import from_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]
Page = tuple[list[Item], Item | None]


def query(
    db: DynamoDBClient,
    table: str,
    index: str,
    key_name: str,
    key_value: str,
    range_name: str,
    upper: str | None = None,
    lower: str | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    cursor: dict[str, Any] | None = None,
) -> Page:
    """One page of an index query, with an optional range on its sort key, and the cursor of the next."""
    condition = "#k = :k"
    values: dict[str, Any] = {":k": {"S": str(key_value)}}
    names = {"#k": key_name}
    if lower is not None and upper is not None:
        condition += " AND #r BETWEEN :lo AND :hi"
        values.update({":lo": {"S": lower}, ":hi": {"S": upper}})
        names["#r"] = range_name
    elif upper is not None:
        condition += " AND #r <= :hi"
        values[":hi"] = {"S": upper}
        names["#r"] = range_name
    elif lower is not None:
        condition += " AND #r >= :lo"
        values[":lo"] = {"S": lower}
        names["#r"] = range_name
    kwargs: dict[str, Any] = {
        "TableName": table,
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": not newest_first,
    }
    if limit:
        kwargs["Limit"] = limit
    if cursor:
        kwargs["ExclusiveStartKey"] = cursor
    response = call(db.query, **kwargs)
    return [from_item(i) for i in response.get("Items", [])], response.get("LastEvaluatedKey")


def iterate(
    db: DynamoDBClient, table: str, index: str, key_name: str, key_value: str, range_name: str, **kw: Any
) -> Iterator[Item]:
    """Every item of an index query, page by page."""
    cursor = None
    while True:
        items, cursor = query(db, table, index, key_name, key_value, range_name, cursor=cursor, **kw)
        yield from items
        if not cursor:
            return
