"""Staff actions as thin calls over the service (which is imported when an action runs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.ids import is_lead_id

if TYPE_CHECKING:
    from chalicelib.service import Deps


class StaleStatus(Exception):
    """The lead was not in the status the caller expected; `current` is its status now."""

    def __init__(self, lead_id: str, expected: str, current: str) -> None:
        super().__init__(f"lead {lead_id} is {current}, not {expected}")
        self.lead_id = lead_id
        self.expected = expected
        self.current = current


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


def open_lead(lead_id: str, deps: Deps) -> dict[str, Any]:
    """The whole lead, or LeadNotFound."""
    from chalicelib import service

    return service.get_lead(lead_id, deps)


def change_status(lead_id: str, new_status: str, deps: Deps, expected: str | None = None) -> StatusChange:
    """Move a lead to a work status only from `expected` (default: its status now); StaleStatus otherwise."""
    from chalicelib import service

    seen = expected or service.get_lead(lead_id, deps)["status"]
    try:
        updated = service.set_status(lead_id, new_status, deps, expected=seen)
    except service.StatusConflict as exc:
        raise StaleStatus(lead_id, seen, service.get_lead(lead_id, deps)["status"]) from exc
    return StatusChange(lead_id, seen, str(updated["status"]))


def restore(lead_id: str, deps: Deps) -> str:
    """Spam back to new with one notice; the notice's outcome, or StaleStatus if it is not spam."""
    from chalicelib import service

    try:
        return service.restore_spam(lead_id, deps)
    except service.StatusConflict as exc:
        raise StaleStatus(lead_id, "spam", service.get_lead(lead_id, deps)["status"]) from exc


def erase(lead_id: str, deps: Deps) -> None:
    """Delete the lead and everything stored with it."""
    from chalicelib import service

    service.erase_lead(lead_id, deps)


def redrive(deps: Deps) -> dict[str, int]:
    """Send failed and dead notices again; the tally by outcome."""
    from chalicelib import service

    return service.redrive(deps)
