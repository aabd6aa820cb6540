"""The service layer: submit, notify, sweep, restore, erase; plain functions over ports, no Chalice, no boto3."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.errors import (
    GuardHeld,
    KeyReused,
    LeadExists,
    LeadNotFound,
    RateExceeded,
    RateLimited,
    StatusConflict,
    StorageUnavailable,
    UrgentAlreadySent,
    VerificationFailed,
    WriteConflict,
)
from chalicelib.escalation import first_due
from chalicelib.ids import new_lead_id
from chalicelib.leads import (
    Priority,
    Status,
    Submission,
    validate_submission,
)
from chalicelib.logs import log_event
from chalicelib.ports import AuditRecord, Guard, GuardKind, LeadStorePort, NoticeState, RateCounter, UrgentMark
from chalicelib.screening import crisis_languages, crisis_resources, language_of_lines, lines_language, spam_reasons
from chalicelib.settings import Settings
from chalicelib.text import clean_line
from chalicelib.words import DEFAULT_LANGUAGE, text

if TYPE_CHECKING:
    # The notice model is only needed when a notice is sent; the API function
    # never sends one, so it does not build these pydantic models at import.
    from chalicelib.notices import Notice, SpamDigest

__all__ = [
    "Accepted",
    "Deps",
    "KeyReused",
    "LeadNotFound",
    "RateLimited",
    "RequestMeta",
    "StatusConflict",
    "StorageUnavailable",
    "VerificationFailed",
]

IDEMPOTENCY_TTL = timedelta(hours=24)
DUPLICATE_WINDOW = timedelta(minutes=10)
# Over its rate limit, a client's crisis message is still stored as urgent,
# but at most one per client in this window, so crisis words cannot flood staff.
URGENT_WINDOW = timedelta(minutes=10)
WORK_STATUSES = (Status.CONTACTED, Status.SCHEDULED, Status.CLOSED, Status.DECLINED)


class Publisher(Protocol):
    """Sends a notice to staff; returns the message id or raises PublishFailed."""

    def publish(self, notice: Notice | SpamDigest) -> str: ...


@dataclass
class Deps:
    """What the service needs from the outside world."""

    store: LeadStorePort
    settings: Settings
    publisher_factory: Callable[[], Publisher]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    verifier: Callable[[str, str | None], bool] | None = None
    _publisher: Publisher | None = field(default=None, repr=False)

    @property
    def publisher(self) -> Publisher:
        """The SNS publisher, made on first use (the request path never needs it)."""
        if self._publisher is None:
            self._publisher = self.publisher_factory()
        return self._publisher


@dataclass(frozen=True)
class RequestMeta:
    """What the web edge knows about a request besides its body."""

    source_ip: str = ""
    user_agent: str = ""
    idempotency_key: str | None = None
    verification_token: str | None = None
    # The language the answer and its errors are said in (a catalogue in chalicelib/data/messages).
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Accepted:
    """The answer to a stored (or replayed) submission."""

    body: dict[str, Any]
    replayed: bool = False
    # The answer exactly as stored with the guards: a replay returns the same bytes.
    text: str = ""
    # The language the answer is in: a replay's is the first answer's.
    language: str = DEFAULT_LANGUAGE

    @property
    def crisis(self) -> bool:
        """True when the answer carries crisis resources."""
        return "crisis_resources" in self.body

    @property
    def crisis_language(self) -> str:
        """The language of the answer's crisis lines: the answer's own, or the one its message was written in."""
        return language_of_lines(self.body.get("crisis_resources"), self.language)


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# Submitting a lead
# ---------------------------------------------------------------------------


def submit_lead(data: Any, meta: RequestMeta, deps: Deps) -> Accepted:
    """Validate, screen and store one submission with a single conditional write."""
    settings = deps.settings
    sub = validate_submission(data, settings.default_region, meta.language)
    # The edge has chosen it from the same field (or Accept-Language when the form named none).
    language = sub.language or meta.language
    if settings.turnstile_enabled:
        if deps.verifier is None or not deps.verifier(meta.verification_token or "", meta.source_ip or None):
            log_event("lead_rejected", outcome="verification_failed")
            raise VerificationFailed()

    # Crisis screening comes before every other decision: spam, duplicates, the rate limit.
    matched = crisis_languages(sub.message)
    crisis = bool(matched)
    # A Spanish message on a form that named no language gets the Spanish lines.
    lines = lines_language(matched, language, chosen=sub.language is not None)
    now = deps.clock()
    epoch = int(now.timestamp())
    reasons = spam_reasons(sub, now, settings.min_fill_seconds, settings.max_links)
    lead_id = new_lead_id(int(now.timestamp() * 1000))
    body: dict[str, Any] = {
        "lead_id": lead_id,
        "status": "received",
        "message": text(
            language,
            "received_crisis" if crisis else "received",
            hours=settings.office_hours.sentence(language),
        ),
    }
    if crisis:
        body["crisis_resources"] = crisis_resources(lines)
    response = json.dumps(body, separators=(",", ":"))

    key = meta.idempotency_key or sub.submission_id
    fingerprint = sub.idempotency_fingerprint()
    # A submission set aside as spam (the rule _lead_record applies) claims
    # guards of its own: a later real submission, with the same key or the
    # same answers, must make a real lead, never replay the spam lead's answer.
    verdict = (Status.SPAM.value,) if reasons and not crisis else ()
    guards = []
    idem_key = _hash(settings.stage, key, *verdict) if key else None
    duplicate = sub.duplicate_fingerprint()
    dup_key = _hash(duplicate, *verdict) if verdict else duplicate
    if idem_key:
        expires = epoch + int(IDEMPOTENCY_TTL.total_seconds())
        guards.append(Guard(GuardKind.IDEMPOTENCY, idem_key, lead_id, expires, response, fingerprint, language))
    dup_expires = epoch + int(DUPLICATE_WINDOW.total_seconds())
    guards.append(Guard(GuardKind.DUPLICATE, dup_key, lead_id, dup_expires, response, language=language))
    lead = _lead_record(sub, lead_id, now, meta, settings, reasons, crisis, fingerprint)
    # Every urgent lead marks its client as "urgent sent" for URGENT_WINDOW (in
    # the same transaction: still one round trip), so an over-limit crisis
    # message from that client is answered but not stored again.
    client = _client(meta.source_ip, settings)
    urgent_until = epoch + int(URGENT_WINDOW.total_seconds())

    try:
        deps.store.create_lead(
            lead,
            guards,
            rates=_rate_counters(client, now, settings),
            urgent=UrgentMark(client, urgent_until) if crisis else None,
            now_epoch=epoch,
        )
    except RateExceeded as conflict:
        if crisis:
            # Refused by the rate counters alone: a person in crisis still
            # reaches staff. A second transaction (the over-limit crisis path
            # costs two round trips) writes the lead and its guards without the
            # counters, if this client has sent no urgent lead in URGENT_WINDOW.
            # The 429 carries the crisis resources whether or not it was stored.
            _store_over_limit_crisis(lead, guards, UrgentMark(client, urgent_until, exclusive=True), epoch, deps)
            log_event("lead_rejected", outcome="rate_limited_crisis", retry_after=conflict.retry_after)
            raise RateLimited(conflict.retry_after, crisis=True, crisis_language=lines) from None
        log_event("lead_rejected", outcome="rate_limited", retry_after=conflict.retry_after)
        raise RateLimited(conflict.retry_after) from None
    except WriteConflict as conflict:
        earlier = _resolve_conflict(conflict, fingerprint, idem_key, dup_key, deps, lead_id)
        if earlier is not None:
            return earlier

    if lead["status"] == Status.SPAM:
        log_event("lead_received", lead_id=lead_id, outcome="spam", reasons=reasons, metrics={"LeadsSpam": 1})
    else:
        log_event(
            "lead_received",
            lead_id=lead_id,
            outcome="stored",
            priority=lead["priority"],
            metrics={"LeadsReceived": 1},
        )
    return Accepted(body, text=response, language=language)


def _store_over_limit_crisis(
    lead: dict[str, Any], guards: list[Guard], urgent: UrgentMark, epoch: int, deps: Deps
) -> None:
    try:
        deps.store.create_lead(lead, guards, urgent=urgent, now_epoch=epoch)
    except WriteConflict as conflict:
        # "urgent": this client's urgent lead of the last minutes already
        # reached staff. A duplicate or key replay means the lead is stored.
        log_event("lead_rejected", outcome="urgent_already_sent", kind=_conflict_kind(conflict))
        return
    log_event(
        "lead_received",
        lead_id=lead["lead_id"],
        outcome="stored_over_limit",
        priority=lead["priority"],
        metrics={"LeadsReceived": 1},
    )


def _conflict_kind(conflict: WriteConflict) -> str:
    if isinstance(conflict, GuardHeld):
        return conflict.kind.value
    return "urgent" if isinstance(conflict, UrgentAlreadySent) else "lead"


def _resolve_conflict(
    conflict: WriteConflict, fingerprint: str, idem_key: str | None, dup_key: str, deps: Deps, lead_id: str
) -> Accepted | None:
    """The earlier answer a conflict stands for; None when the guard names `lead_id` itself.

    That happens when this request's write landed, its answer was lost, and
    botocore's retry of the same request met the guard it had just written:
    the visitor is answered as a new lead, not a replay.
    """
    if isinstance(conflict, GuardHeld):
        kind, first = conflict.kind, conflict.first
    elif isinstance(conflict, LeadExists):
        kind, first = GuardKind.DUPLICATE, None
    else:
        raise StorageUnavailable(type(conflict).__name__)
    guard_key = idem_key if kind is GuardKind.IDEMPOTENCY else dup_key
    if first is None and guard_key:
        first = deps.store.find_guard(kind, guard_key)
    if first is None:
        # The first write's guard expired between our write and this read.
        raise StorageUnavailable("GuardExpired")
    if kind is GuardKind.IDEMPOTENCY and first.fingerprint != fingerprint:
        log_event("lead_rejected", outcome="key_reused", lead_id=first.lead_id)
        raise KeyReused()
    if first.lead_id == lead_id:
        return None
    log_event("lead_replayed", lead_id=first.lead_id, kind=kind.value)
    return Accepted(json.loads(first.response), replayed=True, text=first.response, language=first.language)


def _client(source_ip: str, settings: Settings) -> str:
    """The client's address as a stage-salted hash: never stored in the clear."""
    return _hash(settings.stage, "ip", source_ip or "unknown")[:32]


