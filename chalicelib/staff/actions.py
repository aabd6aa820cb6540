"""Staff actions, each audited: list, view, claim, status, note, restore, erase, export, stats, audit.

The CLI and the staff API call these with an Actor; each action that reads
or changes a lead stores exactly one audit record, in the same transaction
as the change it records (a read stores it before the data is returned).
An audit record holds no name, contact, message or note text. The service
is imported when an action runs (the notice model reads labels, not this).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.errors import LeadNotFound, NotesFull
from chalicelib.ids import is_lead_id, new_lead_id
from chalicelib.leads import Priority, Status
from chalicelib.ports import AuditAction, AuditRecord
from chalicelib.staff import read
from chalicelib.staff.cursor import (
    BadCursor,
    Cursor,
    decode_audit_cursor,
    decode_cursor,
    encode_audit_cursor,
    encode_cursor,
)
from chalicelib.text import clean_block
from chalicelib.words import DEFAULT_LANGUAGE, languages, supported

if TYPE_CHECKING:
    from chalicelib.service import Deps

__all__ = [
    "Actor",
    "BadCursor",
    "HeldByOther",
    "LeadNotFound",
    "NoteInvalid",
    "StaleStatus",
    "StatusChange",
    "Unchanged",
    "add_note",
    "audit_day",
    "audit_trail",
    "change_status",
    "claim",
    "default_since",
    "erase",
    "export_csv",
    "export_leads",
    "lead_stats",
    "list_leads",
    "page_tag",
    "restore",
    "view_lead",
]

NOTE_LIMIT = 2000
LIST_LIMIT = 500
AUDIT_PAGE = 200  # a day's audit records a page, unless asked
AUDIT_PAGE_LIMIT = 1000  # at most (a record is about 250 bytes: a page stays far below an answer's 6 MB)
REFUSED = "refused"  # the detail of an audit record of an attempt that was refused (and told why)
DEFAULT_DAYS = 90  # the days the staff API's export and stats cover when no first day is given
SUMMARY_FIELDS = (
    "lead_id",
    "created_at",
    "status",
    "priority",
    "first_name",
    "preferred_contact",
    "best_time",
    "language",
    "assigned_to",
    "assigned_to_name",  # how colleagues know the holder (None for a lead claimed before names, or from the CLI)
    "notice_state",
)
# What the inbox lists when no status is asked for: every lead but suspected spam.
LISTED = tuple(s for s in Status if s is not Status.SPAM)
ASSIGNED_TO_ME = "me"


@dataclass(frozen=True)
class Actor:
    """Who does a staff action."""

    username: str  # Cognito username, or the AWS caller's ARN for the CLI
    role: str  # "intake" | "clinician" | "admin" | "cli"
    source_ip: str  # "" when unknown (CLI)
    # How colleagues know them (their name, else their email), kept with the leads they work; never audited.
    name: str = ""  # "" for the CLI


class StaleStatus(Exception):
    """The lead was not in the status the caller expected; `current` is its status now."""

    def __init__(self, lead_id: str, expected: str, current: str) -> None:
        super().__init__(f"lead {lead_id} is {current}, not {expected}")
        self.lead_id = lead_id
        self.expected = expected
        self.current = current


class HeldByOther(Exception):
    """Another staff member holds the lead; `holder` is their username, `holder_name` how colleagues know them."""

    def __init__(self, lead_id: str, holder: str, holder_name: str = "") -> None:
        super().__init__(f"lead {lead_id} is assigned to someone else")
        self.lead_id = lead_id
        self.holder = holder
        self.holder_name = holder_name  # "" when the lead does not name them (claimed before names, or by the CLI)


class Unchanged(Exception):
    """The list asked for is the one the caller was last shown (`tag`): nothing is returned, nothing audited."""

    def __init__(self, tag: str) -> None:
        super().__init__("the list is unchanged")
        self.tag = tag


class NoteInvalid(ValueError):
    """A note that is empty, or longer than NOTE_LIMIT characters."""


@dataclass(frozen=True)
class StatusChange:
    """What a status change did."""

    lead_id: str
    previous: str
    status: str


def clean_lead_id(raw: str) -> str | None:
    """A typed or pasted lead id in its stored form, or None if it is not one."""
    lead_id = raw.strip().upper()
    return lead_id if is_lead_id(lead_id) else None


def _audit(deps: Deps, actor: Actor, action: AuditAction, lead_id: str | None = None, detail: str = "") -> AuditRecord:
    return AuditRecord(
        at=read.stamp(deps.clock()),
        actor=actor.username,
        role=actor.role,
        action=action,
        lead_id=lead_id,
        detail=detail,
        source_ip=actor.source_ip,
    )


def page_tag(page: dict[str, Any]) -> str:
    """A digest of a list's page as answered: the same exactly when the answer is the same.

    Every listed field (status, holder, notice state...) and the cursor are in
    it, so any change a staff member could see makes a new tag; it is a
    one-way digest, so no lead's details can be read from it.
    """
    text = json.dumps(page, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def summary(lead: dict[str, Any]) -> dict[str, Any]:
    """A lead as the inbox lists it: exactly SUMMARY_FIELDS (None where the lead has none)."""
    holder = lead.get("assigned_to")
    return {
        name: (staff_name(lead, holder) or None) if name == "assigned_to_name" else lead.get(name)
        for name in SUMMARY_FIELDS
    }


def staff_name(lead: dict[str, Any], username: Any) -> str:
    """How colleagues know a staff member who worked the lead, or "" when it does not name them."""
    names = lead.get("staff_names") or {}
    return str(names.get(username) or "") if isinstance(username, str) else ""


# ---------------------------------------------------------------------------
# Reading leads
# ---------------------------------------------------------------------------


def list_leads(
    deps: Deps,
    actor: Actor,
    *,
    status: str | None = None,
    priority: str | None = None,
    assigned: str | None = None,
    language: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    statuses: Sequence[str] | None = None,
    urgent_first: bool = True,
    full: bool = False,
    seen: Collection[str] = (),
) -> dict[str, Any]:
    """One page of leads: `{"leads": [summary...], "next": token or None}`, newest first, urgent new first.

    `seen`: tags (page_tag) of answers the caller already holds; when this
    page is one of them, Unchanged is raised instead and nothing is audited,
    since no lead data is returned (the inbox's polls of an unchanged list).

    Spam is listed only when asked for by status. `assigned="me"`: the
    actor's leads; `language`: the leads of visitors answered in it (a lead
    stored before leads had a language is English). A cursor continues the list it came from (a filter given
    with it must be the one it was made for: BadCursor otherwise); ValueError
    for a filter that is not one. `statuses` (several at once), `urgent_first`
    and `full` (whole leads, not summaries) serve the CLI.
    """
    if not 1 <= limit <= LIST_LIMIT:
        raise ValueError(f"limit must be between 1 and {LIST_LIMIT}")
    asked = _statuses(status or None, statuses)
    wanted_priority = Priority(priority) if priority else None
    if assigned not in (None, "", ASSIGNED_TO_ME):
        raise ValueError("assigned must be 'me'")
    mine = assigned == ASSIGNED_TO_ME
    wanted_language = supported(language) if language else None
    if language and wanted_language is None:
        raise ValueError(f"language must be one of {', '.join(languages())}")
    if cursor:
        start = decode_cursor(cursor)
        if (
            (asked is not None and asked != start.statuses)
            or (wanted_priority is not None and wanted_priority is not start.priority)
            or (mine and not start.mine)
            or (wanted_language is not None and wanted_language != start.language)
        ):
            raise BadCursor("this cursor continues a list with other filters")
    else:
        chosen = asked or LISTED
        start = Cursor(
            chosen,
            urgent_first=urgent_first and wanted_priority is None,
            priority=wanted_priority,
            mine=mine,
            language=wanted_language,
        )
    page = read.list_page(deps.store, start, limit, keep=_filter(start, actor))
    rows = [read.public(lead) if full else summary(lead) for lead in page.leads]
    answer = {"leads": rows, "next": encode_cursor(page.next) if page.next is not None else None}
    if seen:
        tag = page_tag(answer)
        if tag in seen:
            raise Unchanged(tag)
    deps.store.record_audit(_audit(deps, actor, AuditAction.LIST, detail=f"{len(rows)} rows"))
    return answer


def _statuses(status: str | None, statuses: Sequence[str] | None) -> tuple[Status, ...] | None:
    if status is not None and statuses is not None:
        raise ValueError("give status or statuses, not both")
    names = [status] if status is not None else list(dict.fromkeys(statuses or ()))
    if not names:
        return None
    return tuple(Status(name) for name in names)


def _filter(cursor: Cursor, actor: Actor) -> Callable[[dict[str, Any]], bool] | None:
    priority, mine, language = cursor.priority, cursor.mine, cursor.language
    if priority is None and not mine and language is None:
        return None
    return lambda lead: (
        (priority is None or lead.get("priority") == priority.value)
        and (not mine or lead.get("assigned_to") == actor.username)
        and (language is None or (lead.get("language") or DEFAULT_LANGUAGE) == language)
    )


def view_lead(lead_id: str, deps: Deps, actor: Actor) -> dict[str, Any]:
    """The whole lead with its `notes` and `history`, oldest first; acknowledges it if nobody has yet.

    The view's audit record is stored before anything is returned, in the
    same transaction as the acknowledgement when this view is the first.
    """
    store = deps.store
    lead = store.get_lead(lead_id)
    acknowledged = False
    if not lead.get("acknowledged_at"):
        record = _audit(deps, actor, AuditAction.VIEW, lead_id, "acknowledged")
        acknowledged = store.acknowledge(lead_id, at=record.at, by=actor.username, audit=record, name=actor.name)
        if acknowledged:
            lead.update(acknowledged_at=record.at, acknowledged_by=actor.username)
            lead.pop("ack_due_at", None)
            _named(lead, actor)
    if not acknowledged:
        record = _audit(deps, actor, AuditAction.VIEW, lead_id)
        if actor.name and staff_name(lead, actor.username) != actor.name:
            # The first view by someone the lead does not name (as they are now): their name goes with its record.
            store.remember_staff_name(lead_id, by=actor.username, name=actor.name, audit=record)
            _named(lead, actor)
        else:
            store.record_audit(record)
        if not lead.get("acknowledged_at"):
            lead = store.get_lead(lead_id)  # someone else acknowledged it first
    return {**read.public(lead), "notes": store.lead_notes(lead_id), "history": store.audit_of_lead(lead_id)}


def _named(lead: dict[str, Any], actor: Actor) -> None:
    """The lead as read, with the name the store has just kept for the actor."""
    if actor.name:
        lead["staff_names"] = {**(lead.get("staff_names") or {}), actor.username: actor.name}


# ---------------------------------------------------------------------------
# Working a lead
# ---------------------------------------------------------------------------


def claim(lead_id: str, deps: Deps, actor: Actor) -> dict[str, Any]:
    """Assign the lead to the actor (acknowledging it if not yet); HeldByOther if someone else holds it."""
    record = _audit(deps, actor, AuditAction.CLAIM, lead_id)
    holder = deps.store.claim_lead(lead_id, by=actor.username, at=record.at, audit=record, name=actor.name)
    if holder != actor.username:
        # The answer names the holder, so the attempt is recorded before it is given.
        deps.store.record_audit(_audit(deps, actor, AuditAction.CLAIM, lead_id, REFUSED))
        # A lead once held stays held by them, so the lead read now names the same holder.
        raise HeldByOther(lead_id, holder, staff_name(deps.store.get_lead(lead_id), holder))
    return read.public(deps.store.get_lead(lead_id))


def change_status(lead_id: str, new_status: str, deps: Deps, actor: Actor, expected: str | None = None) -> StatusChange:
    """Move a lead to a work status only from `expected` (default: its status now); StaleStatus otherwise.

    ValueError for a status staff may not set. The first move to contacted
    records `first_contacted_at`.
    """
    from chalicelib import service

    if new_status not in service.WORK_STATUSES:
        raise ValueError(f"status must be one of {', '.join(service.WORK_STATUSES)}")
    seen = expected or service.get_lead(lead_id, deps)["status"]
    record = _audit(deps, actor, AuditAction.STATUS, lead_id, f"{seen}->{new_status}"[:40])
    try:
        updated = service.set_status(lead_id, new_status, deps, expected=seen, audit=record, name=actor.name)
    except service.StatusConflict as exc:
        # The answer says the status now, so the attempt is recorded before it is given.
        deps.store.record_audit(replace(record, detail=f"{REFUSED} {record.detail}"[:40]))
        raise StaleStatus(lead_id, seen, service.get_lead(lead_id, deps)["status"]) from exc
    return StatusChange(lead_id, seen, str(updated["status"]))


def add_note(lead_id: str, text: str, deps: Deps, actor: Actor) -> dict[str, Any]:
    """Add a note to the lead: `{"note_id", "author", "at", "text"}`; NoteInvalid if empty, too long or one too many."""
    cleaned = clean_block(text) if isinstance(text, str) else ""
    if not cleaned:
        raise NoteInvalid("a note needs some text")
    if len(cleaned) > NOTE_LIMIT:
        raise NoteInvalid(f"a note holds at most {NOTE_LIMIT} characters")
    now = deps.clock()
    note_id = new_lead_id(int(now.timestamp() * 1000))
    note = {"note_id": note_id, "author": actor.username, "at": read.stamp(now), "text": cleaned}
    try:
        deps.store.add_note(
            lead_id, note, audit=_audit(deps, actor, AuditAction.NOTE, lead_id, note_id), name=actor.name
        )
    except NotesFull as exc:
        raise NoteInvalid(f"a lead holds at most {exc.limit} notes") from exc
    return note


def restore(lead_id: str, deps: Deps, actor: Actor) -> str:
    """Spam back to new with one notice; the notice's outcome, or StaleStatus if it is not spam."""
    from chalicelib import service

    record = _audit(deps, actor, AuditAction.RESTORE, lead_id, f"{Status.SPAM.value}->{Status.NEW.value}")
    try:
        return service.restore_spam(lead_id, deps, audit=record, name=actor.name)
    except service.StatusConflict as exc:
        raise StaleStatus(lead_id, Status.SPAM.value, service.get_lead(lead_id, deps)["status"]) from exc


