"""Leads by day and status, and how long staff notices took."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.leads import Status

STATUSES = tuple(s.value for s in Status)


def delivery_seconds(lead: dict[str, Any]) -> float | None:
    """Seconds from the lead (or its restore from spam) to its staff notice."""
    sent = lead.get("notice_sent_at")
    start = lead.get("restored_at") or lead.get("created_at")
    if not sent or not start:
        return None
    try:
        return (datetime.fromisoformat(sent) - datetime.fromisoformat(start)).total_seconds()
    except ValueError:
        return None


def compute_stats(leads: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Counts by UTC day and status, notice states, and delivery times (median and slowest)."""
    by_day: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys(STATUSES, 0)
    states: dict[str, int] = {}
    delays: list[float] = []
    total = 0
    for lead in leads:
        total += 1
        day = str(lead.get("created_at", ""))[:10]
        status = str(lead.get("status", ""))
        row = by_day.setdefault(day, dict.fromkeys(STATUSES, 0))
        row[status] = row.get(status, 0) + 1
        totals[status] = totals.get(status, 0) + 1
        state = str(lead.get("notice_state", ""))
        states[state] = states.get(state, 0) + 1
        delay = delivery_seconds(lead)
        if delay is not None:
            delays.append(delay)
    return {
        "by_day": dict(sorted(by_day.items())),
        "totals": totals,
        "total": total,
        "notices": {
            "states": dict(sorted(states.items())),
            "delivered": len(delays),
            "median_seconds": round(statistics.median(delays), 3) if delays else None,
            "max_seconds": round(max(delays), 3) if delays else None,
        },
    }
