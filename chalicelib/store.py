"""DynamoDB adapter of the store port: every write states its condition; errors become domain errors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.dynamo import acks
from chalicelib.dynamo.calls import ATTEMPTS, Cancelled, ConditionFailed, call, first_refusal, pause
from chalicelib.dynamo.digests import DigestMarks
from chalicelib.dynamo.items import (
    LEAD_PREFIX,
    NOTICE_QUEUE,
    RATE_PREFIX,
    URGENT_PREFIX,
    attribute,
    from_item,
    guard_from,
    guard_item,
    guard_key,
    inserted_lead_ids,
    key,
    lead_item,
    lead_key,
    to_item,
)
from chalicelib.dynamo.queries import Item, Page, iterate, query
from chalicelib.dynamo.work import StaffVerbs
from chalicelib.errors import (
    GuardHeld,
    LeadExists,
    LeadNotFound,
    RateExceeded,
    StatusConflict,
    StorageUnavailable,
    UrgentAlreadySent,
    WriteConflict,
)
from chalicelib.leads import Status
from chalicelib.ports import Guard, GuardKind, NoticeState, RateCounter, UrgentMark, WaitingLead

if TYPE_CHECKING:
    pass

__all__ = [
    "LeadNotFound",
    "LeadStore",
    "StatusConflict",
    "StorageUnavailable",
    "from_item",
    "inserted_lead_ids",
    "lead_key",
    "to_item",
]

_LEASE_LAPSED = "notice_state IN (:pending, :failed) OR (notice_state = :sending AND notice_lease_until < :now)"
_OLD = {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}


class LeadStore(StaffVerbs, DigestMarks):
    """The one lead table: leads, idempotency keys, duplicate fingerprints, rate counters, notes, audit records.

    The staff verbs (get, status, restore, acknowledge, claim, notes, erase,
    the audit trail) are in chalicelib/dynamo/work.py; the daily digest's
    marker and lead counts in chalicelib/dynamo/digests.py.
    """

    # -- request path -----------------------------------------------------

    def create_lead(
        self,
        lead: dict[str, Any],
        guards: Sequence[Guard],
        *,
        rates: Sequence[RateCounter] = (),
        urgent: UrgentMark | None = None,
        now_epoch: int,
    ) -> None:
        """Write a new lead, its guards, rate counts and urgent mark in ONE transaction (see the port)."""
        table = self._table
        live = {"ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now"}
        now = {":now": {"N": str(now_epoch)}}
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": table,
                    "Item": lead_item(lead, guards),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        refusals: list[WriteConflict] = [LeadExists(lead["lead_id"])]
        for guard in guards:
            put = {"TableName": table, "Item": guard_item(guard), **live, "ExpressionAttributeValues": now, **_OLD}
            items.append({"Put": put})
            refusals.append(GuardHeld(guard.kind, None))
        if urgent is not None:
            mark = to_item({"pk": URGENT_PREFIX + urgent.client, "sk": "URGENT", "expires_at": urgent.expires_at})
            # Renewed whatever is there, unless this lead may only be stored without a live mark.
            conditions = {**live, "ExpressionAttributeValues": now, **_OLD} if urgent.exclusive else {}
            items.append({"Put": {"TableName": table, "Item": mark, **conditions}})
            refusals.append(UrgentAlreadySent())
        for rate in rates:
            items.append(
                {
                    "Update": {
                        "TableName": table,
                        "Key": key(RATE_PREFIX + rate.key, "RATE"),
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
            refusals.append(RateExceeded(max(1, rate.expires_at - now_epoch)))

        for attempt in range(ATTEMPTS):
            try:
                call(self._db.transact_write_items, TransactItems=items)
                return
            except Cancelled as cancelled:
                refused = first_refusal(cancelled, refusals)
                if refused is not None:
                    raise refused from cancelled
                # Only TransactionConflict reasons: a concurrent transaction on
                # the same keys; back off briefly and try again.
                pause(attempt)
        raise StorageUnavailable("TransactionConflict")

    def find_guard(self, kind: GuardKind, guard: str) -> Guard | None:
        """Read an idempotency or duplicate guard (strongly consistent)."""
        response = call(self._db.get_item, TableName=self._table, Key=guard_key(kind, guard), ConsistentRead=True)
        item = response.get("Item")
        return guard_from(kind, item) if item else None

    # -- leads ------------------------------------------------------------

    def claim_notice(self, lead_id: str, now: str, lease_until: str) -> dict[str, Any] | None:
        """Take the notice for sending, once per lease (see the port)."""
        states = {":pending": NoticeState.PENDING, ":failed": NoticeState.FAILED, ":sending": NoticeState.SENDING}
        return self._update(
            lead_id,
            {"notice_state": NoticeState.SENDING.value, "notice_lease_until": lease_until},
            _LEASE_LAPSED,
            {**states, ":now": now},
            return_new=True,
        )

    def record_notice_sent(self, lead_id: str, *, attempts: int, message_id: str, sent_at: str) -> None:
        """Mark a notice we are sending as sent."""
        self._update(
            lead_id,
            {
                "notice_state": NoticeState.SENT.value,
                "notice_attempts": attempts,
                "notice_message_id": message_id,
                "notice_sent_at": sent_at,
            },
            "notice_state = :sending",
            {":sending": NoticeState.SENDING},
            remove=("notice_queue", "notice_due_at", "notice_lease_until", "notice_last_error"),
        )

    def record_notice_failed(self, lead_id: str, *, attempts: int, code: str, retry_at: str | None) -> None:
        """Mark a notice we are sending as failed (due again at retry_at) or dead (retry_at None)."""
        state = NoticeState.FAILED if retry_at is not None else NoticeState.DEAD
        values: dict[str, Any] = {"notice_state": state.value, "notice_attempts": attempts, "notice_last_error": code}
        if retry_at is not None:
            values["notice_due_at"] = retry_at
        self._update(
            lead_id,
            values,
            "notice_state = :sending",
            {":sending": NoticeState.SENDING},
            remove=("notice_lease_until",) + (("notice_queue", "notice_due_at") if retry_at is None else ()),
        )

    # -- the acknowledgement clock (chalicelib/dynamo/acks.py) -------------

    def leads_awaiting_ack(self, now: str) -> Iterator[WaitingLead]:
        """Every lead due at or before `now` in the sparse by_ack_due index, urgent first (read before acting)."""
        return iter(acks.awaiting(self._db, self._table, now))

    def claim_escalation(
        self, lead_id: str, *, due_at: str, sent: int, at: str, next_due_at: str | None
    ) -> dict[str, Any] | None:
        """Take the escalation due at `due_at` after `sent` others, once (see the port)."""
        return acks.claim(self._db, self._table, lead_id, due_at=due_at, sent=sent, at=at, next_due_at=next_due_at)

    def release_escalation(self, lead_id: str, *, due_at: str, sent: int, next_due_at: str | None) -> None:
        """Give a claimed escalation back, unless the lead was acknowledged or moved on meanwhile."""
        acks.release(self._db, self._table, lead_id, due_at=due_at, sent=sent, next_due_at=next_due_at)

    def stop_ack_clock(self, lead_id: str, *, due_at: str) -> bool:
        """End the clock of a lead that left `new` unacknowledged."""
        return acks.stop(self._db, self._table, lead_id, due_at=due_at)

    def reset_notice(self, lead_id: str, now: str) -> bool:
        """Make a failed or dead notice due now, attempts reset."""
        reset = self._update(
            lead_id,
            {
                "notice_state": NoticeState.FAILED.value,
                "notice_attempts": 0,
                "notice_queue": NOTICE_QUEUE,
                "notice_due_at": now,
            },
            "notice_state IN (:failed, :dead)",
            {":failed": NoticeState.FAILED, ":dead": NoticeState.DEAD},
        )
        return reset is not None

    def leads_due(self, now: str) -> Iterator[str]:
        """The id of every lead whose notice is due at or before `now`."""
        # Read the whole (keys-only) queue first: delivering changes it.
        due = list(self.iter_index("by_notice", "notice_queue", NOTICE_QUEUE, "notice_due_at", upper=now))
        for item in due:
            yield str(item["pk"]).removeprefix(LEAD_PREFIX)

    @staticmethod
    def inserted_lead_ids(records: Iterable[tuple[str, dict[str, Any] | None]]) -> Iterator[str]:
        """The id of each lead a stream batch inserted, from (event name, keys) pairs."""
        return inserted_lead_ids(records)

    # -- the read side ------------------------------------------------------

    def leads_by_status(
        self, status: Status, *, limit: int, after: tuple[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
        """One page of leads with this status, newest first, and the `after` of the next page (None at the end)."""
        cursor = None
        if after is not None:
            cursor = {"status": {"S": status.value}, "created_at": {"S": after[0]}, **lead_key(after[1])}
        found: list[dict[str, Any]] = []
        # One more than asked tells whether another page exists.
        while len(found) <= limit:
            page, cursor = self.query_index(
                "by_status",
                "status",
                status,
                "created_at",
                newest_first=True,
                limit=limit + 1 - len(found),
                cursor=cursor,
            )
            found += page
            if not cursor:
                break
        if len(found) <= limit:
            return found, None
        last = found[limit - 1]
        return found[:limit], (str(last["created_at"]), str(last["lead_id"]))

    def leads_created_between(self, status: Status, lower: str | None, upper: str | None) -> Iterator[dict[str, Any]]:
        """Every lead of this status created within [lower, upper], oldest first."""
        return self.iter_index("by_status", "status", status, "created_at", lower=lower, upper=upper)

    # -- DynamoDB plumbing --------------------------------------------------

    def _update(
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
        for i, (name, value) in enumerate(set_values.items()):
            names[f"#s{i}"] = name
            values[f":s{i}"] = attribute(value)
            sets.append(f"#s{i} = :s{i}")
        removes = []
        for i, name in enumerate(remove):
            names[f"#r{i}"] = name
            removes.append(f"#r{i}")
        expression = ""
        if sets:
            expression += "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        for name, value in (condition_values or {}).items():
            values[name] = attribute(str(value) if isinstance(value, str) else value)
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
            response = call(self._db.update_item, **kwargs)
        except ConditionFailed:
            return None
        return from_item(response["Attributes"]) if return_new else {}

    def query_index(self, index: str, key_name: str, key_value: str, range_name: str, **kw: Any) -> Page:
        """One page of an index query, with an optional range on its sort key (see dynamo.queries.query)."""
        return query(self._db, self._table, index, key_name, key_value, range_name, **kw)

    def iter_index(self, index: str, key_name: str, key_value: str, range_name: str, **kw: Any) -> Iterator[Item]:
        """Every item of an index query, page by page."""
        return iterate(self._db, self._table, index, key_name, key_value, range_name, **kw)
