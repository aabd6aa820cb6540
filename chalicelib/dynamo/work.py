"""Staff writes to the lead table: each change and its audit record in one transaction.

A lead's notes live under its key and carry its expiry, so they go when it
goes (erased or expired). The lead counts its notes (`note_count`); every
write that must see all of them (a new expiry, an erase) states that count
as its condition, so a note added meanwhile makes it read them again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.dynamo.calls import ATTEMPTS, Cancelled, ConditionFailed, call, pause
from chalicelib.dynamo.items import (
    AUDIT_DAY_PREFIX,
    AUDIT_LEAD_PREFIX,
    LEAD_PREFIX,
    NOTE_PREFIX,
    NOTICE_QUEUE,
    attribute,
    audit_from,
    audit_item,
    from_item,
    lead_guard_keys,
    lead_key,
    note_from,
    note_item,
    staff_name,
)
from chalicelib.dynamo.queries import Item
from chalicelib.errors import LeadNotFound, NotesFull, StatusConflict, StorageUnavailable
from chalicelib.leads import Status
from chalicelib.ports import MAX_NOTES, AuditRecord, NoticeState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_OLD = {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
_COUNTED = "note_count"
_ACKNOWLEDGE_REMOVES = ("ack_due_at",)  # the speed-to-lead sweeper's due time: an acknowledged lead is not due


class StaffVerbs:
    """The staff verbs of the lead table, over one client and table name (LeadStore is one)."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._db = client
        self._table = table_name

    # -- reads ----------------------------------------------------------------

    def get_lead(self, lead_id: str) -> dict[str, Any]:
        """One lead by id (strongly consistent), or LeadNotFound."""
        response = call(self._db.get_item, TableName=self._table, Key=lead_key(lead_id), ConsistentRead=True)
        item = response.get("Item")
        if not item:
            raise LeadNotFound(lead_id)
        return from_item(item)

    def lead_notes(self, lead_id: str) -> list[dict[str, Any]]:
        """A lead's notes, oldest first."""
        return [note_from(item) for item in self._partition(LEAD_PREFIX + lead_id, NOTE_PREFIX)]

    def audit_of_lead(self, lead_id: str) -> list[dict[str, Any]]:
        """Every audit record naming a lead, oldest first (strongly consistent: a view sees its own record)."""
        return [audit_from(item) for item in self._partition(AUDIT_LEAD_PREFIX + lead_id)]

    def audit_of_day(
        self, day: str, *, limit: int, after: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Up to `limit` audit records of a UTC day, oldest first, after `after` (the by_audit_day index).

        One index partition in sk order, and every sk starts with the record's
        time: a record's position is its sk, and a page reads on from the
        last one shown. One more than `limit` is read to know whether any follows.
        """
        condition = "audit_day = :d"
        values: dict[str, Any] = {":d": {"S": day}}
        if after is not None:
            condition += " AND sk > :after"
            values[":after"] = {"S": after}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "by_audit_day",
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        items: list[Item] = []
        while len(items) <= limit:
            response = call(self._db.query, **kwargs, Limit=limit + 1 - len(items))
            items += response.get("Items", [])
            if not response.get("LastEvaluatedKey"):
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        page = items[:limit]
        more = str(page[-1]["sk"]["S"]) if len(items) > limit else None
        return [audit_from(item) for item in page], more

    def _partition(self, pk: str, prefix: str | None = None, keys_only: bool = False) -> list[Item]:
        values: dict[str, Any] = {":pk": {"S": pk}}
        condition = "pk = :pk"
        if prefix is not None:
            condition += " AND begins_with(sk, :prefix)"
            values[":prefix"] = {"S": prefix}
        extra = {"ProjectionExpression": "pk, sk"} if keys_only else {}
        return self._query(
            KeyConditionExpression=condition, ExpressionAttributeValues=values, ConsistentRead=True, **extra
        )

    def _query(self, **kwargs: Any) -> list[Item]:
        """Every item of a query, page by page."""
        items: list[Item] = []
        while True:
            response = call(self._db.query, TableName=self._table, **kwargs)
            items += response.get("Items", [])
            if not response.get("LastEvaluatedKey"):
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _note_keys(self, lead_id: str) -> list[Item]:
        return self._partition(LEAD_PREFIX + lead_id, NOTE_PREFIX, keys_only=True)

    # -- writes -----------------------------------------------------------------

    def record_audit(self, audit: AuditRecord) -> None:
        """Store one audit record on its own; it never replaces another."""
        for _ in range(ATTEMPTS):
            try:
                call(self._db.put_item, **_audit_put(self._table, audit)["Put"])
                return
            except ConditionFailed:
                continue  # its random sk met another record's: a new one is drawn
        raise StorageUnavailable("AuditKeyTaken")

    def acknowledge(self, lead_id: str, *, at: str, by: str, audit: AuditRecord, name: str = "") -> bool:
        """The first acknowledgement and its audit record, together; False if acknowledged already."""
        update = _lead_update(
            self._table,
            lead_id,
            sets={"acknowledged_at": at, "acknowledged_by": by, **staff_name(by, name)},
            remove=_ACKNOWLEDGE_REMOVES,
            condition="attribute_not_exists(acknowledged_at)",
        )
        cancelled = self._transact([update, _audit_put(self._table, audit)])
        if cancelled is None:
            return True
        if _old(cancelled) is None:
            raise LeadNotFound(lead_id)
        return False

    def claim_lead(self, lead_id: str, *, by: str, at: str, audit: AuditRecord, name: str = "") -> str:
        """Assign to `by` (acknowledging if not yet) with its audit record, unless another holds it; the holder."""
        update = _lead_update(
            self._table,
            lead_id,
            sets={"assigned_to": by, **staff_name(by, name)},
            if_absent={"acknowledged_at": at, "acknowledged_by": by},
            remove=_ACKNOWLEDGE_REMOVES,
            condition="attribute_not_exists(assigned_to) OR assigned_to = :c0",
            values={":c0": by},
        )
        cancelled = self._transact([update, _audit_put(self._table, audit)])
        if cancelled is None:
            return by
        old = _old(cancelled)
        if old is None:
            raise LeadNotFound(lead_id)
        return str(old.get("assigned_to", ""))

    def set_status(
        self,
        lead_id: str,
        status: Status,
        *,
        expected: Status,
        updated_at: str,
        expires_at: int | None,
        contacted_at: str | None = None,
        audit: AuditRecord | None = None,
        name: str = "",
    ) -> dict[str, Any]:
        """Move a lead from `expected` to `status`, its notes to its new expiry, with its audit record."""
        sets: dict[str, Any] = {"status": status.value, "updated_at": updated_at}
        if audit is not None:
            sets.update(staff_name(audit.actor, name))
        if expires_at is not None:
            sets["expires_at"] = expires_at
        for attempt in range(ATTEMPTS):
            notes = self._note_keys(lead_id)
            count, count_values = _count_is(len(notes))
            update = _lead_update(
                self._table,
                lead_id,
                sets=sets,
                if_absent={"first_contacted_at": contacted_at} if contacted_at else {},
                remove=() if expires_at is not None else ("expires_at",),
                condition=f"#st = :seen AND {count}",
                values={":seen": expected.value, **count_values},
                names={"#st": "status"},
            )
            cancelled = self._transact([update, *self._expire(notes, expires_at), *_audited(self._table, audit)])
            if cancelled is None:
                return self.get_lead(lead_id)
            old = _old(cancelled)
            if old is None or old.get("status") != expected:
                raise StatusConflict(f"lead {lead_id} is no longer {expected}")
            pause(attempt)  # a note came meanwhile: read the notes again
        raise StorageUnavailable("TransactionConflict")

    def restore_spam(
        self,
        lead_id: str,
        *,
        now: str,
        notice_due_at: str,
        ack_due_at: str | None = None,
        audit: AuditRecord | None = None,
        name: str = "",
    ) -> bool:
        """Move a spam lead back to new, its notice pending and its clock due at `ack_due_at`, kept for good with its
        notes; False if not spam."""
        sets = {"status": Status.NEW.value, "notice_state": NoticeState.PENDING.value, "notice_queue": NOTICE_QUEUE}
        sets.update(notice_due_at=notice_due_at, restored_at=now, **({"ack_due_at": ack_due_at} if ack_due_at else {}))
        if audit is not None:
            sets.update(staff_name(audit.actor, name))
        for attempt in range(ATTEMPTS):
            notes = self._note_keys(lead_id)
            count, count_values = _count_is(len(notes))
            update = _lead_update(
                self._table,
                lead_id,
                sets=sets,
                # Reading spam in review is not taking the lead on: its clock starts afresh.
                remove=("expires_at", "acknowledged_at", "acknowledged_by"),
                condition=f"#st = :spam AND {count}",
                values={":spam": Status.SPAM.value, **count_values},
                names={"#st": "status"},
            )
            cancelled = self._transact([update, *self._expire(notes, None), *_audited(self._table, audit)])
            if cancelled is None:
                return True
            old = _old(cancelled)
            if old is None or old.get("status") != Status.SPAM:
                return False
            pause(attempt)
        raise StorageUnavailable("TransactionConflict")

    def add_note(self, lead_id: str, note: dict[str, Any], *, audit: AuditRecord, name: str = "") -> None:
        """Store a note under the lead's key, with the lead's expiry, and its audit record, together."""
        for attempt in range(ATTEMPTS):
            lead = self.get_lead(lead_id)
            held = int(lead.get(_COUNTED) or 0)
            if held >= MAX_NOTES:
                raise NotesFull(MAX_NOTES)
            expires_at = lead.get("expires_at")
            count, values = _count_is(held)
            if expires_at is None:
                expiry = "attribute_not_exists(expires_at)"
            else:
                expiry, values[":exp"] = "expires_at = :exp", int(expires_at)
            update = _lead_update(
                self._table,
                lead_id,
                sets={_COUNTED: held + 1, **staff_name(str(note["author"]), name)},
                condition=f"{count} AND {expiry}",
                values=values,
            )
            put = {
                "TableName": self._table,
                "Item": note_item(lead_id, note, expires_at),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
            if self._transact([update, {"Put": put}, _audit_put(self._table, audit)]) is None:
                return
            pause(attempt)  # the lead changed meanwhile (a note, a new expiry): read it again
        raise StorageUnavailable("TransactionConflict")

    def remember_staff_name(self, lead_id: str, *, by: str, name: str, audit: AuditRecord) -> None:
        """Keep `by`'s name with the lead, and its audit record, together; LeadNotFound if there is no lead."""
        if not name:
            self.get_lead(lead_id)  # the port's LeadNotFound; with no name there is nothing to keep
            self.record_audit(audit)
            return
        update = _lead_update(self._table, lead_id, sets=staff_name(by, name))
        if self._transact([update, _audit_put(self._table, audit)]) is not None:
            raise LeadNotFound(lead_id)

    def erase(self, lead_id: str, *, audit: AuditRecord | None = None) -> None:
        """Delete a lead, its notes and each of its guards that still names it, with its audit record, together.

        A guard that expired and was taken over by a newer lead names that
        lead: it is left alone (deleting it would let the newer submission
        be made twice), and so is one that is already gone. The lead's audit
        records are kept.
        """
        guards = lead_guard_keys(self.get_lead(lead_id))
        for attempt in range(ATTEMPTS):
            notes = self._note_keys(lead_id)
            count, count_values = _count_is(len(notes))
            items: list[dict[str, Any]] = [
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": lead_key(lead_id),
                        "ConditionExpression": f"attribute_exists(pk) AND {count}",
                        **({"ExpressionAttributeValues": _values(count_values)} if count_values else {}),
                    }
                }
            ]
            for guard in guards:
                items.append(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": guard,
                            "ConditionExpression": "lead_id = :lead",
                            "ExpressionAttributeValues": {":lead": {"S": lead_id}},
                        }
                    }
                )
            items += [{"Delete": {"TableName": self._table, "Key": _key(note)}} for note in notes]
            items += _audited(self._table, audit)
            cancelled = self._transact(items)
            if cancelled is None:
                return
            if cancelled.codes[0] == "ConditionalCheckFailed":
                guards = lead_guard_keys(self.get_lead(lead_id))  # LeadNotFound once it is gone
            else:
                # Leave out each guard that no longer names this lead, and try again.
                gone = {i - 1 for i, code in enumerate(cancelled.codes) if code == "ConditionalCheckFailed"}
                guards = [guard for i, guard in enumerate(guards) if i not in gone]
            pause(attempt)
        raise StorageUnavailable("TransactionConflict")

    # -- plumbing -----------------------------------------------------------------

    def _expire(self, notes: list[Item], expires_at: int | None) -> list[dict[str, Any]]:
        """Each note's expiry made the lead's (set, or removed to keep it for good)."""
        expression = "SET expires_at = :exp" if expires_at is not None else "REMOVE expires_at"
        updates = []
        for note in notes:
            update: dict[str, Any] = {
                "TableName": self._table,
                "Key": _key(note),
                "UpdateExpression": expression,
                "ConditionExpression": "attribute_exists(pk)",
            }
            if expires_at is not None:
                update["ExpressionAttributeValues"] = {":exp": {"N": str(expires_at)}}
            updates.append({"Update": update})
        return updates

    def _transact(self, items: list[dict[str, Any]]) -> Cancelled | None:
        """Run one transaction (again after a conflict with another); None when written, else why it was refused."""
        for attempt in range(ATTEMPTS):
            try:
                call(self._db.transact_write_items, TransactItems=items)
                return None
            except Cancelled as cancelled:
                refused = cancelled.unavailable({"ConditionalCheckFailed", "TransactionConflict"})
                if refused is not None:
                    raise refused from cancelled
                if "ConditionalCheckFailed" in cancelled.codes:
                    return cancelled
                pause(attempt)
        raise StorageUnavailable("TransactionConflict")


