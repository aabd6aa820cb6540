"""The acknowledgement clock in the lead table: the sparse by_ack_due index and the escalation claims.

A lead carries `ack_due_at` only while it waits for staff and something is
still due (the staff actions remove it when they acknowledge the lead), so
the by_ack_due index (priority, ack_due_at) holds the waiting leads alone:
what the sweeper reads does not grow with the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.dynamo.calls import ConditionFailed, call
from chalicelib.dynamo.items import LEAD_PREFIX, attribute, from_item, lead_key
from chalicelib.dynamo.queries import iterate
from chalicelib.leads import Priority, Status
from chalicelib.ports import WaitingLead

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ACK_INDEX = "by_ack_due"
_NAMES = {"#due": "ack_due_at", "#esc": "escalations", "#st": "status", "#ack": "acknowledged_at"}
# Still waiting: new and not acknowledged (the staff actions' first-acknowledgement attribute).
_WAITING = "attribute_exists(pk) AND #st = :new AND attribute_not_exists(#ack)"


def awaiting(db: DynamoDBClient, table: str, now: str) -> list[WaitingLead]:
    """Every lead due at or before `now` in the index, urgent first, each priority soonest first."""
    found = []
    for priority in (Priority.URGENT, Priority.NORMAL):
        for item in iterate(db, table, ACK_INDEX, "priority", priority.value, "ack_due_at", upper=now):
            found.append(
                WaitingLead(
                    lead_id=str(item["pk"]).removeprefix(LEAD_PREFIX),
                    priority=priority.value,
                    due_at=str(item["ack_due_at"]),
                    sent=len(item.get("escalations") or []),
                    status=str(item.get("status", "")),
                )
            )
    return found


def _count(sent: int) -> str:
    # A lead that has had none has no list at all.
    return "(attribute_not_exists(#esc) OR size(#esc) = :sent)" if sent == 0 else "size(#esc) = :sent"


def claim(
    db: DynamoDBClient, table: str, lead_id: str, *, due_at: str, sent: int, at: str, next_due_at: str | None
) -> dict[str, Any] | None:
    """Append `at` to the lead's escalations and move its clock, if it is still due at `due_at` after `sent`."""
    values: dict[str, Any] = {
        ":seen": attribute(due_at),
        ":new": attribute(Status.NEW.value),
        ":sent": attribute(sent),
        ":at": attribute([at]),
        ":none": attribute([]),
    }
    expression = "SET #esc = list_append(if_not_exists(#esc, :none), :at)"
    if next_due_at is None:
        expression += " REMOVE #due"
    else:
        expression += ", #due = :next"
        values[":next"] = attribute(next_due_at)
    try:
        response = call(
            db.update_item,
            TableName=table,
            Key=lead_key(lead_id),
            UpdateExpression=expression,
            ConditionExpression=f"{_WAITING} AND #due = :seen AND {_count(sent)}",
            ExpressionAttributeNames=_NAMES,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ConditionFailed:
        return None
    return from_item(response["Attributes"])


def release(db: DynamoDBClient, table: str, lead_id: str, *, due_at: str, sent: int, next_due_at: str | None) -> None:
    """Undo a claim: drop its escalation and put the clock back at `due_at`, if nothing changed since."""
    values: dict[str, Any] = {
        ":seen": attribute(due_at),
        ":new": attribute(Status.NEW.value),
        ":claimed": attribute(sent + 1),
    }
    if next_due_at is None:
        moved = "attribute_not_exists(#due)"
    else:
        moved = "#due = :next"
        values[":next"] = attribute(next_due_at)
    # The index of a list element is part of the expression itself.
    dropped = "#esc" if sent == 0 else f"#esc[{int(sent)}]"
    try:
        call(
            db.update_item,
            TableName=table,
            Key=lead_key(lead_id),
            UpdateExpression=f"SET #due = :seen REMOVE {dropped}",
            ConditionExpression=f"{_WAITING} AND size(#esc) = :claimed AND {moved}",
            ExpressionAttributeNames=_NAMES,
            ExpressionAttributeValues=values,
            ReturnValues="NONE",
        )
    except ConditionFailed:
        return


def stop(db: DynamoDBClient, table: str, lead_id: str, *, due_at: str) -> bool:
    """Remove the clock of a lead no longer new, if it is still the one read."""
    try:
        call(
            db.update_item,
            TableName=table,
            Key=lead_key(lead_id),
            UpdateExpression="REMOVE #due",
            ConditionExpression="attribute_exists(pk) AND #due = :seen AND #st <> :new",
            ExpressionAttributeNames={"#due": "ack_due_at", "#st": "status"},
            ExpressionAttributeValues={":seen": attribute(due_at), ":new": attribute(Status.NEW.value)},
            ReturnValues="NONE",
        )
    except ConditionFailed:
        return False
    return True