def _rate_counters(client: str, now: datetime, settings: Settings) -> list[RateCounter]:
    epoch = int(now.timestamp())
    window = 600
    window_end = (epoch // window + 1) * window
    day = now.astimezone(UTC).date()
    day_end = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) + 86400
    return [
        RateCounter(f"{client}#w{epoch // window}", settings.rate_limit_window, window_end),
        RateCounter(f"{client}#d{day.isoformat()}", settings.rate_limit_day, day_end),
    ]


def _lead_record(
    sub: Submission,
    lead_id: str,
    now: datetime,
    meta: RequestMeta,
    settings: Settings,
    reasons: list[str],
    crisis: bool,
    fingerprint: str,
) -> dict[str, Any]:
    created = iso(now)
    # A message that suggests a crisis is never quarantined: a bot that trips
    # the crisis list costs staff one call back, while a person in crisis
    # filed as spam might never hear from anyone. The reasons are still kept.
    spam = bool(reasons) and not crisis
    fields = sub.answers()
    source = sub.source()
    record: dict[str, Any] = {
        "lead_id": lead_id,
        "created_at": created,
        "status": (Status.SPAM if spam else Status.NEW).value,
        "priority": (Priority.URGENT if crisis else Priority.NORMAL).value,
        **fields,
        # The language the visitor is answered in; staff see it, and subscribe by it.
        "language": sub.language or meta.language,
        "consent": {
            "contact": sub.consent_to_contact,
            "text": sub.consent_to_text,
            "notice_version": sub.privacy_notice_version,
            "at": created,
            "ip": meta.source_ip or None,
            "user_agent": clean_line(meta.user_agent or "")[:300] or None,
        },
        "source": source or None,
        "started_at": iso(sub.started_at) if sub.started_at else None,
        "fingerprint": fingerprint,
        "spam_reasons": reasons or None,
        "notice_state": (NoticeState.SUPPRESSED if spam else NoticeState.PENDING).value,
        "notice_attempts": 0,
    }
    record["consent"] = {k: v for k, v in record["consent"].items() if v is not None}
    if not fields.get("tried_treatments"):
        record.pop("tried_treatments", None)
    if spam:
        record["expires_at"] = int((now + timedelta(days=settings.spam_retention_days)).timestamp())
    else:
        # The sweeper's backstops: the notice after a short grace period, if the
        # stream never delivers it; an escalation or reminder if nobody opens the lead.
        record["notice_due_at"] = iso(now + timedelta(seconds=settings.notice_grace_seconds))
        record["ack_due_at"] = first_due(record["priority"], now, settings)
    return record


