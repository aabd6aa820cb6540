"""Leads by day and status, how long staff notices took, and how fast staff answered (speed to lead)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.leads import Status

if TYPE_CHECKING:
    from chalicelib.hours import OfficeHours

STATUSES = tuple(s.value for s in Status)
# The two clocks the clinic is measured by: to the first open or claim, and to the first move to contacted.
# A lead that came with no UTM source or campaign (typed address, a bookmark, the clinic's own page).
NO_SOURCE = "(none)"
CLOCKS = {"acknowledge": "acknowledged_at", "first_contact": "first_contacted_at"}
ARRIVALS = ("in_hours", "out_of_hours")


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


def _instant(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def clock_start(lead: dict[str, Any]) -> datetime | None:
    """When a lead's clock started: when it arrived, or when it was restored from spam."""
    return _instant(lead.get("restored_at") or lead.get("created_at"))


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value at least `fraction` of the values are at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _summary(minutes: list[float]) -> dict[str, Any]:
    return {
        "count": len(minutes),
        "median_minutes": round(statistics.median(minutes), 1) if minutes else None,
        "p90_minutes": round(percentile(minutes, 0.9), 1) if minutes else None,
    }


class _Speed:
    """Minutes to acknowledge and to first contact, by arrival in or out of clinic hours."""

    def __init__(self) -> None:
        self.leads = {arrival: 0 for arrival in ARRIVALS}
        self.unacknowledged = {arrival: 0 for arrival in ARRIVALS}
        self.minutes: dict[str, dict[str, list[float]]] = {a: {c: [] for c in CLOCKS} for a in ARRIVALS}

    def add(self, arrival: str, lead: dict[str, Any], start: datetime) -> None:
        self.leads[arrival] += 1
        if not lead.get("acknowledged_at"):
            self.unacknowledged[arrival] += 1
        for clock, attribute in CLOCKS.items():
            end = _instant(lead.get(attribute)) if lead.get(attribute) else None
            if end is not None:
                self.minutes[arrival][clock].append(max(0.0, (end - start).total_seconds() / 60))

    def report(self) -> dict[str, Any]:
        return {
            arrival: {
                "leads": self.leads[arrival],
                "unacknowledged": self.unacknowledged[arrival],
                **{clock: _summary(self.minutes[arrival][clock]) for clock in CLOCKS},
            }
            for arrival in ARRIVALS
        }


def speed_to_lead(leads: Iterable[dict[str, Any]], hours: OfficeHours) -> dict[str, Any]:
    """Median and 90th percentile minutes to acknowledge and to first contact, per day, per week and overall.

    Each split by when the lead arrived (or was restored from spam): within
    the clinic's hours or outside them. Days and ISO weeks are the clinic's
    own (CLINIC_TIMEZONE). Spam is left out: nobody is asked to answer it.
    """
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(hours.timezone)
    days: dict[str, _Speed] = {}
    weeks: dict[str, _Speed] = {}
    overall = _Speed()
    for lead in leads:
        start = clock_start(lead)
        if lead.get("status") == Status.SPAM or start is None:
            continue
        arrival = "in_hours" if hours.is_open(start) else "out_of_hours"
        local = start.astimezone(zone)
        year, week, _ = local.isocalendar()
        for bucket in (
            days.setdefault(local.date().isoformat(), _Speed()),
            weeks.setdefault(f"{year}-W{week:02d}", _Speed()),
            overall,
        ):
            bucket.add(arrival, lead, start)
    return {
        "timezone": hours.timezone,
        "by_day": {day: speed.report() for day, speed in sorted(days.items())},
        "by_week": {week: speed.report() for week, speed in sorted(weeks.items())},
        "overall": overall.report(),
    }


def compute_stats(leads: Iterable[dict[str, Any]], hours: OfficeHours | None = None) -> dict[str, Any]:
    """Counts by UTC day and status, by UTM source and campaign (spam left out), notice states,
    delivery times (median and slowest), and speed to lead.

    `hours` are the clinic's (default: this stage's CLINIC_HOURS), which split
    the speed figures by arrival within or outside them.
    """
    if hours is None:
        from chalicelib.settings import get_settings

        hours = get_settings().office_hours
    leads = list(leads)
    by_day: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys(STATUSES, 0)
    states: dict[str, int] = {}
    delays: list[float] = []
    sources: dict[str, int] = {}
    campaigns: dict[str, int] = {}
    total = 0
    for lead in leads:
        total += 1
        if lead.get("status") != "spam":
            origin = lead.get("source") or {}
            for counts, field in ((sources, "utm_source"), (campaigns, "utm_campaign")):
                name = str(origin.get(field) or NO_SOURCE)
                counts[name] = counts.get(name, 0) + 1
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
        "by_source": _most_first(sources),
        "by_campaign": _most_first(campaigns),
        "speed": speed_to_lead(leads, hours),
    }


def _most_first(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
