"""The store port: what the service asks of lead storage, in lead terms.

No keys, conditions or attribute values here: the DynamoDB adapter
(chalicelib/store.py) and the in-memory store (chalicelib/memory.py) each
keep their promises in their own way, and tests/contract holds both to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from chalicelib.leads import Status


class NoticeState(StrEnum):
    """Where a lead's staff notice is."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    SUPPRESSED = "suppressed"


class GuardKind(StrEnum):
    """What a guard stops: a replayed submission key, or the same answers sent again."""

    IDEMPOTENCY = "idempotency"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Guard:
    """A short-lived claim that a submission key (or a set of answers) was answered by `lead_id`."""

    kind: GuardKind
    key: str
    lead_id: str
    expires_at: int
    response: str = ""
    fingerprint: str | None = None
    # The language `response` is in, so a replay is said in it throughout (a page as well as JSON).
    language: str = "en"


@dataclass(frozen=True)
class RateCounter:
    """One per-client counter window (`key` names client and window), forgotten after `expires_at`."""

    key: str
    limit: int
    expires_at: int


@dataclass(frozen=True)
class UrgentMark:
    """ "This client's urgent lead reached staff", kept until `expires_at`.

    `exclusive`: refuse the lead (UrgentAlreadySent) while a live mark exists
    (the over-limit crisis path); otherwise the mark is simply renewed.
    """

    client: str
    expires_at: int
    exclusive: bool = False


@dataclass(frozen=True)
class WaitingLead:
    """A lead waiting for staff to acknowledge it whose next escalation (or reminder) is due.

    `due_at` is the lead's `ack_due_at` as read, `sent` how many escalations
    (or reminders) it has had: a claim names both, so it takes each one once.
    """

    lead_id: str
    priority: str
    due_at: str
    sent: int
    status: str


class AuditAction(StrEnum):
    """What a staff member did, as the audit trail names it."""

    LIST = "list"
    VIEW = "view"
    CLAIM = "claim"
    NOTE = "note"
    STATUS = "status"
    RESTORE = "restore"
    EXPORT = "export"
    ERASE = "erase"


# HIPAA §164.316(b)(2)(i) asks for six years; 366-day years so no record goes sooner.
AUDIT_RETENTION_DAYS = 6 * 366
# Notes a lead may hold: each is written, expired and erased in one transaction with the lead (100 items at most).
MAX_NOTES = 90