# ---------------------------------------------------------------------------
# Staff actions
# ---------------------------------------------------------------------------


def get_lead(lead_id: str, deps: Deps) -> dict[str, Any]:
    """One lead, or LeadNotFound."""
    return deps.store.get_lead(lead_id)


def set_status(
    lead_id: str,
    new_status: str,
    deps: Deps,
    expected: str | None = None,
    audit: AuditRecord | None = None,
    name: str = "",
) -> dict[str, Any]:
    """Move a lead to a work status only from the status the caller saw (no lost update), with `audit`.

    `name`: how colleagues know the audit record's actor, kept with the lead.
    """
    if new_status not in WORK_STATUSES:
        raise ValueError(f"status must be one of {', '.join(WORK_STATUSES)}")
    current = deps.store.get_lead(lead_id)
    seen = expected if expected is not None else current["status"]
    if seen == Status.SPAM:
        raise StatusConflict("restore a spam lead before working it")
    if seen not in Status.__members__.values():
        raise StatusConflict(f"lead {lead_id} is no longer {seen}")
    now = deps.clock()
    target = Status(new_status)
    expires_at = None
    if target in (Status.CLOSED, Status.DECLINED):
        expires_at = int((now + timedelta(days=deps.settings.closed_retention_days)).timestamp())
    updated = deps.store.set_status(
        lead_id,
        target,
        expected=Status(seen),
        updated_at=iso(now),
        expires_at=expires_at,
        contacted_at=iso(now) if target is Status.CONTACTED else None,
        audit=audit,
        name=name,
    )
    log_event("lead_status", lead_id=lead_id, status=target.value)
    return updated


