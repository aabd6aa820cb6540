"""Lead ids: ULIDs, sortable by the time they were made."""

from __future__ import annotations

import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_lead_id(now_ms: int | None = None) -> str:
    """A ULID: 48-bit millisecond time then 80 random bits, so ids sort by time."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_lead_id(value: str) -> bool:
    """True if value has the shape of a lead id (so it is safe to use as a key)."""
    return len(value) == 26 and all(c in _CROCKFORD for c in value)
