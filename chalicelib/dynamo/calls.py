"""The one place where boto errors become domain errors."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.dynamo.items import GUARD_KEYS, guard_from
from chalicelib.errors import GuardHeld, LeadExists, RateExceeded, StorageUnavailable, UrgentAlreadySent, WriteConflict

ATTEMPTS = 5


class ConditionFailed(Exception):
    """A single write's condition was not met (nothing was written)."""


class Cancelled(Exception):
    """A transaction was cancelled; `codes` and `reasons` say why, one per item."""

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("TransactionCanceled")
        self.reasons = reasons
        self.codes = [str(r.get("Code") or "None") for r in reasons]

    def unavailable(self, allowed: set[str]) -> StorageUnavailable | None:
        """StorageUnavailable when a reason is none of `allowed` (throttling and other refusals), else None."""
        refused = set(self.codes) - {"None"} - allowed
        return StorageUnavailable(min(refused)) if refused else None


def call(method: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    """Make one DynamoDB call; ConditionFailed or Cancelled for refused conditions, StorageUnavailable otherwise."""
    try:
        response: dict[str, Any] = method(**kwargs)
        return response
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed(code) from exc
        if code == "TransactionCanceledException":
            raise Cancelled(list(exc.response.get("CancellationReasons") or [])) from exc
        raise unavailable(code) from exc
    except BotoCoreError as exc:
        raise StorageUnavailable(type(exc).__name__) from exc


def unavailable(code: str) -> StorageUnavailable:
    """StorageUnavailable with a code that is safe to log (it never carries item data)."""
    # Keep it, so staff and alarms can tell AccessDenied from throttling.
    if code == "ResourceNotFoundException":
        return StorageUnavailable("ResourceNotFound")
    return StorageUnavailable(code if code.isascii() and len(code) <= 64 else "ClientError")


def pause(attempt: int) -> None:
    """Back off briefly before retrying a transaction that met a concurrent one on the same keys."""
    time.sleep(random.uniform(0.005, 0.03) * (attempt + 1))


def first_refusal(cancelled: Cancelled, refusals: list[WriteConflict]) -> WriteConflict | None:
    """The refusal the service answers with: a guard's first answer before a full rate counter."""
    failed = [i for i, code in enumerate(cancelled.codes) if code == "ConditionalCheckFailed" and i < len(refusals)]
    if not failed:
        refused = cancelled.unavailable({"TransactionConflict"})
        if refused is not None:
            raise refused
        if not set(cancelled.codes) - {"None"}:
            raise StorageUnavailable("TransactionCanceled")
        return None  # another transaction on the same keys: retry
    order = (GuardHeld, LeadExists, UrgentAlreadySent, RateExceeded)
    first = min(failed, key=lambda i: (order.index(type(refusals[i])), _guard_rank(refusals[i])))
    refusal = refusals[first]
    if isinstance(refusal, GuardHeld):
        item = cancelled.reasons[first].get("Item")
        return GuardHeld(refusal.kind, guard_from(refusal.kind, item) if item else None)
    if isinstance(refusal, RateExceeded):
        return RateExceeded(
            max(r.retry_after for i, r in enumerate(refusals) if i in failed and isinstance(r, RateExceeded))
        )
    return refusal


def _guard_rank(refusal: WriteConflict) -> int:
    return list(GUARD_KEYS).index(refusal.kind) if isinstance(refusal, GuardHeld) else 0
