"""Staff notices: deliver each new lead's notice once, retry with backoff, sweep, all over the store port."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.leads import Status
from chalicelib.logs import log_event
from chalicelib.ports import NoticeState

if TYPE_CHECKING:
    from chalicelib.notices import Event
    from chalicelib.service import Deps

NOTICE_LEASE = timedelta(seconds=60)
# The spam digest counts what was held in this window, and its day's marker is kept this long.
SPAM_DIGEST_KEPT = timedelta(days=3)
# What deliver_notice returns when the notice was not ours to send (spam, sent, or another sender's lease).
SKIPPED = "skipped"
# Leads whose failed or dead notice redrive sends again (closed, declined and spam need none).
OPEN_STATUSES = (Status.NEW, Status.CONTACTED, Status.SCHEDULED)


def iso(moment: datetime) -> str:
    """UTC time as a sortable ISO 8601 string with milliseconds."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def notify_new_leads(lead_ids: Iterable[str], deps: Deps) -> dict[str, int]:
    """Deliver the notice of every lead a stream batch inserted, each on its own.

    One lead whose notice cannot be handled never holds up the others: it is
    logged (lead id and error type only) and left to the sweeper, which sends
    every notice still due. Spam leads are skipped by the claim itself.
    """
    tally: dict[str, Any] = _tally()
    for lead_id in lead_ids:
        _deliver_isolated(lead_id, deps, tally)
    log_event("stream_batch", **tally)
    return tally


def _tally() -> dict[str, int]:
    return {NoticeState.SENT: 0, NoticeState.FAILED: 0, NoticeState.DEAD: 0, SKIPPED: 0}


def _deliver_isolated(lead_id: str, deps: Deps, tally: dict[str, Any]) -> None:
    try:
        tally[deliver_notice(lead_id, deps)] += 1
    except Exception as exc:  # noqa: BLE001 - one bad lead must not stop the batch
        tally[NoticeState.FAILED] += 1
        log_event(
            "notice_error",
            level=logging.ERROR,
            lead_id=lead_id,
            code=type(exc).__name__,
            metrics={"NoticesFailed": 1},
        )


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 60 * 2 ** max(0, attempts - 1)))


def deliver_notice(lead_id: str, deps: Deps, event: Event = "new_lead") -> str:
    """Claim a lead's notice, publish it, record the outcome: sent, failed, dead or skipped.

    The claim is a conditional write, so the stream, a stream retry and the
    sweeper can race and still publish at most once per lease.
    """
    now = deps.clock()
    lead = deps.store.claim_notice(lead_id, iso(now), iso(now + NOTICE_LEASE))
    if lead is None:
        return SKIPPED
    from chalicelib.notices import Notice, PublishFailed

    attempts = int(lead.get("notice_attempts", 0)) + 1
    try:
        notice = Notice.for_lead(lead, event, deps.settings.notice_detail)
        message_id = deps.publisher.publish(notice)
    except PublishFailed as exc:
        dead = attempts >= deps.settings.notice_max_attempts
        retry_at = None if dead else iso(now + _backoff(attempts))
        deps.store.record_notice_failed(lead_id, attempts=attempts, code=exc.code, retry_at=retry_at)
        outcome = NoticeState.DEAD if dead else NoticeState.FAILED
        log_event(
            "notice_" + outcome,
            level=logging.ERROR if dead else logging.WARNING,
            lead_id=lead_id,
            code=exc.code,
            attempts=attempts,
            metrics={"NoticesDead" if dead else "NoticesFailed": 1},
        )
        return outcome
    deps.store.record_notice_sent(lead_id, attempts=attempts, message_id=message_id, sent_at=iso(deps.clock()))
    log_event(
        "notice_sent", lead_id=lead_id, priority=lead.get("priority"), attempts=attempts, metrics={"NoticesSent": 1}
    )
    return NoticeState.SENT


def sweep(deps: Deps) -> dict[str, int]:
    """Retry due notices, then escalate urgent leads and remind of normal ones that nobody has acknowledged."""
    now = deps.clock()
    tally: dict[str, Any] = _tally()
    for lead_id in deps.store.leads_due(iso(now)):
        _deliver_isolated(lead_id, deps, tally)
    from chalicelib.escalation import escalate_waiting

    nudged = escalate_waiting(deps)
    # Kept apart from the notice counts: "failed" and "skipped" are new-lead notices.
    tally.update({f"escalations_{k}" if k in ("failed", "skipped") else k: v for k, v in nudged.items()})
    # Each escalation and reminder already counted itself in its metric;
    # counting the tally here too would double them.
    tally["spam_digest"] = int(send_spam_digest(deps))
    log_event("sweep", **tally)
    return tally


def send_spam_digest(deps: Deps) -> bool:
    """Once a clinic day, within clinic hours: tell staff how many submissions were held as spam.

    Spam is never notified one by one; without this a real person flagged by
    mistake would wait unseen until the lead expired. The notice carries two
    counts and nothing of what was sent. Only a day on which some spam arrived
    since the previous clinic day opened gets one (so Monday's counts the
    weekend's, and spam that came after a day's notice is told the next
    day), and the day's marker is taken with a conditional write, so
    overlapping sweeps send it once.
    """
    from zoneinfo import ZoneInfo

    now = deps.clock()
    hours = deps.settings.office_hours
    if not hours.is_open(now):
        return False
    day = now.astimezone(ZoneInfo(hours.timezone)).date().isoformat()
    # Sent already today (every sweep but the first of the day): one key read, no count.
    if deps.store.spam_digest_taken(day):
        return False
    from chalicelib.hours import previous_clinic_day_opening

    held = deps.store.count_leads(Status.SPAM, iso(previous_clinic_day_opening(hours, now)))
    if held == 0:
        return False
    if not deps.store.claim_spam_digest(day, now=iso(now), expires_at=int((now + SPAM_DIGEST_KEPT).timestamp())):
        return False
    from chalicelib.notices import PublishFailed, SpamDigest

    try:
        deps.publisher.publish(SpamDigest(held=held, waiting=deps.store.count_leads(Status.SPAM, None)))
    except PublishFailed as exc:
        deps.store.release_spam_digest(day)
        log_event("spam_digest_failed", level=logging.WARNING, code=exc.code)
        return False
    log_event("spam_digest_sent", count=held)
    return True


def redrive(deps: Deps) -> dict[str, int]:
    """Make failed and dead notices due now, then deliver them."""
    now = deps.clock()
    tally: dict[str, Any] = _tally()
    for status in OPEN_STATUSES:
        for lead in deps.store.leads_created_between(status, None, None):
            if lead.get("notice_state") not in (NoticeState.FAILED, NoticeState.DEAD):
                continue
            if deps.store.reset_notice(lead["lead_id"], iso(now)):
                tally[deliver_notice(lead["lead_id"], deps)] += 1
    log_event("redrive", **tally)
    return tally
