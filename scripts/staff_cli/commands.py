"""The staff commands: each reads its arguments, calls chalicelib.staff, and prints."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from chalicelib.leads import Status
from chalicelib.staff import actions, read
from chalicelib.staff.cursor import BadCursor, Cursor, decode_cursor
from chalicelib.staff.export import to_csv
from chalicelib.staff.labels import full_name
from chalicelib.staff.read import public
from chalicelib.store import LeadNotFound
from scripts.staff_cli.console import Io
from scripts.staff_cli.errors import ABORTED, CONFLICT, NOT_FOUND, OK, UNAVAILABLE, USAGE, CliError
from scripts.staff_cli.render import (
    LIST_WIDTH,
    duration,
    render_audit_record,
    render_lead,
    render_list,
    render_speed,
    render_table,
    safe_text,
    show_time,
    zone_name,
)
from scripts.staff_cli.target import Context

OPEN_STATUSES = ("new", "contacted", "scheduled")
ALL_STATUSES = tuple(s.value for s in Status)
NOT_A_CURSOR = "That --next value is not one this tool printed. Copy it again from the last page."
AUDIT_PAGE = 1000  # audit records read a page (the most the store verb is asked for at once)
REAL_STATUSES = tuple(s for s in ALL_STATUSES if s != Status.SPAM.value)


def _range(args: argparse.Namespace, default_days: int | None) -> tuple[str | None, str | None]:
    lower = _moment(args.since, end_of_day=False) if args.since else None
    upper = _moment(args.until, end_of_day=True) if args.until else None
    if lower is None and default_days:
        start = datetime.now(UTC).date() - timedelta(days=default_days - 1)
        lower = read.stamp(datetime.combine(start, time.min, UTC))
    if lower and upper and lower > upper:
        raise CliError("--since is after --until.", USAGE)
    return lower, upper


def _moment(text: str, end_of_day: bool) -> str:
    try:
        return read.moment(text, end_of_day)
    except ValueError as exc:
        raise CliError(
            f"'{text.strip()}' is not a date. Use YYYY-MM-DD or an ISO time like 2026-05-01T09:00Z.", USAGE
        ) from exc


def _lead_id(raw: str) -> str:
    lead_id = actions.clean_lead_id(raw)
    if lead_id is None:
        raise CliError(
            f"'{safe_text(raw)}' is not a lead id (26 letters and digits, as in the staff notice).", NOT_FOUND
        )
    return lead_id


def _view(ctx: Context, lead_id: str) -> dict[str, Any]:
    """The whole lead with its notes and history (audited as a view; acknowledges it if nobody has)."""
    try:
        return actions.view_lead(lead_id, ctx.deps, ctx.actor)
    except LeadNotFound as exc:
        raise CliError(f"No lead with id {lead_id} in {ctx.target.where()}.", NOT_FOUND) from exc


def cmd_list(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Leads by status, newest first, a page at a time (audited as one list)."""
    asked = list(dict.fromkeys(args.status or ([Status.SPAM.value] if args.spam else OPEN_STATUSES)))
    start = Cursor(tuple(Status(s) for s in asked))
    if args.next:
        try:
            start = decode_cursor(args.next)
        except BadCursor as exc:
            raise CliError(NOT_A_CURSOR, USAGE) from exc
        if (args.status or args.spam) and asked != [s.value for s in start.statuses]:
            raise CliError("--next continues the list it came from; leave out --status/--spam or start again.", USAGE)
    page = actions.list_leads(
        ctx.deps,
        ctx.actor,
        statuses=None if args.next else asked,
        cursor=args.next,
        limit=args.limit,
        urgent_first=False,
        full=True,
    )
    statuses = [s.value for s in start.statuses]
    items: list[dict[str, Any]] = page["leads"]
    cursor = page["next"]
    if args.json:
        io_.json({"statuses": statuses, "leads": items, "next": cursor})
        return OK
    what = ", ".join(statuses)
    if not items:
        io_.say(f"No {'more ' if args.next else ''}leads with status {what}.")
    else:
        width = (
            max(LIST_WIDTH, shutil.get_terminal_size((LIST_WIDTH, 24)).columns) if io_.stdout.isatty() else LIST_WIDTH
        )
        io_.say(render_list(items, ctx.zone, width))
        io_.say(f"\n{len(items)} lead(s), status {what}, newest first.")
        io_.say(f"Times are {zone_name(ctx.zone)}" + ("." if zone_name(ctx.zone) == "UTC" else " (--utc for UTC)."))
    if cursor:
        io_.say(f"More: {ctx.prog} list --next {cursor}")
    if Status.SPAM.value not in statuses:
        io_.say(f"Suspected spam is listed apart: {ctx.prog} list --spam")
    return OK


