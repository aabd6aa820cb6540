"""Item formats of the lead table: keys, DynamoDB JSON, guards and stream keys."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib.ports import AUDIT_FIELDS, AUDIT_RETENTION_DAYS, AuditRecord, Guard, GuardKind

_ser = TypeSerializer()
_de = TypeDeserializer()

LEAD_SK = "LEAD"
LEAD_PREFIX = "LEAD#"
RATE_PREFIX = "RATE#"
URGENT_PREFIX = "URGENT#"
# Once-a-day notices (the spam digest): one marker item per digest and day.
DIGEST_PREFIX = "DIGEST#"
# The one partition of the by_notice index: every lead whose notice is owed.
NOTICE_QUEUE = "due"
NOTE_PREFIX = "NOTE#"  # a note's sk, under its lead's pk
# Audit records of a lead under AUDIT#LEAD#<id>, the others under AUDIT#DAY#<day>;
# every record also carries audit_day, the key of the by_audit_day index.
AUDIT_LEAD_PREFIX = "AUDIT#LEAD#"
AUDIT_DAY_PREFIX = "AUDIT#DAY#"
GUARD_KEYS = {GuardKind.IDEMPOTENCY: ("IDEM#", "IDEM"), GuardKind.DUPLICATE: ("DUP#", "DUP")}
# The lead attribute that remembers each guard's pk (for erasure).
GUARD_ATTRIBUTES = {GuardKind.IDEMPOTENCY: "submission_key_hash", GuardKind.DUPLICATE: "dup_pk"}
# The name a staff member who worked a lead is known by: one lead attribute each, staff_name#<username>,
# read back as the lead's `staff_names` map. Not a map attribute: a lead stored before names has none, and
# an update cannot both create a map and set one of its keys, nor can two colleagues' writes undo each other.
STAFF_NAME_PREFIX = "staff_name#"


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """Plain dict to DynamoDB JSON, leaving out None values."""
    return {k: _attribute(v) for k, v in data.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB JSON to a plain dict (numbers as int where whole), a lead's staff names as one `staff_names` map."""
    data = {k: _python(v) for k, v in item.items()}
    named = [k for k in data if k.startswith(STAFF_NAME_PREFIX)]
    if named:
        data["staff_names"] = {k.removeprefix(STAFF_NAME_PREFIX): data.pop(k) for k in named}
    return data


def staff_name(username: str, name: str) -> dict[str, str]:
    """The lead attribute that keeps a staff member's name (none when no name is given)."""
    return {STAFF_NAME_PREFIX + username: name} if name else {}


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


def attribute(value: Any) -> Any:
    """One plain value as a DynamoDB attribute value."""
    return _attribute(value)


def _python(value: dict[str, Any]) -> Any:
    if len(value) == 1 and type(value.get("S")) is str:
        return value["S"]
    return _plain(_de.deserialize(value))


def _plain(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(v) for v in value]
    return value


def key(pk: str, sk: str) -> dict[str, Any]:
    """A primary key in DynamoDB JSON."""
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def lead_key(lead_id: str) -> dict[str, Any]:
    """The primary key of a lead item."""
    return key(f"{LEAD_PREFIX}{lead_id}", LEAD_SK)


def guard_pk(kind: GuardKind, guard_key: str) -> str:
    """The pk of a guard item."""
    return GUARD_KEYS[kind][0] + guard_key


def guard_key(kind: GuardKind, guard_key: str) -> dict[str, Any]:
    """The primary key of a guard item."""
    prefix, sk = GUARD_KEYS[kind]
    return key(prefix + guard_key, sk)


def guard_item(guard: Guard) -> dict[str, Any]:
    """A guard as its stored item."""
    prefix, sk = GUARD_KEYS[guard.kind]
    return to_item(
        {
            "pk": prefix + guard.key,
            "sk": sk,
            "lead_id": guard.lead_id,
            "fingerprint": guard.fingerprint,
            "response": guard.response,
            "language": guard.language,
            "expires_at": guard.expires_at,
        }
    )


def guard_from(kind: GuardKind, item: dict[str, Any]) -> Guard:
    """A stored guard item (DynamoDB JSON) as a Guard."""
    data = from_item(item)
    return Guard(
        kind=kind,
        key=str(data["pk"]).removeprefix(GUARD_KEYS[kind][0]),
        lead_id=str(data.get("lead_id", "")),
        expires_at=int(data.get("expires_at", 0)),
        response=str(data.get("response", "")),
        fingerprint=data.get("fingerprint"),
        # A guard written before answers had a language was written in English.
        language=str(data.get("language") or "en"),
    )


def lead_item(lead: dict[str, Any], guards: Iterable[Guard]) -> dict[str, Any]:
    """A new lead as its stored item: its keys, its guards' pks, and its place in the notice queue."""
    record: dict[str, Any] = {"pk": f"{LEAD_PREFIX}{lead['lead_id']}", "sk": LEAD_SK, "entity": "lead", **lead}
    for guard in guards:
        record[GUARD_ATTRIBUTES[guard.kind]] = guard_pk(guard.kind, guard.key)
    if lead.get("notice_due_at"):
        record["notice_queue"] = NOTICE_QUEUE
    return to_item(record)


def lead_guard_keys(lead: dict[str, Any]) -> list[dict[str, Any]]:
    """The keys of the guards a stored lead claimed."""
    found = []
    for kind, name in GUARD_ATTRIBUTES.items():
        if lead.get(name):
            found.append(key(lead[name], GUARD_KEYS[kind][1]))
    return found


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


def note_item(lead_id: str, note: dict[str, Any], expires_at: int | None) -> dict[str, Any]:
    """A note as its stored item, under its lead's key and kept as long as the lead."""
    return to_item(
        {
            "pk": f"{LEAD_PREFIX}{lead_id}",
            "sk": f"{NOTE_PREFIX}{note['at']}#{note['note_id']}",
            "entity": "note",
            **{k: note[k] for k in ("note_id", "author", "at", "text")},
            "expires_at": expires_at,
        }
    )


def note_from(item: dict[str, Any]) -> dict[str, Any]:
    """A stored note item as the note staff see."""
    data = from_item(item)
    return {k: data.get(k) for k in ("note_id", "author", "at", "text")}


def audit_item(record: AuditRecord) -> dict[str, Any]:
    """An audit record as its stored item, kept AUDIT_RETENTION_DAYS (DynamoDB's TTL deletes it after that)."""
    day = record.at[:10]
    pk = AUDIT_LEAD_PREFIX + record.lead_id if record.lead_id else AUDIT_DAY_PREFIX + day
    at = datetime.fromisoformat(record.at)
    return to_item(
        {
            "pk": pk,
            # The random tail keeps two records of one millisecond apart.
            "sk": f"{record.at}#{secrets.token_hex(6)}",
            "entity": "audit",
            "audit_day": day,
            **record.as_dict(),
            "expires_at": int(at.timestamp()) + AUDIT_RETENTION_DAYS * 86400,
        }
    )


def audit_from(item: dict[str, Any]) -> dict[str, Any]:
    """A stored audit item as the record the audit trail shows."""
    data = from_item(item)
    return {k: data[k] for k in AUDIT_FIELDS if k in data}
