"""Domain errors: what went wrong in lead terms, raised by the store and the service, mapped to HTTP at the edge."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.ports import Guard, GuardKind


class StorageUnavailable(Exception):
    """The store could not be reached or refused for now; nothing was written."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class LeadNotFound(Exception):
    """No lead with that id."""


class StatusConflict(Exception):
    """The lead was not in the expected state (someone else changed it first)."""


class NotesFull(Exception):
    """The lead holds as many notes as it can (`limit`); nothing was written."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class WriteConflict(Exception):
    """A new lead was refused by one of its conditions; nothing was written."""


class LeadExists(WriteConflict):
    """A lead with this id is already stored."""


class GuardHeld(WriteConflict):
    """A live idempotency or duplicate guard names an earlier lead; `first` is that lead's guard, when known."""

    def __init__(self, kind: GuardKind, first: Guard | None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.first = first


class UrgentAlreadySent(WriteConflict):
    """This client's urgent lead of the last minutes already reached staff."""


class RateExceeded(WriteConflict):
    """A rate counter is exhausted; try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class KeyReused(Exception):
    """An idempotency key came back with a different payload."""


class RateLimited(Exception):
    """Too many submissions from one client; `crisis` when the message suggests one (its lines in `crisis_language`)."""

    def __init__(self, retry_after: int, crisis: bool = False, crisis_language: str | None = None) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after
        self.crisis = crisis
        self.crisis_language = crisis_language


class VerificationFailed(Exception):
    """The bot check (Turnstile) did not pass."""
