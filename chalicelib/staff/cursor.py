"""Listing cursors: which statuses a list shows and where each one stopped, as an opaque token."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.ids import is_lead_id
from chalicelib.leads import Priority, Status
from chalicelib.words import supported

URGENT = "urgent"  # the stream of urgent new leads, listed first when asked

Position = tuple[str, str] | None  # (created_at, lead_id) of the last lead shown; None: nothing more


class BadCursor(ValueError):
    """A token that is not one this code made (garbled, edited or for other statuses)."""


@dataclass(frozen=True)
class Cursor:
    """A list's statuses and filters and, per stream, the last lead shown (absent: not started).

    `mine`: only leads assigned to the caller (whoever asks for the next page);
    `language`: only leads of visitors answered in it.
    """

    statuses: tuple[Status, ...]
    positions: Mapping[str, Position] = field(default_factory=dict)
    urgent_first: bool = False
    priority: Priority | None = None
    mine: bool = False
    language: str | None = None

    def streams(self) -> set[str]:
        """The position keys this list may carry."""
        keys = {s.value for s in self.statuses}
        if self.urgent_first and Status.NEW in self.statuses:
            keys.add(URGENT)
        return keys


def encode_cursor(cursor: Cursor) -> str:
    """The token a caller hands back for the next page."""
    data: dict[str, object] = {
        "s": [s.value for s in cursor.statuses],
        "p": {k: list(v) if v is not None else None for k, v in cursor.positions.items()},
    }
    if cursor.urgent_first:
        data["u"] = 1
    if cursor.priority is not None:
        data["pr"] = cursor.priority.value
    if cursor.mine:
        data["m"] = 1
    if cursor.language is not None:
        data["l"] = cursor.language
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    """Read a token back, or raise BadCursor."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        statuses = tuple(Status(s) for s in data["s"])
        urgent = data.get("u", 0) == 1
        priority = Priority(data["pr"]) if "pr" in data else None
        mine = data.get("m", 0) == 1
        language = supported(data["l"]) if "l" in data else None
        if "l" in data and language is None:
            raise ValueError
        raw_positions = data["p"]
        if not statuses or len(set(statuses)) != len(statuses) or not isinstance(raw_positions, dict):
            raise ValueError
        positions: dict[str, Position] = {}
        for key, value in raw_positions.items():
            positions[key] = None if value is None else _position(value)
        cursor = Cursor(statuses, positions, urgent, priority, mine, language)
        if not set(positions) <= cursor.streams():
            raise ValueError
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadCursor("not a cursor this list made") from exc
    return cursor


def _position(value: object) -> tuple[str, str]:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise ValueError
    created, lead_id = value
    datetime.fromisoformat(created)
    if not is_lead_id(lead_id):
        raise ValueError
    return created, lead_id


# -- the audit trail's pages ------------------------------------------------------

_AUDIT_POSITION_CHARS = frozenset("0123456789abcdefABCDEFTZ:.+-#")


def encode_audit_cursor(day: str, after: str) -> str:
    """The token for the next page of a day's audit trail: the day, and the store's position in it."""
    raw = json.dumps({"d": day, "a": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_audit_cursor(token: str, day: str) -> str:
    """The store's position a token of this day's trail holds; BadCursor for anything else (another day too)."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after = data["a"]
        if data["d"] != day or not isinstance(after, str) or not after.startswith(day):
            raise ValueError
        # A time, then the store's own tie-break: short, and nothing a query could read as anything else.
        if len(after) > 64 or not set(after) <= _AUDIT_POSITION_CHARS:
            raise ValueError
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadCursor("not a cursor of this day's audit trail") from exc
    return after
