"""The local AWS emulator: moto server, made as atomic as the DynamoDB it stands in for.

moto 5.2 handles each DynamoDB request without a lock and rolls a cancelled
TransactWriteItems back by restoring a copy of the whole table taken before
it. Under concurrent requests (the API and the stream pump of `make run`, or
threads in the tests) that restore wipes writes made meanwhile, such as a
notice just recorded as sent, and the copy makes every transaction cost time
in proportion to the table. Real DynamoDB applies each request, and each
transaction, atomically and touches only the items named. The two patches
here give moto those properties; `python -m scripts.emulator` runs moto
server with both.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any


@contextmanager
def atomic_moto_dynamodb() -> Iterator[None]:
    """Make each in-process moto DynamoDB request atomic, as every DynamoDB request is.

    moto 5.2 is not safe for concurrent requests: transact_write_items
    deep-copies the whole table to roll back, so under threads it fails with
    "RuntimeError: dictionary changed size during iteration", and a rolled-back
    transaction restores its stale copy, wiping the writes other requests made
    meanwhile (leads without their guards, rate counters going backwards).
    Real DynamoDB executes each request, and each transaction, atomically.
    This lock serialises only moto's handling of one request; the app's code,
    boto3 and botocore still run concurrently in their threads.
    """
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    lock = threading.Lock()

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoHandler.call_action = original  # type: ignore[method-assign]


@contextmanager
def quick_moto_transactions() -> Iterator[None]:
    """Keep moto's TransactWriteItems semantics, but roll back only what a transaction touched.

    moto 5.2 deep-copies the whole table (stream records included) before every
    TransactWriteItems, once per item in it, so the cost of a new lead grows
    with the table: 100 leads written one after another took 106 s on this
    machine, 200 would take minutes. Here moto's own transaction code still
    checks every condition and applies every write in order; its whole-table
    copy is skipped, and a cancelled transaction is undone from a copy of just
    the items it names, with the stream records it added dropped, which is
    what moto's rollback restores for them.
    """
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items
    real_copy: Any = getattr(models, "copy")  # noqa: B009 - moto does not export it

    class TablesAsThey:
        """moto's `copy` module, except that a whole table is not copied."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else real_copy.deepcopy(value, memo)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Table, DynamoType, DynamoType | None, Any]] = []
        shards: dict[int, tuple[Any, int]] = {}
        for entry in transact_items:
            op = next(iter(entry.values()))
            table = self.tables.get(op.get("TableName"))
            key = op.get("Key") or op.get("Item") or {}
            if table is None or table.hash_key_attr not in key:
                continue
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            if table.has_range_key and range_value is None:
                continue
            saved.append((table, hash_value, range_value, real_copy.deepcopy(table.get_item(hash_value, range_value))))
            if table.stream_shard is not None:
                shards.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(saved):
                _put_back(table, hash_value, range_value, item)
            for shard, length in shards.values():
                del shard.items[length:]
            raise

    setattr(models, "copy", TablesAsThey)  # noqa: B010
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
        setattr(models, "copy", real_copy)  # noqa: B010


def _put_back(table: Any, hash_value: Any, range_value: Any, item: Any) -> None:
    if range_value is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item
        return
    if item is not None:
        table.items[hash_value][range_value] = item
    elif hash_value in table.items:
        table.items[hash_value].pop(range_value, None)
        if not table.items[hash_value]:
            del table.items[hash_value]


def main(argv: list[str] | None = None) -> int:
    """Run moto server (same arguments as `moto_server`) with both patches."""
    from moto.server import main as moto_main

    with ExitStack() as stack:
        stack.enter_context(atomic_moto_dynamodb())
        stack.enter_context(quick_moto_transactions())
        moto_main(argv if argv is not None else sys.argv[1:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