@dataclass(frozen=True)
class AuditRecord:
    """One staff action: when, who, in what role, what, on which lead, a short non-PHI detail, from where.

    It never holds a name, contact, message or note text: `detail` is a
    status change, a row count or an id, written by the actions, never by staff.
    """

    at: str
    actor: str
    role: str
    action: AuditAction
    lead_id: str | None = None
    detail: str = ""
    source_ip: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The record as the audit trail shows it (no `lead_id` key when there is none)."""
        record: dict[str, Any] = {
            "at": self.at,
            "actor": self.actor,
            "role": self.role,
            "action": self.action.value,
            "detail": self.detail,
            "source_ip": self.source_ip,
        }
        if self.lead_id is not None:
            record["lead_id"] = self.lead_id
        return record


AUDIT_FIELDS = ("at", "actor", "role", "action", "lead_id", "detail", "source_ip")


class LeadStorePort(Protocol):
    """Lead storage as the service uses it.

    Who worked a lead: each staff write that takes a `name` keeps it in the
    lead's `staff_names` (username -> the name colleagues know them by, the
    latest given), so the inbox can name the people in its record, notes and
    history. Audit records keep the username alone. A write without a name
    (the CLI, a lead worked before names) keeps none; a refused write keeps none.
    """

    def create_lead(
        self,
        lead: dict[str, Any],
        guards: Sequence[Guard],
        *,
        rates: Sequence[RateCounter] = (),
        urgent: UrgentMark | None = None,
        now_epoch: int,
    ) -> None:
        """Store a new lead with its guards, counts and urgent mark, all or nothing.

        Raises the first refusal in this order: GuardHeld (idempotency, then
        duplicate), LeadExists, UrgentAlreadySent, RateExceeded; or
        StorageUnavailable. A guard past its `expires_at` is taken over.
        """
        ...

    def find_guard(self, kind: GuardKind, key: str) -> Guard | None:
        """The guard of this kind and key, if one is stored (expired or not)."""
        ...

    def get_lead(self, lead_id: str) -> dict[str, Any]:
        """One lead by id, or LeadNotFound."""
        ...

    def claim_notice(self, lead_id: str, now: str, lease_until: str) -> dict[str, Any] | None:
        """Take the notice for sending (pending, failed, or a lapsed lease); the lead, or None if not ours."""
        ...

    def record_notice_sent(self, lead_id: str, *, attempts: int, message_id: str, sent_at: str) -> None:
        """Mark a notice we are sending as sent; it leaves the retry queue."""
        ...

    def record_notice_failed(self, lead_id: str, *, attempts: int, code: str, retry_at: str | None) -> None:
        """Mark a notice we are sending as failed, due again at `retry_at`; dead (no more retries) when None."""
        ...

    def leads_awaiting_ack(self, now: str) -> Iterator[WaitingLead]:
        """Every lead whose acknowledgement clock (`ack_due_at`) is due at or before `now`, urgent first, soonest first.

        Only leads still waiting are read (a lead's clock is removed when staff
        acknowledge it or nothing more is due), however many leads are stored.
        """
        ...

    def claim_escalation(
        self, lead_id: str, *, due_at: str, sent: int, at: str, next_due_at: str | None
    ) -> dict[str, Any] | None:
        """Take the escalation due at `due_at` after `sent` others: `at` joins the lead's `escalations`
        and its clock moves to `next_due_at` (ends when None).

        Only while the lead is new, not acknowledged, and still due at `due_at`
        with `sent` escalations: the lead, or None (another sweep took it, or
        staff acknowledged it).
        """
        ...

    def release_escalation(self, lead_id: str, *, due_at: str, sent: int, next_due_at: str | None) -> None:
        """Give a claimed escalation back (its notice failed): due again at `due_at` with `sent` escalations,
        unless staff acknowledged the lead (or another sweep moved it on) meanwhile."""
        ...

    def stop_ack_clock(self, lead_id: str, *, due_at: str) -> bool:
        """End the clock of a lead that left `new` without an acknowledgement; False if it is new or its clock moved."""
        ...

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
        """Move a lead from `expected` to `status` (kept until `expires_at`, or for good); StatusConflict otherwise.

        `contacted_at` becomes the lead's `first_contacted_at` unless it has one;
        `audit` is stored in the same transaction (neither is written without the other),
        and `name` is kept as its actor's.
        """
        ...

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
        """Move a spam lead back to new with its notice pending, its clock due at `ack_due_at` (and `audit`, together).

        `name` is kept as the audit record's actor's. False if the lead is not (or no longer) spam.
        """
        ...

    def acknowledge(self, lead_id: str, *, at: str, by: str, audit: AuditRecord, name: str = "") -> bool:
        """Record the first acknowledgement (and end its due time) with `audit` and `by`'s `name`, together.

        False, with nothing written, if the lead is acknowledged already;
        LeadNotFound if there is no lead.
        """
        ...

    def claim_lead(self, lead_id: str, *, by: str, at: str, audit: AuditRecord, name: str = "") -> str:
        """Assign a lead to `by` (acknowledging it if not yet) with `audit` and `by`'s `name`, together, unless
        someone else holds it.

        Returns who holds the lead afterwards: `by` when claimed (or held by
        them already); another holder means nothing was written. LeadNotFound
        if there is no lead.
        """
        ...

    def add_note(self, lead_id: str, note: dict[str, Any], *, audit: AuditRecord, name: str = "") -> None:
        """Store a note (note_id, author, at, text) with the lead, and `audit` and the author's `name`, together.

        The note is kept as long as the lead (it expires and is erased with
        it). LeadNotFound if there is no lead; NotesFull past MAX_NOTES.
        """
        ...

    def lead_notes(self, lead_id: str) -> list[dict[str, Any]]:
        """A lead's notes, oldest first."""
        ...

    def remember_staff_name(self, lead_id: str, *, by: str, name: str, audit: AuditRecord) -> None:
        """Keep `by`'s `name` with the lead, and `audit`, together (a view by someone the lead does not name yet).

        LeadNotFound, with nothing written, if there is no lead.
        """
        ...

    def record_audit(self, audit: AuditRecord) -> None:
        """Store one audit record on its own (a read: list, view, export); never overwrites one."""
        ...

    def audit_of_day(
        self, day: str, *, limit: int, after: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Up to `limit` audit records of a UTC day (YYYY-MM-DD), oldest first, after the position `after`.

        With them, the position to read on from (an opaque text, to pass back
        as `after`), or None when no record of the day follows the last one.
        A record written after a page was read is on a later page if it is newer.
        """
        ...

    def audit_of_lead(self, lead_id: str) -> list[dict[str, Any]]:
        """Every audit record naming a lead, oldest first (kept after the lead is erased)."""
        ...

    def reset_notice(self, lead_id: str, now: str) -> bool:
        """Make a failed or dead notice due now with its attempts reset; False if it is neither."""
        ...

    def leads_due(self, now: str) -> Iterator[str]:
        """The id of every lead whose notice is due at or before `now`."""
        ...

    def erase(self, lead_id: str, *, audit: AuditRecord | None = None) -> None:
        """Delete a lead, its notes and each of its guards that still names it, storing `audit` with the deletion.

        Its audit records stay. LeadNotFound if there is no lead.
        """
        ...

    def inserted_lead_ids(self, records: Iterable[tuple[str, dict[str, Any] | None]]) -> Iterator[str]:
        """The id of each lead a change batch inserted, from (event name, keys) pairs."""
        ...

    def leads_by_status(
        self, status: Status, *, limit: int, after: tuple[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
        """One page of leads with this status, newest first.

        `after` is (created_at, lead_id) of the last lead already seen; returns
        the page and the `after` for the next page, or None when there is no more.
        """
        ...

    def leads_created_between(self, status: Status, lower: str | None, upper: str | None) -> Iterator[dict[str, Any]]:
        """Every lead of this status created within [lower, upper] (ISO strings, inclusive), oldest first."""
        ...

    def count_leads(self, status: Status, since: str | None) -> int:
        """How many leads of this status were created at or after `since` (all of them when None)."""
        ...

    def spam_digest_taken(self, day: str) -> bool:
        """True if the spam digest of a day was taken already (one key read: the sweeper asks every minute)."""
        ...

    def claim_spam_digest(self, day: str, *, now: str, expires_at: int) -> bool:
        """Take the one spam digest of a day (the clinic's date); False if it was taken already."""
        ...

    def release_spam_digest(self, day: str) -> None:
        """Give a day's spam digest back (it could not be sent), so a later sweep sends it."""
        ...
