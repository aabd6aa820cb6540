"""The store port in memory: the service's rules in milliseconds (unit tests, local demos), no AWS.

Held to the same promises as the DynamoDB adapter by tests/contract. Like the
table, it keeps expired guards and counters until they are taken over, and
it records a change log in the stream's shape for inserted_lead_ids.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from chalicelib.errors import (
    GuardHeld,
    LeadExists,
    LeadNotFound,
    NotesFull,
    RateExceeded,
    StatusConflict,
    UrgentAlreadySent,
)
from chalicelib.leads import Priority, Status
from chalicelib.ports import MAX_NOTES, AuditRecord, Guard, GuardKind, NoticeState, RateCounter, UrgentMark, WaitingLead

_CLAIMABLE = (NoticeState.PENDING, NoticeState.FAILED)


class MemoryLeadStore:
    """Leads, guards, counters and urgent marks in dictionaries, behind one lock."""

    def __init__(self) -> None:
        self.leads: dict[str, dict[str, Any]] = {}
        self.guards: dict[tuple[GuardKind, str], Guard] = {}
        self.hits: dict[str, tuple[int, int]] = {}
        self.urgent: dict[str, int] = {}
        # (event name, keys) per change, as the table's stream would carry it.
        self.changes: list[tuple[str, dict[str, Any] | None]] = []
        self._guards_of: dict[str, list[Guard]] = {}
        self.spam_digests: dict[str, str] = {}
        self.notes: dict[str, list[dict[str, Any]]] = {}
        # Append-only: no verb edits or deletes a record.
        self.audit: list[AuditRecord] = []
        self._lock = threading.Lock()

    def create_lead(
        self,
        lead: dict[str, Any],
        guards: Sequence[Guard],
        *,
        rates: Sequence[RateCounter] = (),
        urgent: UrgentMark | None = None,
        now_epoch: int,
    ) -> None:
        """Store a new lead with its guards, counts and urgent mark, all or nothing."""
        with self._lock:
            for kind in GuardKind:
                for guard in guards:
                    held = self.guards.get((kind, guard.key)) if guard.kind == kind else None
                    if held is not None and held.expires_at >= now_epoch:
                        raise GuardHeld(kind, held)
            if lead["lead_id"] in self.leads:
                raise LeadExists(lead["lead_id"])
            mark = self.urgent.get(urgent.client) if urgent is not None else None
            if urgent is not None and urgent.exclusive and mark is not None and mark >= now_epoch:
                raise UrgentAlreadySent()
            full = [r for r in rates if self.hits.get(r.key, (0, 0))[0] >= r.limit]
            if full:
                raise RateExceeded(max(max(1, r.expires_at - now_epoch) for r in full))
            self.leads[lead["lead_id"]] = {k: copy.deepcopy(v) for k, v in lead.items() if v is not None}
            self.changes.append(("INSERT", {"lead_id": lead["lead_id"]}))
            for guard in guards:
                self.guards[(guard.kind, guard.key)] = guard
                self.changes.append(("INSERT", {"guard": guard.key}))
            self._guards_of[lead["lead_id"]] = list(guards)
            if urgent is not None:
                self.urgent[urgent.client] = urgent.expires_at
            for rate in rates:
                hits, expires_at = self.hits.get(rate.key, (0, rate.expires_at))
                self.hits[rate.key] = (hits + 1, expires_at)

    def find_guard(self, kind: GuardKind, key: str) -> Guard | None:
        """The guard of this kind and key, if one is stored."""
        return self.guards.get((kind, key))

    def get_lead(self, lead_id: str) -> dict[str, Any]:
        """One lead by id (a copy), or LeadNotFound."""
        return copy.deepcopy(self._lead(lead_id))

    def claim_notice(self, lead_id: str, now: str, lease_until: str) -> dict[str, Any] | None:
        """Take the notice for sending, once per lease."""
        with self._lock:
            lead = self.leads.get(lead_id)
            if lead is None:
                return None
            state = lead.get("notice_state")
            lapsed = state == NoticeState.SENDING and lead.get("notice_lease_until", "") < now
            if state not in _CLAIMABLE and not lapsed:
                return None
            lead.update(notice_state=NoticeState.SENDING.value, notice_lease_until=lease_until)
            return copy.deepcopy(lead)

    def record_notice_sent(self, lead_id: str, *, attempts: int, message_id: str, sent_at: str) -> None:
        """Mark a notice we are sending as sent."""
        with self._lock:
            lead = self._sending(lead_id)
            if lead is not None:
                lead.update(
                    notice_state=NoticeState.SENT.value,
                    notice_attempts=attempts,
                    notice_message_id=message_id,
                    notice_sent_at=sent_at,
                )
                _drop(lead, "notice_due_at", "notice_lease_until", "notice_last_error")

    def record_notice_failed(self, lead_id: str, *, attempts: int, code: str, retry_at: str | None) -> None:
        """Mark a notice we are sending as failed (due again at retry_at) or dead (retry_at None)."""
        with self._lock:
            lead = self._sending(lead_id)
            if lead is None:
                return
            state = NoticeState.FAILED if retry_at is not None else NoticeState.DEAD
            lead.update(notice_state=state.value, notice_attempts=attempts, notice_last_error=code)
            _drop(lead, "notice_lease_until")
            if retry_at is None:
                _drop(lead, "notice_due_at")
            else:
                lead["notice_due_at"] = retry_at

    def leads_awaiting_ack(self, now: str) -> Iterator[WaitingLead]:
        """Every lead whose acknowledgement clock is due at or before `now`, urgent first, soonest first."""
        with self._lock:
            due = [
                WaitingLead(
                    lead_id,
                    str(lead.get("priority", Priority.NORMAL)),
                    str(lead["ack_due_at"]),
                    len(lead.get("escalations") or []),
                    str(lead.get("status", "")),
                )
                for lead_id, lead in self.leads.items()
                if lead.get("ack_due_at") and lead["ack_due_at"] <= now
            ]
        return iter(sorted(due, key=lambda w: (w.priority != Priority.URGENT, w.due_at, w.lead_id)))

    def claim_escalation(
        self, lead_id: str, *, due_at: str, sent: int, at: str, next_due_at: str | None
    ) -> dict[str, Any] | None:
        """Take the escalation due at `due_at` after `sent` others, once."""
        with self._lock:
            lead = self.leads.get(lead_id)
            if lead is None or not _waiting(lead, due_at, sent):
                return None
            lead["escalations"] = [*(lead.get("escalations") or []), at]
            _clock(lead, next_due_at)
            return copy.deepcopy(lead)

    def release_escalation(self, lead_id: str, *, due_at: str, sent: int, next_due_at: str | None) -> None:
        """Give a claimed escalation back, unless the lead was acknowledged or moved on meanwhile."""
        with self._lock:
            lead = self.leads.get(lead_id)
            if lead is None or not _waiting(lead, next_due_at, sent + 1):
                return
            lead["escalations"] = lead["escalations"][:sent]
            if not lead["escalations"]:
                _drop(lead, "escalations")
            lead["ack_due_at"] = due_at

    def stop_ack_clock(self, lead_id: str, *, due_at: str) -> bool:
        """End the clock of a lead that left `new` unacknowledged."""
        with self._lock:
            lead = self.leads.get(lead_id)
            if lead is None or lead.get("ack_due_at") != due_at or lead.get("status") == Status.NEW:
                return False
            _drop(lead, "ack_due_at")
            return True

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
        """Move a lead from `expected` to `status` (with its audit record); StatusConflict otherwise."""
        with self._lock:
            lead = self.leads.get(lead_id)
            if lead is None or lead.get("status") != expected:
                raise StatusConflict(f"lead {lead_id} is no longer {expected}")
            lead.update(status=status.value, updated_at=updated_at)
            if contacted_at is not None:
                lead.setdefault("first_contacted_at", contacted_at)
            if expires_at is None:
                _drop(lead, "expires_at")
            else:
                lead["expires_at"] = expires_at
            if audit is not None:
                _name(lead, audit.actor, name)
            self._audit(audit)
            return copy.deepcopy(lead)

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
        """Move a spam lead back to new with its notice pending and its clock running (with its audit record)."""
        with self._lock:
            lead = self.leads.get(lead_id)
            if lead is None or lead.get("status") != Status.SPAM:
                return False
            lead.update(
                status=Status.NEW.value,
                notice_state=NoticeState.PENDING.value,
                notice_due_at=notice_due_at,
                restored_at=now,
            )
            for attribute in ("expires_at", "acknowledged_at", "acknowledged_by"):
                _drop(lead, attribute)
            _clock(lead, ack_due_at)
            if audit is not None:
                _name(lead, audit.actor, name)
            self._audit(audit)
            return True

    def acknowledge(self, lead_id: str, *, at: str, by: str, audit: AuditRecord, name: str = "") -> bool:
        """Record the first acknowledgement with its audit record; False if acknowledged already."""
        with self._lock:
            lead = self._lead(lead_id)
            if "acknowledged_at" in lead:
                return False
            lead.update(acknowledged_at=at, acknowledged_by=by)
            _drop(lead, "ack_due_at")
            _name(lead, by, name)
            self._audit(audit)
            return True

    def claim_lead(self, lead_id: str, *, by: str, at: str, audit: AuditRecord, name: str = "") -> str:
        """Assign a lead to `by` with its audit record, unless someone else holds it; who holds it now."""
        with self._lock:
            lead = self._lead(lead_id)
            holder = lead.get("assigned_to")
            if holder is not None and holder != by:
                return str(holder)
            lead["assigned_to"] = by
            if "acknowledged_at" not in lead:
                lead.update(acknowledged_at=at, acknowledged_by=by)
            _drop(lead, "ack_due_at")
            _name(lead, by, name)
            self._audit(audit)
            return by

    def add_note(self, lead_id: str, note: dict[str, Any], *, audit: AuditRecord, name: str = "") -> None:
        """Store a note with the lead, and its audit record; LeadNotFound if there is no lead."""
        with self._lock:
            lead = self._lead(lead_id)
            notes = self.notes.setdefault(lead_id, [])
            if len(notes) >= MAX_NOTES:
                raise NotesFull(MAX_NOTES)
            notes.append(copy.deepcopy(note))
            _name(lead, str(note["author"]), name)
            self._audit(audit)

    def lead_notes(self, lead_id: str) -> list[dict[str, Any]]:
        """A lead's notes, oldest first."""
        with self._lock:
            notes = copy.deepcopy(self.notes.get(lead_id, []))
        return sorted(notes, key=lambda n: (str(n["at"]), str(n["note_id"])))

    def remember_staff_name(self, lead_id: str, *, by: str, name: str, audit: AuditRecord) -> None:
        """Keep `by`'s name with the lead, and its audit record; LeadNotFound if there is no lead."""
        with self._lock:
            _name(self._lead(lead_id), by, name)
            self._audit(audit)

    def record_audit(self, audit: AuditRecord) -> None:
        """Store one audit record on its own."""
        with self._lock:
            self._audit(audit)

    def audit_of_day(
        self, day: str, *, limit: int, after: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Up to `limit` audit records of a UTC day, oldest first, after `after`; and where to read on, or None."""
        with self._lock:
            # A record's position: its time, then the order it was written in (records are never removed).
            found = sorted((f"{r.at}#{n:012d}", r) for n, r in enumerate(self.audit) if r.at[:10] == day)
        rest = [(position, r) for position, r in found if after is None or position > after]
        page = rest[:limit]
        more = page[-1][0] if len(rest) > limit else None
        return [r.as_dict() for _, r in page], more

    def audit_of_lead(self, lead_id: str) -> list[dict[str, Any]]:
        """Every audit record naming a lead, oldest first."""
        with self._lock:
            found = [r for r in self.audit if r.lead_id == lead_id]
        return [r.as_dict() for r in sorted(found, key=lambda r: r.at)]

    def reset_notice(self, lead_id: str, now: str) -> bool:
        """Make a failed or dead notice due now, attempts reset."""
        with self._lock:
            lead = self.leads.get(lead_id)
            if lead is None or lead.get("notice_state") not in (NoticeState.FAILED, NoticeState.DEAD):
                return False
            lead.update(notice_state=NoticeState.FAILED.value, notice_attempts=0, notice_due_at=now)
            return True

    def leads_due(self, now: str) -> Iterator[str]:
        """The id of every lead whose notice is due at or before `now`, soonest first."""
        due = sorted((lead["notice_due_at"], i) for i, lead in self.leads.items() if lead.get("notice_due_at"))
        return iter([lead_id for at, lead_id in due if at <= now])

    def erase(self, lead_id: str, *, audit: AuditRecord | None = None) -> None:
        """Delete a lead, its notes and each of its guards that still names it; its audit records stay."""
        with self._lock:
            self._lead(lead_id)
            del self.leads[lead_id]
            self.notes.pop(lead_id, None)
            self._audit(audit)
            for guard in self._guards_of.pop(lead_id, []):
                held = self.guards.get((guard.kind, guard.key))
                if held is not None and held.lead_id == lead_id:
                    del self.guards[(guard.kind, guard.key)]
            self.changes.append(("REMOVE", {"lead_id": lead_id}))

    @staticmethod
    def inserted_lead_ids(records: Iterable[tuple[str, dict[str, Any] | None]]) -> Iterator[str]:
        """The id of each lead a change batch (from `changes`) inserted."""
        for event_name, keys in records:
            if event_name == "INSERT" and isinstance(keys, dict) and isinstance(keys.get("lead_id"), str):
                yield keys["lead_id"]

    def leads_by_status(
        self, status: Status, *, limit: int, after: tuple[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
        """One page of leads with this status, newest first, and the `after` of the next page (None at the end)."""
        ordered = sorted(self._with(status), key=_position, reverse=True)
        if after is not None:
            ordered = [lead for lead in ordered if _position(lead) < after]
        page = ordered[:limit]
        more = len(ordered) > limit
        return page, (_position(page[-1]) if more and page else None)

    def leads_created_between(self, status: Status, lower: str | None, upper: str | None) -> Iterator[dict[str, Any]]:
        """Every lead of this status created within [lower, upper], oldest first."""
        found = [
            lead
            for lead in self._with(status)
            if (lower is None or lead["created_at"] >= lower) and (upper is None or lead["created_at"] <= upper)
        ]
        return iter(sorted(found, key=_position))

    def count_leads(self, status: Status, since: str | None) -> int:
        """How many leads of this status were created at or after `since`."""
        return sum(1 for _ in self.leads_created_between(status, since, None))

    def spam_digest_taken(self, day: str) -> bool:
        """True if the day's spam digest was taken."""
        with self._lock:
            return day in self.spam_digests

    def claim_spam_digest(self, day: str, *, now: str, expires_at: int) -> bool:
        """Take the one spam digest of a day."""
        with self._lock:
            if day in self.spam_digests:
                return False
            self.spam_digests[day] = now
            return True

    def release_spam_digest(self, day: str) -> None:
        """Give a day's spam digest back."""
        with self._lock:
            self.spam_digests.pop(day, None)

    def _with(self, status: Status) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(lead) for lead in self.leads.values() if lead.get("status") == status]

    def _audit(self, audit: AuditRecord | None) -> None:
        if audit is not None:
            self.audit.append(audit)

    def _lead(self, lead_id: str) -> dict[str, Any]:
        lead = self.leads.get(lead_id)
        if lead is None:
            raise LeadNotFound(lead_id)
        return lead

    def _sending(self, lead_id: str) -> dict[str, Any] | None:
        lead = self.leads.get(lead_id)
        return lead if lead is not None and lead.get("notice_state") == NoticeState.SENDING else None


def _position(lead: dict[str, Any]) -> tuple[str, str]:
    return (str(lead["created_at"]), str(lead["lead_id"]))


def _waiting(lead: dict[str, Any], due_at: str | None, sent: int) -> bool:
    """The lead is new, unacknowledged, due at `due_at` (None: no clock) and has had `sent` escalations."""
    return (
        lead.get("status") == Status.NEW
        and "acknowledged_at" not in lead
        and lead.get("ack_due_at") == due_at
        and len(lead.get("escalations") or []) == sent
    )


def _clock(lead: dict[str, Any], due_at: str | None) -> None:
    if due_at is None:
        _drop(lead, "ack_due_at")
    else:
        lead["ack_due_at"] = due_at


def _name(lead: dict[str, Any], username: str, name: str) -> None:
    """Keep the name a staff member is known by with the lead (none given: nothing kept)."""
    if name:
        lead.setdefault("staff_names", {})[username] = name


def _drop(lead: dict[str, Any], *names: str) -> None:
    for name in names:
        lead.pop(name, None)