def restore_spam(lead_id: str, deps: Deps, audit: AuditRecord | None = None, name: str = "") -> str:
    """Move a lead flagged as spam back to `new` (with `audit`, together) and send its notice once.

    `name`: how colleagues know the audit record's actor, kept with the lead.
    """
    now = deps.clock()
    due_at = iso(now + timedelta(seconds=deps.settings.notice_grace_seconds))
    ack_due_at = first_due(Priority.NORMAL, now, deps.settings)  # spam is never urgent: a normal clock, from now
    restored = deps.store.restore_spam(
        lead_id, now=iso(now), notice_due_at=due_at, ack_due_at=ack_due_at, audit=audit, name=name
    )
    if not restored:
        deps.store.get_lead(lead_id)  # raises LeadNotFound when there is none
        raise StatusConflict(f"lead {lead_id} is not spam")
    log_event("lead_restored", lead_id=lead_id)
    return deliver_notice(lead_id, deps)


def erase_lead(lead_id: str, deps: Deps, audit: AuditRecord | None = None) -> None:
    """Delete a lead and every item keyed by it (its notes, and its guards while they name it); `audit` stays."""
    deps.store.erase(lead_id, audit=audit)
    log_event("lead_erased", lead_id=lead_id)


# The notice side lives in chalicelib/delivery.py; these names stay the service's.
from chalicelib.delivery import deliver_notice, iso, notify_new_leads, redrive, sweep  # noqa: E402

__all__ += ["deliver_notice", "iso", "notify_new_leads", "redrive", "sweep"]