def cmd_show(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """The whole lead, its notes and history."""
    lead = _view(ctx, _lead_id(args.lead_id))
    if args.json:
        io_.json(public(lead))
    else:
        io_.say(render_lead(lead, ctx.zone))
    return OK


def cmd_status(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Record what happened, only if nobody changed the lead since it was seen."""
    lead_id = _lead_id(args.lead_id)
    if args.from_status == Status.SPAM.value:
        raise CliError(f"Lead {lead_id} is marked as spam. Restore it first: {ctx.prog} restore {lead_id}", CONFLICT)
    try:
        change = actions.change_status(lead_id, args.new_status, ctx.deps, ctx.actor, expected=args.from_status)
    except LeadNotFound as exc:
        raise CliError(f"No lead with id {lead_id} in {ctx.target.where()}.", NOT_FOUND) from exc
    except actions.StaleStatus as exc:
        if exc.current == Status.SPAM.value:
            raise CliError(
                f"Lead {lead_id} is marked as spam. Restore it first: {ctx.prog} restore {lead_id}", CONFLICT
            ) from exc
        raise CliError(
            f"Lead {lead_id} was changed by someone else: it is now {exc.current}, not {exc.expected}. "
            f"Nothing was changed. Check it with `{ctx.prog} show {lead_id}` and try again if still needed.",
            CONFLICT,
        ) from exc
    if args.json:
        io_.json({"lead_id": lead_id, "previous": change.previous, "status": change.status})
    else:
        io_.say(f"Lead {lead_id}: {change.previous} -> {change.status}.")
    return OK


def cmd_restore(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Spam back to new, and its staff notice sent."""
    lead_id = _lead_id(args.lead_id)
    ctx.ready_to_notify()
    try:
        outcome = actions.restore(lead_id, ctx.deps, ctx.actor)
    except LeadNotFound as exc:
        raise CliError(f"No lead with id {lead_id} in {ctx.target.where()}.", NOT_FOUND) from exc
    except actions.StaleStatus as exc:
        raise CliError(f"Lead {lead_id} is not spam (it is {exc.current}); nothing was changed.", CONFLICT) from exc
    if args.json:
        io_.json({"lead_id": lead_id, "status": "new", "notice": outcome})
        return OK
    words = {
        "sent": "staff notice sent",
        "failed": "the staff notice could not be sent now; it is retried automatically",
        "dead": f"the staff notice could not be sent; `{ctx.prog} redrive` tries again",
        "skipped": "its staff notice is already on its way",
    }
    io_.say(f"Lead {lead_id} restored to new; {words.get(outcome, outcome)}.")
    return OK


def cmd_erase(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Delete a lead and everything keyed by it, after typing its id."""
    lead_id = _lead_id(args.lead_id)
    if not args.yes:
        # Showing whom it erases is a view of the lead (audited as one).
        lead = _view(ctx, lead_id)
        io_.note(
            f"This erases lead {lead_id} ({safe_text(full_name(lead))}, "
            f"received {show_time(lead.get('created_at'), zone=ctx.zone)}) "
            "and everything stored with it. It cannot be undone."
        )
        print("Type the lead id to erase it: ", end="", file=io_.stderr, flush=True)
        typed = io_.stdin.readline().strip().upper()
        if typed != lead_id:
            io_.note("Not erased.")
            return ABORTED
    try:
        actions.erase(lead_id, ctx.deps, ctx.actor)
    except LeadNotFound as exc:
        raise CliError(f"No lead with id {lead_id} in {ctx.target.where()}.", NOT_FOUND) from exc
    if args.json:
        io_.json({"lead_id": lead_id, "erased": True})
    else:
        io_.say(f"Lead {lead_id} erased.")
    return OK


def cmd_export(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Leads created in a time range, as CSV or JSON (audited as one export with its row count)."""
    lower, upper = _range(args, default_days=None)
    statuses = args.status or (ALL_STATUSES if args.include_spam else REAL_STATUSES)
    items = actions.export_leads(ctx.deps, ctx.actor, lower, upper, statuses=statuses)
    text = to_csv(items) if args.format == "csv" else json.dumps(items, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        path = Path(args.output)
        # The file holds personal details: readable by its owner only.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        io_.note(f"Exported {len(items)} lead(s) to {path}.")
    else:
        buffer = getattr(io_.stdout, "buffer", None)
        if buffer is not None:
            io_.stdout.flush()
            buffer.write(text.encode("utf-8"))
            buffer.flush()
        else:
            io_.stdout.write(text)
    return OK


def cmd_redrive(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Send failed and dead notices again."""
    ctx.ready_to_notify()
    tally = actions.redrive(ctx.deps)
    if args.json:
        io_.json(tally)
        return OK
    tried = sum(tally.values())
    if not tried:
        io_.say("No failed or dead notices: nothing to send.")
    else:
        io_.say(
            f"Sent again: {tally['sent']} sent, {tally['failed']} failed (retried automatically), "
            f"{tally['dead']} dead, {tally['skipped']} already in progress."
        )
    return OK if not (tally["failed"] or tally["dead"]) else UNAVAILABLE


def cmd_stats(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Leads by day and status; notice delivery times; minutes to acknowledge and to first contact."""
    lower, upper = _range(args, default_days=args.days)
    stats = actions.lead_stats(ctx.deps, ctx.actor, lower, upper)
    if args.json:
        io_.json(stats)
        return OK
    span = f"{(lower or 'the start')[:10]} to {(upper or datetime.now(UTC).isoformat())[:10]}"
    io_.say(f"Leads by day (UTC), {span}")
    if not stats["by_day"]:
        io_.say("  none")
    else:
        headers = ["Day", *ALL_STATUSES, "total"]
        rows = [[day, *(str(c[s]) for s in ALL_STATUSES), str(sum(c.values()))] for day, c in stats["by_day"].items()]
        rows.append(["total", *(str(stats["totals"][s]) for s in ALL_STATUSES), str(stats["total"])])
        io_.say(render_table(headers, rows))
        io_.say("  by source: " + (", ".join(f"{k} {v}" for k, v in stats["by_source"].items()) or "none"))
        io_.say("  by campaign: " + (", ".join(f"{k} {v}" for k, v in stats["by_campaign"].items()) or "none"))
    notices = stats["notices"]
    io_.say("")
    io_.say("Staff notices")
    if notices["delivered"]:
        io_.say(
            f"  delivered {notices['delivered']}: median {duration(notices['median_seconds'])}, "
            f"slowest {duration(notices['max_seconds'])} from lead to notice"
        )
    else:
        io_.say("  none delivered in this range")
    states = notices["states"]
    io_.say("  by state: " + (", ".join(f"{k} {v}" for k, v in states.items()) or "none"))
    if states.get("failed") or states.get("dead"):
        io_.say(f"  Failed or dead notices can be sent again: {ctx.prog} redrive")
    io_.say("")
    io_.say(
        f"Speed to lead: minutes from arrival, median / 90th percentile (leads measured); "
        f"days and weeks in {stats['speed']['timezone']}, arrivals in or outside clinic hours"
    )
    io_.say(render_speed(stats["speed"]))
    return OK


def cmd_audit(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """One UTC day's audit trail, oldest first, read a page at a time (reading it is not itself audited)."""
    day = (args.date or datetime.now(UTC).date().isoformat()).strip()
    try:
        if len(day) != 10:
            raise ValueError
        day = date.fromisoformat(day).isoformat()
    except ValueError as exc:
        raise CliError(f"'{safe_text(day)}' is not a day. Use YYYY-MM-DD (a UTC day).", USAGE) from exc
    records = actions.audit_trail(day, ctx.deps, ctx.actor, page=AUDIT_PAGE)
    if args.json:
        io_.json({"date": day, "records": list(records)})
        return OK
    count = 0
    for record in records:  # printed as each page arrives: a busy day is long
        io_.say(render_audit_record(record, ctx.zone))
        count += 1
    if not count:
        io_.say(f"No audit records on {day} (UTC).")
        return OK
    io_.say(f"\n{count} record(s) on {day} (UTC), oldest first.")
    io_.say(f"Times are {zone_name(ctx.zone)}" + ("." if zone_name(ctx.zone) == "UTC" else " (--utc for UTC)."))
    return OK


@contextlib.contextmanager
def stage_variable(stage: str | None) -> Iterator[None]:
    """STAGE set for the run, so a notice it sends (restore, redrive) names this stage in its `./leads` hint."""
    if stage is None:
        yield
        return
    previous = os.environ.get("STAGE")
    os.environ["STAGE"] = stage
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("STAGE", None)
        else:
            os.environ["STAGE"] = previous