def _lead_update(
    table: str,
    lead_id: str,
    *,
    sets: dict[str, Any],
    condition: str = "",
    if_absent: dict[str, Any] | None = None,
    remove: tuple[str, ...] = (),
    values: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One transaction item updating a lead that exists and meets `condition`, if any (ALL_OLD when it does not)."""
    names = dict(names or {})
    plain = dict(values or {})
    parts = []
    for i, (name, value) in enumerate(sets.items()):
        names[f"#s{i}"] = name
        plain[f":s{i}"] = value
        parts.append(f"#s{i} = :s{i}")
    for i, (name, value) in enumerate((if_absent or {}).items()):
        names[f"#a{i}"] = name
        plain[f":a{i}"] = value
        parts.append(f"#a{i} = if_not_exists(#a{i}, :a{i})")
    expression = "SET " + ", ".join(parts)
    if remove:
        for i, name in enumerate(remove):
            names[f"#r{i}"] = name
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
    update: dict[str, Any] = {
        "TableName": table,
        "Key": lead_key(lead_id),
        "UpdateExpression": expression,
        "ConditionExpression": "attribute_exists(pk)" + (f" AND ({condition})" if condition else ""),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": _values(plain),
        **_OLD,
    }
    return {"Update": update}


def _values(plain: dict[str, Any]) -> dict[str, Any]:
    return {name: attribute(value) for name, value in plain.items()}


def _count_is(count: int) -> tuple[str, dict[str, Any]]:
    """The condition "the lead holds exactly `count` notes"."""
    if count == 0:
        return f"attribute_not_exists({_COUNTED})", {}
    return f"{_COUNTED} = :notes", {":notes": count}


def _audit_put(table: str, audit: AuditRecord) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": audit_item(audit), "ConditionExpression": "attribute_not_exists(pk)"}}


def _audited(table: str, audit: AuditRecord | None) -> list[dict[str, Any]]:
    return [_audit_put(table, audit)] if audit is not None else []


def _old(cancelled: Cancelled) -> dict[str, Any] | None:
    """The lead as it was when the first item (its update) was refused, or None if there is no lead."""
    item = cancelled.reasons[0].get("Item") if cancelled.reasons else None
    return from_item(item) if item else None


def _key(item: Item) -> dict[str, Any]:
    return {"pk": item["pk"], "sk": item["sk"]}


__all__ = ["AUDIT_DAY_PREFIX", "StaffVerbs"]
