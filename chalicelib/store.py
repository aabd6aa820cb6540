"""DynamoDB adapter: every write states its condition; errors become domain errors."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from chalicelib.leads import Status

_ser = TypeSerializer()
_de = TypeDeserializer()

LEAD_SK = "LEAD"
LEAD_PREFIX = "LEAD#"
NOTICE_QUEUE = "due"


class StorageUnavailable(Exception):
    """DynamoDB could not be reached or refused for now; nothing was written."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class LeadNotFound(Exception):
    """No lead with that id."""


class StatusConflict(Exception):
    """The lead was not in the expected state (someone else changed it first)."""


@dataclass(frozen=True)
class WriteConflict(Exception):
    """A new lead's transaction was refused by one of its conditions."""

    kind: str  # "idempotency", "duplicate", "urgent" or "rate"
    item: dict[str, Any] | None = None
    retry_after: int = 0


@dataclass(frozen=True)
class RateCounter:
    """One per-client counter window, stored with a TTL."""

    pk: str
    limit: int
    expires_at: int


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """Plain dict to DynamoDB JSON, leaving out None values."""
    return {k: _attribute(v) for k, v in data.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB JSON to a plain dict (numbers as int where whole)."""
    return {k: _python(v) for k, v in item.items()}


# A lead is strings, whole numbers, booleans and lists and maps of them: those
# are written directly as DynamoDB JSON, exactly as boto3's TypeSerializer
# writes them (tests/unit/test_store_items.py), skipping its type dispatch,
# which cost more than the rest of building the transaction. Anything else
# (Decimal, sets, bytes, numbers DynamoDB cannot hold) goes through boto3.

_MAX_DIGITS = 10**38  # DynamoDB numbers hold 38 significant digits; boto3 refuses more


def _attribute(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int and -_MAX_DIGITS < value < _MAX_DIGITS:
        return {"N": str(value)}
    if kind is list or kind is tuple:
        return {"L": [_attribute(v) for v in value]}
    if kind is dict:
        return {"M": {k: _attribute(v) for k, v in value.items()}}
    if value is None:
        return {"NULL": True}
    return _ser.serialize(value)


def _python(attribute: dict[str, Any]) -> Any:
    if len(attribute) == 1 and type(attribute.get("S")) is str:
        return attribute["S"]
    return _plain(_de.deserialize(attribute))


def _plain(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(v) for v in value]
    return value


def lead_key(lead_id: str) -> dict[str, Any]:
    """The primary key of a lead item."""
    return {"pk": {"S": f"LEAD#{lead_id}"}, "sk": {"S": LEAD_SK}}


def inserted_lead_ids(records: Iterable[tuple[str, dict[str, Any] | None]]) -> Iterator[str]:
    """The id of each lead a stream batch inserted, from (event name, keys) pairs.

    The stream carries keys only; guard and counter items, and changes to
    existing leads, are left out here, so the service never reads key formats.
    """
    for event_name, keys in records:
        if event_name != "INSERT" or not isinstance(keys, dict):
            continue
        pk = (keys.get("pk") or {}).get("S")
        sk = (keys.get("sk") or {}).get("S")
        if isinstance(pk, str) and pk.startswith(LEAD_PREFIX) and sk == LEAD_SK and len(pk) > len(LEAD_PREFIX):
            yield pk.removeprefix(LEAD_PREFIX)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "ClientError"))


class LeadStore:
    """The one lead table: leads, idempotency keys, duplicate fingerprints, rate counters."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    # -- request path -----------------------------------------------------

    def create_lead(
        self,
        lead: dict[str, Any],
        guards: list[dict[str, Any]],
        rates: list[RateCounter],
        now_epoch: int,
    ) -> None:
        """Write a new lead, its guard items and rate counts in ONE transaction.

        `guards` are idempotency/duplicate/urgent items ({"kind", "item"}); each
        may exist already only if expired, unless it says "overwrite" (then it
        is written whatever is there). Raises WriteConflict naming the first
        condition that failed, or StorageUnavailable.
        """
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(lead),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        kinds = ["lead"]
        for guard in guards:
            if guard.get("overwrite"):
                items.append({"Put": {"TableName": self._table, "Item": to_item(guard["item"])}})
                kinds.append(guard["kind"])
                continue
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(guard["item"]),
                        "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
                        "ExpressionAttributeValues": {":now": {"N": str(now_epoch)}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
            kinds.append(guard["kind"])
        for rate in rates:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {"pk": {"S": rate.pk}, "sk": {"S": "RATE"}},
                        "UpdateExpression": "ADD hits :one SET expires_at = if_not_exists(expires_at, :exp)",
                        "ConditionExpression": "attribute_not_exists(hits) OR hits < :limit",
                        "ExpressionAttributeValues": {
                            ":one": {"N": "1"},
                            ":exp": {"N": str(rate.expires_at)},
                            ":limit": {"N": str(rate.limit)},
                        },
                    }
                }
            )
            kinds.append("rate")

        for attempt in range(5):
            try:
                self._db.transact_write_items(TransactItems=items)
                return
            except ClientError as exc:
                if _code(exc) != "TransactionCanceledException":
                    raise self._unavailable(exc) from exc
                conflict = self._conflict(exc, kinds, rates, now_epoch)
                if conflict is not None:
                    raise conflict from exc
                # Only TransactionConflict reasons: a concurrent transaction on
                # the same keys; back off briefly and try again.
                time.sleep(random.uniform(0.005, 0.03) * (attempt + 1))
            except BotoCoreError as exc:
                raise StorageUnavailable(type(exc).__name__) from exc
        raise StorageUnavailable("TransactionConflict")

    def _conflict(
        self, exc: ClientError, kinds: list[str], rates: list[RateCounter], now_epoch: int
    ) -> WriteConflict | None:
        reasons = exc.response.get("CancellationReasons") or []
        failed = [
            (kinds[i], reason)
            for i, reason in enumerate(reasons)
            if i < len(kinds) and reason.get("Code") == "ConditionalCheckFailed"
        ]
        if not failed:
            codes = {str(r.get("Code") or "None") for r in reasons} - {"None"}
            if codes == {"TransactionConflict"}:
                return None  # another transaction on the same keys: retry
            # Throttling and other refusals: nothing was written, try later.
            raise StorageUnavailable(min(codes) if codes else "TransactionCanceled")
        order = {"idempotency": 0, "duplicate": 1, "lead": 2, "urgent": 3, "rate": 4}
        kind, reason = min(failed, key=lambda kr: order[kr[0]])
        item = from_item(reason["Item"]) if reason.get("Item") else None
        if kind == "rate":
            start = len(kinds) - len(rates)
            exhausted = [
                rates[i - start]
                for i, r in enumerate(reasons)
                if i >= start and r.get("Code") == "ConditionalCheckFailed"
            ]
            retry_after = max((r.expires_at - now_epoch for r in exhausted), default=60)
            return WriteConflict("rate", None, max(1, retry_after))
        return WriteConflict(kind, item)

    def get_guard(self, pk: str, sk: str) -> dict[str, Any] | None:
        """Read an idempotency or duplicate item (strongly consistent)."""
        try:
            response = self._db.get_item(
                TableName=self._table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
            )
        except ClientError as exc:
            raise self._unavailable(exc) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        item = response.get("Item")
        return from_item(item) if item else None

    # -- leads ------------------------------------------------------------

    def get_lead(self, lead_id: str) -> dict[str, Any]:
        """One lead by id, or LeadNotFound."""
        try:
            response = self._db.get_item(TableName=self._table, Key=lead_key(lead_id), ConsistentRead=True)
        except ClientError as exc:
            raise self._unavailable(exc) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        item = response.get("Item")
        if not item:
            raise LeadNotFound(lead_id)
        return from_item(item)

    def update_lead(
        self,
        lead_id: str,
        set_values: dict[str, Any],
        condition: str,
        condition_values: dict[str, Any] | None = None,
        remove: tuple[str, ...] = (),
        return_new: bool = False,
        names: dict[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """Conditionally update a lead; None if the condition failed."""
        names = dict(names or {})
        values: dict[str, Any] = {}
        sets = []
        for i, (key, value) in enumerate(set_values.items()):
            names[f"#s{i}"] = key
            values[f":s{i}"] = _ser.serialize(value)
            sets.append(f"#s{i} = :s{i}")
        removes = []
        for i, key in enumerate(remove):
            names[f"#r{i}"] = key
            removes.append(f"#r{i}")
        expression = ""
        if sets:
            expression += "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        for key, value in (condition_values or {}).items():
            values[key] = _ser.serialize(value)
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Key": lead_key(lead_id),
            "UpdateExpression": expression.strip(),
            "ConditionExpression": f"attribute_exists(pk) AND ({condition})",
            "ExpressionAttributeNames": names,
            "ReturnValues": "ALL_NEW" if return_new else "NONE",
        }
        if values:
            kwargs["ExpressionAttributeValues"] = values
        try:
            response = self._db.update_item(**kwargs)
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return None
            raise self._unavailable(exc) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        return from_item(response["Attributes"]) if return_new else {}

    def query_index(
        self,
        index: str,
        key_name: str,
        key_value: str,
        range_name: str,
        upper: str | None = None,
        lower: str | None = None,
        newest_first: bool = False,
        limit: int | None = None,
        cursor: dict[str, Any] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of an index query, with an optional range on its sort key."""
        condition = "#k = :k"
        values: dict[str, Any] = {":k": {"S": key_value}}
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
            "TableName": self._table,
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
        try:
            response = self._db.query(**kwargs)
        except ClientError as exc:
            raise self._unavailable(exc) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        return [from_item(i) for i in response.get("Items", [])], response.get("LastEvaluatedKey")

    def iter_index(
        self, index: str, key_name: str, key_value: str, range_name: str, **kw: Any
    ) -> Iterator[dict[str, Any]]:
        """Every item of an index query, page by page."""
        cursor = None
        while True:
            items, cursor = self.query_index(index, key_name, key_value, range_name, cursor=cursor, **kw)
            yield from items
            if not cursor:
                return

    def erase_lead(self, lead_id: str, guards: list[tuple[str, str]]) -> None:
        """Delete a lead and, in the same transaction, each of its guards (pk, sk) that still names it.

        A guard that expired and was taken over by a newer lead names that
        lead: it is left alone (deleting it would let the newer submission
        be made twice), and so is one that is already gone.
        """
        mine = list(guards)
        for attempt in range(5):
            items: list[dict[str, Any]] = [{"Delete": {"TableName": self._table, "Key": lead_key(lead_id)}}]
            for pk, sk in mine:
                items.append(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
                            "ConditionExpression": "lead_id = :lead",
                            "ExpressionAttributeValues": {":lead": {"S": lead_id}},
                        }
                    }
                )
            try:
                self._db.transact_write_items(TransactItems=items)
                return
            except ClientError as exc:
                if _code(exc) != "TransactionCanceledException":
                    raise self._unavailable(exc) from exc
                reasons = exc.response.get("CancellationReasons") or []
                codes = [str(r.get("Code") or "None") for r in reasons]
                if set(codes) - {"None", "ConditionalCheckFailed", "TransactionConflict"}:
                    raise StorageUnavailable(min(set(codes) - {"None"})) from exc
                # Leave out each guard that no longer names this lead, and try again.
                refused = {i - 1 for i, code in enumerate(codes) if code == "ConditionalCheckFailed"}
                mine = [guard for i, guard in enumerate(mine) if i not in refused]
                if "TransactionConflict" in codes:
                    time.sleep(random.uniform(0.005, 0.03) * (attempt + 1))
            except BotoCoreError as exc:
                raise StorageUnavailable(type(exc).__name__) from exc
        raise StorageUnavailable("TransactionConflict")

    @staticmethod
    def _unavailable(exc: ClientError) -> Exception:
        # The code is safe to log (it never carries item data); keep it so
        # staff and alarms can tell AccessDenied from throttling.
        code = _code(exc)
        if code == "ResourceNotFoundException":
            return StorageUnavailable("ResourceNotFound")
        return StorageUnavailable(code if code.isascii() and len(code) <= 64 else "ClientError")

    # -- staff read side ----------------------------------------------------

    def leads_by_status(
        self, status: Status, *, limit: int, after: tuple[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
        """One page of leads with this status, newest first, after (created_at, lead_id); and the next `after`."""
        start = None
        if after is not None:
            created, lead_id = after
            start = {**lead_key(lead_id), "status": {"S": str(status)}, "created_at": {"S": created}}
        # One more than asked tells whether another page exists.
        items, _ = self.query_index(
            "by_status", "status", str(status), "created_at", newest_first=True, limit=limit + 1, cursor=start
        )
        if len(items) <= limit:
            return items, None
        page = items[:limit]
        return page, (str(page[-1]["created_at"]), str(page[-1]["lead_id"]))

    def leads_created_between(self, status: Status, lower: str | None, upper: str | None) -> Iterator[dict[str, Any]]:
        """Every lead of this status created within [lower, upper] (ISO strings, inclusive), oldest first."""
        return self.iter_index("by_status", "status", str(status), "created_at", lower=lower, upper=upper)
