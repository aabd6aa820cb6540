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


class LeadStorePort(Protocol):
    """Lead storage as the service uses it."""

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
        self, lead_id: str, status: Status, *, expected: Status, updated_at: str, expires_at: int | None
    ) -> dict[str, Any]:
        """Move a lead from `expected` to `status` (kept until `expires_at`, or for good); StatusConflict otherwise."""
        ...

    def restore_spam(self, lead_id: str, *, now: str, notice_due_at: str, ack_due_at: str | None = None) -> bool:
        """Move a spam lead back to new with its notice pending and its clock due at `ack_due_at`.

        False if the lead is not (or no longer) spam.
        """
        ...

    def reset_notice(self, lead_id: str, now: str) -> bool:
        """Make a failed or dead notice due now with its attempts reset; False if it is neither."""
        ...

    def leads_due(self, now: str) -> Iterator[str]:
        """The id of every lead whose notice is due at or before `now`."""
        ...

    def erase(self, lead_id: str) -> None:
        """Delete a lead and each of its guards that still names it; LeadNotFound if there is none."""
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
