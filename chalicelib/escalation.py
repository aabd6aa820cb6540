"""Speed to lead: each lead's acknowledgement clock, and the sweep that escalates or reminds when it runs out.

A lead waits for staff to acknowledge it (first open or claim in the inbox).
Its `ack_due_at` says when the next nudge is due:

- urgent: `URGENT_ACK_MINUTES` after it arrived, at any hour; each escalation
  (an `escalation` notice, priority urgent) moves the clock on by as much,
  up to URGENT_ROUNDS escalations; the last one also writes the
  UrgentUnanswered metric, which raises an alarm;
- normal: `ACK_MINUTES` of clinic time after it arrived (the clock waits
  while the clinic is closed); one `reminder` notice, then no more.

Every nudge is claimed with a conditional write on the clock as read and the
number sent, so overlapping sweeps send each one once; a notice SNS refuses
gives its claim back for the next sweep. Plain functions over the store
port; no boto3 here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.hours import add_clinic_minutes
from chalicelib.leads import Priority, Status
from chalicelib.logs import log_event

if TYPE_CHECKING:
    from chalicelib.ports import WaitingLead
    from chalicelib.service import Deps
    from chalicelib.settings import Settings

URGENT_ROUNDS = 3


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def first_due(priority: str, start: datetime, settings: Settings) -> str:
    """When a lead that arrived (or was restored from spam) at `start` is first due for a nudge."""
    if priority == Priority.URGENT:
        return _iso(start + timedelta(minutes=settings.urgent_ack_minutes))
    return _iso(add_clinic_minutes(settings.office_hours, start, settings.ack_minutes))


def next_due(waiting: WaitingLead, now: datetime, settings: Settings) -> str | None:
    """When the nudge after the one due now is due; None when this one is the last."""
    if waiting.priority != Priority.URGENT or waiting.sent + 1 >= URGENT_ROUNDS:
        return None
    step = timedelta(minutes=settings.urgent_ack_minutes)
    # Every URGENT_ACK_MINUTES from the last due time, so a sweep's few seconds
    # of lateness do not add up; after an outage, from now, not in a burst.
    due = _instant(waiting.due_at) + step
    return _iso(due if due > now else now + step)


def escalate_waiting(deps: Deps) -> dict[str, int]:
    """Send every escalation and reminder now due; the tally (escalations, reminders, stopped, skipped, failed)."""
    tally = {"escalations": 0, "reminders": 0, "stopped": 0, "skipped": 0, "failed": 0}
    now = deps.clock()
    for waiting in deps.store.leads_awaiting_ack(_iso(now)):
        try:
            tally[_nudge(waiting, now, deps)] += 1
        except Exception as exc:  # noqa: BLE001 - one bad lead must not stop the others
            tally["failed"] += 1
            log_event("escalation_error", level=logging.ERROR, lead_id=waiting.lead_id, code=type(exc).__name__)
    return tally


def _nudge(waiting: WaitingLead, now: datetime, deps: Deps) -> str:
    if waiting.status != Status.NEW:
        # Worked without being opened first (a status change from the CLI): nothing is awaited.
        deps.store.stop_ack_clock(waiting.lead_id, due_at=waiting.due_at)
        return "stopped"
    urgent = waiting.priority == Priority.URGENT
    following = next_due(waiting, now, deps.settings)
    lead = deps.store.claim_escalation(
        waiting.lead_id, due_at=waiting.due_at, sent=waiting.sent, at=_iso(now), next_due_at=following
    )
    if lead is None:
        return "skipped"  # another sweep took it, or staff acknowledged the lead meanwhile
    from chalicelib.notices import Notice, PublishFailed

    round_ = waiting.sent + 1
    try:
        if urgent:
            notice = Notice.for_lead(lead, "escalation", deps.settings.notice_detail, escalation=round_)
        else:
            notice = Notice.for_lead(lead, "reminder", deps.settings.notice_detail)
        deps.publisher.publish(notice)
    except PublishFailed as exc:
        deps.store.release_escalation(waiting.lead_id, due_at=waiting.due_at, sent=waiting.sent, next_due_at=following)
        log_event("escalation_failed", level=logging.WARNING, lead_id=waiting.lead_id, code=exc.code, round=round_)
        return "failed"
    if not urgent:
        log_event("reminder_sent", lead_id=waiting.lead_id, metrics={"Reminders": 1})
        return "reminders"
    metrics = {"Escalations": 1}
    if following is None:
        metrics["UrgentUnanswered"] = 1
    log_event("escalation_sent", lead_id=waiting.lead_id, priority=Priority.URGENT.value, round=round_, metrics=metrics)
    return "escalations"