def erase(lead_id: str, deps: Deps, actor: Actor) -> None:
    """Delete the lead, its guards and its notes; its audit records (and this one) stay."""
    from chalicelib import service

    service.erase_lead(lead_id, deps, audit=_audit(deps, actor, AuditAction.ERASE, lead_id))


def redrive(deps: Deps) -> dict[str, int]:
    """Send failed and dead notices again; the tally by outcome (no lead is read: not audited)."""
    from chalicelib import service

    return service.redrive(deps)


# ---------------------------------------------------------------------------
# Export, stats and the audit trail
# ---------------------------------------------------------------------------


def export_leads(
    deps: Deps, actor: Actor, lower: str | None, upper: str | None, *, statuses: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Every lead created in [lower, upper] (days or ISO times; open ends allowed), oldest first, audited.

    Spam is left out unless `statuses` names it. ValueError for a bad range.
    """
    start, end = time_range(lower, upper)
    chosen = _statuses(None, statuses) or LISTED
    leads = [read.public(lead) for lead in read.created_between(deps.store, chosen, start, end)]
    deps.store.record_audit(_audit(deps, actor, AuditAction.EXPORT, detail=f"{len(leads)} rows"))
    return leads


def export_csv(
    deps: Deps, actor: Actor, lower: str | None, upper: str | None, *, statuses: Sequence[str] | None = None
) -> str:
    """Leads created in the range as CSV (formula cells neutralised); audited with the row count."""
    from chalicelib.staff.export import to_csv

    return to_csv(export_leads(deps, actor, lower, upper, statuses=statuses))


def lead_stats(deps: Deps, actor: Actor, lower: str | None, upper: str | None) -> dict[str, Any]:
    """Counts, delivery times and speed to lead of the leads created in the range (no lead's details: not audited).

    Speed to lead is split by arrival within or outside the stage's clinic hours.
    """
    from chalicelib.staff.stats import compute_stats

    start, end = time_range(lower, upper)
    leads = read.created_between(deps.store, list(Status), start, end)
    return {"since": start, "until": end, **compute_stats(leads, deps.settings.office_hours)}


def audit_day(
    day: str, deps: Deps, actor: Actor, *, cursor: str | None = None, limit: int = AUDIT_PAGE
) -> dict[str, Any]:
    """One page of that UTC day's audit records (YYYY-MM-DD), oldest first: `{"records": [...], "next": token or None}`.

    Pass `next` back as `cursor` for the following page. ValueError for a day
    that is not one or a limit outside 1 to AUDIT_PAGE_LIMIT; BadCursor for a
    cursor this day's trail did not give out. Reading the trail is not itself audited.
    """
    text = day.strip() if isinstance(day, str) else ""
    if len(text) != 10:
        raise ValueError("day must be YYYY-MM-DD")
    if not 1 <= limit <= AUDIT_PAGE_LIMIT:
        raise ValueError(f"limit must be between 1 and {AUDIT_PAGE_LIMIT}")
    the_day = date.fromisoformat(text).isoformat()
    after = decode_audit_cursor(cursor, the_day) if cursor else None
    records, more = deps.store.audit_of_day(the_day, limit=limit, after=after)
    return {"records": records, "next": encode_audit_cursor(the_day, more) if more is not None else None}


def audit_trail(day: str, deps: Deps, actor: Actor, *, page: int = AUDIT_PAGE_LIMIT) -> Iterator[dict[str, Any]]:
    """Every audit record of that UTC day, oldest first, read a page at a time (the CLI's `audit`)."""
    cursor = None
    while True:
        answer = audit_day(day, deps, actor, cursor=cursor, limit=page)
        yield from answer["records"]
        cursor = answer["next"]
        if cursor is None:
            return


def default_since(deps: Deps, upper: str | None, days: int = DEFAULT_DAYS) -> str:
    """The first of `days` whole UTC days that end with `upper`'s day (today when None), as YYYY-MM-DD."""
    if upper:
        last = date.fromisoformat(read.moment(upper, end_of_day=True)[:10])
    else:
        last = deps.clock().astimezone(UTC).date()
    if last.toordinal() < days:  # the calendar's first days: from its very first
        return date.min.isoformat()
    return (last - timedelta(days=days - 1)).isoformat()


def time_range(lower: str | None, upper: str | None) -> tuple[str | None, str | None]:
    """A range of days (YYYY-MM-DD, UTC, the last one whole) or ISO times as created_at bounds; ValueError if bad."""
    start = read.moment(lower, end_of_day=False) if lower else None
    end = read.moment(upper, end_of_day=True) if upper else None
    if start and end and start > end:
        raise ValueError("the range ends before it starts")
    return start, end
