"""The read side: leads listed across statuses with cursors, and leads created in a range."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any, Protocol

from chalicelib.leads import Priority, Status
from chalicelib.staff.cursor import URGENT, Cursor, Position

# Item attributes that only the pipeline's machinery reads.
INTERNAL = frozenset(
    {"pk", "sk", "entity", "fingerprint", "dup_pk", "submission_key_hash", "notice_queue", "notice_lease_until"}
)
_FILTERED_PAGE = 100  # leads read a query when only some of them are listed


class LeadReader(Protocol):
    """The two store verbs the read side uses."""

    def leads_by_status(
        self, status: Status, *, limit: int, after: tuple[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
        """One page of leads with this status, newest first, after (created_at, lead_id)."""
        ...

    def leads_created_between(self, status: Status, lower: str | None, upper: str | None) -> Iterator[dict[str, Any]]:
        """Every lead of this status created within [lower, upper], oldest first."""
        ...


@dataclass(frozen=True)
class Page:
    """One page of a list, and the cursor for the next one (None when it is the last)."""

    leads: list[dict[str, Any]]
    next: Cursor | None


@dataclass(frozen=True)
class _Stream:
    key: str
    status: Status
    keep: Callable[[dict[str, Any]], bool] | None = None


def public(lead: dict[str, Any]) -> dict[str, Any]:
    """A lead without the pipeline's internal attributes (what staff see and export)."""
    return {k: v for k, v in lead.items() if k not in INTERNAL}


def _urgent(lead: dict[str, Any]) -> bool:
    return lead.get("priority") == Priority.URGENT.value


def _not_urgent(lead: dict[str, Any]) -> bool:
    return not _urgent(lead)


def list_page(
    reader: LeadReader, cursor: Cursor, limit: int, keep: Callable[[dict[str, Any]], bool] | None = None
) -> Page:
    """One page newest first across the cursor's statuses (urgent new leads first when it says so).

    Each status is its own query; pages are merged by created time and each
    stream remembers the last lead it contributed. `keep`, when given, is a
    filter every listed lead passes (the cursor's priority and "mine").
    """
    urgent = cursor.urgent_first and Status.NEW in cursor.statuses
    rest = [
        _Stream(s.value, s, _both(_not_urgent if urgent and s is Status.NEW else None, keep)) for s in cursor.statuses
    ]
    phases = [[_Stream(URGENT, Status.NEW, _both(_urgent, keep))], rest] if urgent else [rest]
    positions: dict[str, Position] = dict(cursor.positions)
    shown: list[dict[str, Any]] = []
    for phase in phases:
        if len(shown) < limit:
            shown += _merge(reader, phase, positions, limit - len(shown))
    keys = [s.key for phase in phases for s in phase]
    done = all(k in positions and positions[k] is None for k in keys)
    return Page(shown, None if done else replace(cursor, positions=positions))


def _both(
    first: Callable[[dict[str, Any]], bool] | None, second: Callable[[dict[str, Any]], bool] | None
) -> Callable[[dict[str, Any]], bool] | None:
    if first is None or second is None:
        return first or second
    return lambda lead: first(lead) and second(lead)


def _merge(reader: LeadReader, streams: list[_Stream], positions: dict[str, Position], room: int) -> list[Any]:
    fetched: dict[str, list[dict[str, Any]]] = {}
    more: dict[str, bool] = {}
    for stream in streams:
        if stream.key in positions and positions[stream.key] is None:
            continue
        fetched[stream.key], more[stream.key] = _take(reader, stream, positions.get(stream.key), room)
    tagged = [[(key, lead) for lead in items] for key, items in fetched.items()]
    # heapq.merge keeps each stream's own order, so what a stream contributes is a prefix of its page.
    merged = heapq.merge(*tagged, key=lambda pair: str(pair[1].get("created_at", "")), reverse=True)
    shown = list(itertools.islice(merged, room))
    for key, items in fetched.items():
        taken = [lead for k, lead in shown if k == key]
        if taken:
            positions[key] = (str(taken[-1]["created_at"]), str(taken[-1]["lead_id"]))
        if len(taken) == len(items) and not more[key]:
            positions[key] = None
    return [lead for _, lead in shown]


def _take(reader: LeadReader, stream: _Stream, after: Position, n: int) -> tuple[list[dict[str, Any]], bool]:
    """Up to n leads of the stream after `after`, and whether it may hold more."""
    found: list[dict[str, Any]] = []
    size = n if stream.keep is None else max(n, _FILTERED_PAGE)
    while True:
        page, after = reader.leads_by_status(stream.status, limit=size, after=after)
        for i, lead in enumerate(page):
            if stream.keep is None or stream.keep(lead):
                found.append(lead)
                if len(found) == n:
                    return found, i < len(page) - 1 or after is not None
        if after is None:
            return found, False


def created_between(
    reader: LeadReader, statuses: Sequence[Status], lower: str | None, upper: str | None
) -> list[dict[str, Any]]:
    """Every lead of these statuses created within [lower, upper], oldest first."""
    found: list[dict[str, Any]] = []
    for status in statuses:
        found += reader.leads_created_between(status, lower, upper)
    return sorted(found, key=lambda it: (str(it.get("created_at", "")), str(it.get("lead_id", ""))))


def moment(text: str, end_of_day: bool) -> str:
    """A day (YYYY-MM-DD, UTC) or ISO time as the sortable created_at form; ValueError if neither."""
    text = text.strip()
    if len(text) == 10:
        at = datetime.combine(date.fromisoformat(text), time.max if end_of_day else time.min, UTC)
    else:
        at = datetime.fromisoformat(text)
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
    try:
        return stamp(at)
    except OverflowError as exc:  # a time at the calendar's edge: 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise ValueError("the time is outside the calendar") from exc


def stamp(at: datetime) -> str:
    """UTC time as stored in created_at (the service's own format)."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
