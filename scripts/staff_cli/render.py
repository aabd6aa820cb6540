"""Leads for a terminal: tables and labelled sections (the CLI's presentation)."""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.leads import ANSWER_FIELDS
from chalicelib.staff.labels import CHANNELS, LANGUAGES, NOTICE_STATES, SERVICES, TREATMENTS, full_name, reach
from chalicelib.staff.read import public
from chalicelib.staff.stats import delivery_seconds
from scripts.staff_cli.errors import SETUP, CliError

CLINIC_TIMEZONE = "America/New_York"
LIST_WIDTH = 80


def safe_text(value: Any) -> str:
    """Text fit for a terminal: control characters (escape sequences) become '?'."""
    text = "" if value is None else str(value)
    return "".join(c if c == "\n" or unicodedata.category(c) != "Cc" else "?" for c in text)


def show_time(stamp: str | None, seconds: bool = True, zone: tzinfo = UTC) -> str:
    if not stamp:
        return "—"
    try:
        moment = datetime.fromisoformat(stamp).astimezone(zone)
    except ValueError:
        return safe_text(stamp)
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M")


def clinic_zone(name: str) -> tzinfo:
    """The clinic's time zone by its IANA name, or a plain error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CliError(
            f"'{safe_text(name)}' in CLINIC_TIMEZONE is not a time zone. Use a name like America/New_York, or --utc.",
            SETUP,
        ) from exc


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{seconds / 3600:.1f} h"


def _minutes(figures: dict[str, Any]) -> str:
    if not figures["count"]:
        return "—"
    return f"{figures['median_minutes']:g} / {figures['p90_minutes']:g} ({figures['count']})"


def render_speed(speed: dict[str, Any]) -> str:
    """Speed to lead as a table: per day, per week and overall, arrivals in and outside clinic hours."""
    headers = ["Period", "Arrived", "Leads", "Not opened", "To acknowledge", "To first contact"]
    rows = []
    periods = [*speed["by_day"].items(), *speed["by_week"].items(), ("all", speed["overall"])]
    for period, groups in periods:
        for arrival, label in (("in_hours", "in hours"), ("out_of_hours", "outside")):
            group = groups[arrival]
            if not group["leads"]:
                continue
            rows.append(
                [
                    period,
                    label,
                    str(group["leads"]),
                    str(group["unacknowledged"]),
                    _minutes(group["acknowledge"]),
                    _minutes(group["first_contact"]),
                ]
            )
    return render_table(headers, rows) if rows else "  none"


def _yes(value: Any) -> str:
    return "—" if value is None else ("yes" if value else "no")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], max_width: int = 32) -> str:
    """A plain text table with a header rule; long cells are cut with an ellipsis."""
    cells = [[_short(safe_text(c).replace("\n", " "), max_width) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def _section(title: str, rows: list[tuple[str, Any]], keep_empty: bool = True) -> list[str]:
    lines = []
    for label, value in rows:
        if value in (None, "", []) and not keep_empty:
            continue
        text = safe_text("—" if value in (None, "", []) else value)
        first, *rest = text.split("\n")
        lines.append(f"  {label:<18}{first}")
        lines += [f"  {'':<18}{line}" for line in rest]
    return [title, *lines] if lines else []


def staff_member(lead: dict[str, Any], username: Any) -> str:
    """A staff member who worked the lead: the name it keeps for them, with their username ("" for nobody)."""
    if not username:
        return ""
    name = (lead.get("staff_names") or {}).get(username)
    return f"{name} ({username})" if name else str(username)


def render_lead(lead: dict[str, Any], zone: tzinfo = UTC) -> str:
    """The whole lead, in labelled sections, times in `zone`."""
    when = functools.partial(show_time, zone=zone)
    who = functools.partial(staff_member, lead)
    consent = lead.get("consent") or {}
    source = lead.get("source") or {}
    priority = lead.get("priority", "normal")
    delivery = delivery_seconds(lead)
    came = "was restored" if lead.get("restored_at") else "came in"
    expires = lead.get("expires_at")
    known = {
        "lead_id",
        "status",
        "priority",
        "created_at",
        "updated_at",
        *ANSWER_FIELDS,
        "consent",
        "source",
        "notice_state",
        "notice_attempts",
        "notice_sent_at",
        "notice_message_id",
        "notice_last_error",
        "notice_due_at",
        "ack_due_at",
        "escalations",
        "spam_reasons",
        "restored_at",
        "started_at",
        "expires_at",
        "assigned_to",
        "acknowledged_at",
        "acknowledged_by",
        "staff_names",
        "first_contacted_at",
        "notes",
        "history",
    }
    blocks = [
        [f"Lead {lead['lead_id']}" + ("   URGENT: call back at once" if priority == "urgent" else "")],
        _section(
            "Work",
            [
                ("Status", lead.get("status")),
                (
                    "Priority",
                    "urgent (the message suggests a crisis)" if priority == "urgent" else priority,
                ),
                ("Received", when(lead.get("created_at"))),
                ("Last changed", when(lead.get("updated_at")) if lead.get("updated_at") else None),
                ("Assigned to", who(lead.get("assigned_to")) or "nobody"),
                (
                    "Acknowledged",
                    f"{when(lead.get('acknowledged_at'))} by {who(lead.get('acknowledged_by'))}"
                    if lead.get("acknowledged_at")
                    else None,
                ),
                ("First contacted", when(lead.get("first_contacted_at")) if lead.get("first_contacted_at") else None),
            ],
        ),
        _section(
            "Person",
            [
                ("First name", lead.get("first_name")),
                ("Last name", lead.get("last_name")),
                ("Email", lead.get("email")),
                ("Phone", lead.get("phone")),
                ("Prefers", CHANNELS.get(lead.get("preferred_contact", ""), lead.get("preferred_contact"))),
                ("Best time", "any time" if lead.get("best_time", "any") == "any" else lead.get("best_time")),
                ("Language", LANGUAGES.get(lead.get("language") or "en", lead.get("language"))),
            ],
        ),
        _section(
            "Request",
            [
                ("Service", SERVICES.get(lead.get("service", ""), lead.get("service"))),
                ("Tried", ", ".join(TREATMENTS.get(t, t) for t in lead.get("tried_treatments") or [])),
                ("Message", lead.get("message")),
            ],
        ),
        _section(
            "Consent",
            [
                ("To contact", _yes(consent.get("contact"))),
                ("To text", _yes(consent.get("text"))),
                ("Privacy notice", consent.get("notice_version")),
                ("Given at", when(consent.get("at"))),
                ("From IP", consent.get("ip")),
                ("Browser", consent.get("user_agent")),
            ],
        ),
        _section(
            "Staff notice",
            [
                ("State", NOTICE_STATES.get(lead.get("notice_state", ""), lead.get("notice_state"))),
                ("Attempts", lead.get("notice_attempts")),
                (
                    "Sent at",
                    when(lead.get("notice_sent_at"))
                    + (f" ({duration(delivery)} after it {came})" if delivery is not None else "")
                    if lead.get("notice_sent_at")
                    else None,
                ),
                ("Message id", lead.get("notice_message_id")),
                ("Last error", lead.get("notice_last_error")),
                ("Next try", when(lead.get("notice_due_at")) if lead.get("notice_due_at") else None),
                (
                    "Escalated" if priority == "urgent" else "Reminder sent",
                    ", ".join(when(at) for at in lead.get("escalations") or []) or None,
                ),
                ("Next alert due", when(lead.get("ack_due_at")) if lead.get("ack_due_at") else None),
            ],
        ),
        _section(
            "Source",
            [
                ("Page", source.get("source_page")),
                ("Referrer", source.get("referrer")),
                *[("UTM " + k.removeprefix("utm_"), v) for k, v in sorted(source.items()) if k.startswith("utm_")],
                ("Form opened", when(lead.get("started_at")) if lead.get("started_at") else None),
            ],
            keep_empty=False,
        ),
        _section(
            "Spam",
            [
                ("Flagged for", ", ".join(lead.get("spam_reasons") or [])),
                ("Restored", when(lead.get("restored_at")) if lead.get("restored_at") else None),
            ],
            keep_empty=False,
        ),
        _section(
            "Notes",
            [
                (when(n.get("at"), seconds=False), f"{who(n.get('author'))}: {n.get('text')}")
                for n in lead.get("notes") or []
            ],
            keep_empty=False,
        ),
        _section(
            "History",
            [
                (
                    when(h.get("at"), seconds=False),
                    " ".join(str(p) for p in (h.get("action"), h.get("detail")) if p) + f" by {who(h.get('actor'))}",
                )
                for h in lead.get("history") or []
            ],
            keep_empty=False,
        ),
        _section(
            "Record",
            [
                (
                    "Deleted after",
                    datetime.fromtimestamp(int(expires), UTC).strftime("%Y-%m-%d") if expires else "kept",
                ),
            ],
        ),
        _section(
            "Other",
            [
                (k, json.dumps(v) if isinstance(v, (dict, list)) else v)
                for k, v in sorted(public(lead).items())
                if k not in known
            ],
            keep_empty=False,
        ),
    ]
    return "\n".join("\n".join(block) for block in blocks if block)


def render_audit_record(record: dict[str, Any], zone: tzinfo = UTC) -> str:
    """One audit record on one line: when, what, which lead, who in what role, the detail, from where."""
    parts = [
        show_time(record.get("at"), zone=zone),
        f"{safe_text(record.get('action')):<7}",
        safe_text(record.get("lead_id") or "—"),
        f"{safe_text(record.get('actor'))} ({safe_text(record.get('role'))})",
        safe_text(record.get("detail")),
        f"from {safe_text(record['source_ip'])}" if record.get("source_ip") else "",
    ]
    return "  ".join(part for part in parts if part).replace("\n", " ")


def render_list(items: list[dict[str, Any]], zone: tzinfo = UTC, width: int = LIST_WIDTH) -> str:
    """Two lines a lead, each at most `width` columns: the whole id, when, status, priority, notice;
    then who, how and when they prefer, and where to reach them (cut with an ellipsis)."""
    lines = []
    for it in items:
        when = datetime.fromisoformat(str(it.get("created_at"))).astimezone(zone).strftime("%b %d %H:%M")
        urgent = it.get("priority") == "urgent"
        head = (
            f"{safe_text(it['lead_id'])}  {when}  {safe_text(it.get('status', '')):<9}  "
            f"{'URGENT' if urgent else 'normal'}  notice {safe_text(it.get('notice_state', ''))}"
        )
        who = " · ".join(
            safe_text(part).replace("\n", " ")
            for part in (full_name(it), f"{it.get('preferred_contact', '')}, {it.get('best_time', 'any')}", reach(it))
            if part
        )
        lines += [_short(head, width), _short("    " + who, width)]
    return "\n".join(lines)


def zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or "UTC")
