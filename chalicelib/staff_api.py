"""The staff API's web edge: the caller's verified token, the request read, and each outcome as HTTP.

Every route runs through `staff_route`: verify the ID token, check the
caller's roles for the action, read the path, query and body, call one staff
action (chalicelib/staff/actions.py), and map what it raised to problem JSON
here, in one place. No answer or log line carries what a lead or a request
holds: a bad lead id is "no such lead", never the id typed.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib import words
from chalicelib.auth import Action, Forbidden, KeysUnavailable, Role, StaffUser, TokenVerifier, Unauthenticated
from chalicelib.errors import LeadNotFound, StorageUnavailable
from chalicelib.leads import Priority, Status
from chalicelib.logs import log_event
from chalicelib.words import languages

if TYPE_CHECKING:
    from chalicelib.service import Deps
    from chalicelib.staff.actions import Actor

PROBLEM = "application/problem+json"
# Staff answers hold lead data: never cached, never sniffed.
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
CSV = "text/csv; charset=utf-8"
MAX_BODY_BYTES = 16 * 1024
MAX_PAGE = 100
# An entity tag as this API makes them (page_tag), strong or weak: anything else in If-None-Match matches nothing.
ETAG = re.compile(r'(?:W/)?"([0-9a-f]{32})"')
RETRY_AFTER_UNAVAILABLE = "5"
# Highest first: a member of several groups acts, and is audited, in the highest.
ROLE_ORDER = (Role.ADMIN, Role.CLINICIAN, Role.INTAKE)


class Refused(Exception):
    """A request refused at the edge: its status, words and any extra members of the problem."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    """An RFC 9457 problem response."""
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail, **extra}
    return Response(
        body=json.dumps(body), status_code=status, headers={**NO_STORE, "Content-Type": PROBLEM, **(headers or {})}
    )


def method_not_allowed(request: Any, allowed: Sequence[str]) -> Response:
    """405 problem JSON with `Allow`, for a method a staff path does not take (the public 405's words, in English)."""
    methods, code = ", ".join(allowed), "problem.method_not_allowed"
    title = words.text(words.DEFAULT_LANGUAGE, f"{code}.title")
    detail = words.text(words.DEFAULT_LANGUAGE, f"{code}.detail", methods=methods)
    answer = problem(405, title, detail, {"Allow": methods})
    if getattr(request, "method", None) == "HEAD":  # the same answer without its content, as HEAD asks
        answer.body = ""
    return answer


def as_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer."""
    return Response(
        body=json.dumps(body),
        status_code=status,
        headers={**NO_STORE, "Content-Type": "application/json", **(headers or {})},
    )


def _authorization(request: Any) -> str | None:
    headers = getattr(request, "headers", None) or {}
    value = headers.get("authorization")
    return str(value) if value is not None else None


def highest_role(user: StaffUser) -> Role | None:
    """The role a member acts in: their highest (admin, then clinician, then intake)."""
    return next((role for role in ROLE_ORDER if role in user.roles), None)


def source_ip(request: Any) -> str:
    """The caller's address as API Gateway (or the local stack) saw it."""
    context = getattr(request, "context", None) or {}
    identity = context.get("identity") if isinstance(context, Mapping) else None
    value = identity.get("sourceIp") if isinstance(identity, Mapping) else None
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Call:
    """One verified staff request: who made it, from where, and what it sent."""

    user: StaffUser
    request: Any
    deps_factory: Callable[[], Deps]

    @property
    def deps(self) -> Deps:
        """The service's dependencies (made on first use: GET /staff/me needs none)."""
        return self.deps_factory()

    @property
    def actor(self) -> Actor:
        """The caller as the audit trail records them, with the name colleagues know them by (never audited)."""
        from chalicelib.staff.actions import Actor

        role = highest_role(self.user)
        return Actor(self.user.username, role.value if role else "", source_ip(self.request), self.user.display_name)

    def header(self, name: str) -> str | None:
        """One request header (any case), or None when it is absent."""
        headers = getattr(self.request, "headers", None) or {}
        value = headers.get(name.lower())
        return str(value) if value is not None else None

    def query(self, name: str) -> str | None:
        """One query parameter, or None when it is absent or empty."""
        params = getattr(self.request, "query_params", None) or {}
        value = params.get(name)
        return value if isinstance(value, str) and value != "" else None

    def body(self) -> dict[str, Any]:
        """The request's JSON object; Refused (400, 413) otherwise."""
        raw = bytes(getattr(self.request, "raw_body", None) or b"")
        if len(raw) > MAX_BODY_BYTES:
            raise Refused(413, "Request too large", f"The request body must be at most {MAX_BODY_BYTES // 1024} KiB.")
        try:
            data = json.loads(raw or b"{}")
        except (ValueError, RecursionError) as exc:
            raise Refused(400, "Malformed JSON", "The request body is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise Refused(400, "Malformed request", "The request body must be a JSON object.")
        return data


def _runtime_deps() -> Deps:
    from chalicelib import runtime

    return runtime.deps()


def staff_route(
    request: Any,
    verifier: Callable[[], TokenVerifier],
    action: Action,
    view: Callable[[Call], Response],
    deps: Callable[[], Deps] = _runtime_deps,
) -> Response:
    """Verify the caller's ID token and role for one action, run the view, and answer what it raised."""
    try:
        try:
            user = verifier().verify_header(_authorization(request))
            user.require(action)
            return view(Call(user, request, deps))
        except Exception as exc:  # noqa: BLE001 - every outcome is mapped here, the unexpected to a bare 500
            return _answer(exc, action)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: even mapping failed
        log_event(
            "staff_unhandled_error", level=logging.ERROR, code=type(exc).__name__, route=action.value, status_code=500
        )
        return problem(500, "Something went wrong", "The request could not be completed. Please try again.")


def _answer(exc: Exception, action: Action) -> Response:
    """The HTTP answer to what a staff request raised (domain exceptions, refusals, the unexpected)."""
    from chalicelib.staff import actions
    from chalicelib.staff.cursor import BadCursor

    if isinstance(exc, Unauthenticated):
        log_event("staff_unauthenticated", code=exc.reason, route=action.value, status_code=401)
        return problem(
            401,
            "Sign-in required",
            "Send a valid staff ID token: Authorization: Bearer <token>.",
            {"WWW-Authenticate": 'Bearer realm="next-steps-staff"'},
        )
    if isinstance(exc, Forbidden):
        log_event("staff_forbidden", outcome=exc.action.value, route=action.value, status_code=403)
        return problem(403, "Not allowed", f"Your role may not {exc.action.value.replace('_', ' ')}.")
    if isinstance(exc, Refused):
        log_event("staff_refused", route=action.value, status_code=exc.status)
        return problem(exc.status, exc.title, exc.detail, **exc.extra)
    if isinstance(exc, actions.Unchanged):
        # The list the caller already holds: no lead data is answered (and none was audited).
        return Response(body="", status_code=304, headers={**NO_STORE, "ETag": _etag(exc.tag)})
    if isinstance(exc, LeadNotFound):
        return problem(404, "No such lead", "There is no lead with that id.")
    if isinstance(exc, BadCursor):
        return problem(400, "Bad cursor", "The cursor is not one this list gave out; start again from the first page.")
    if isinstance(exc, actions.HeldByOther):
        # A colleague's name, not a username (a UUID); "Someone else" for a holder the lead does not name.
        return problem(
            409,
            "Claimed by someone else",
            f"{exc.holder_name or 'Someone else'} is already working this lead.",
            assigned_to=exc.holder,
            assigned_to_name=exc.holder_name or None,
        )
    if isinstance(exc, actions.StaleStatus):
        return problem(
            409,
            "Status changed",
            f"The lead is {exc.current} now, not {exc.expected}; reload it before changing it.",
            current=exc.current,
        )
    if isinstance(exc, actions.NoteInvalid):
        # The action's own words (empty, too long, one too many), which never hold the note's text.
        said = str(exc) or f"a note holds 1 to {actions.NOTE_LIMIT} characters"
        return _invalid("text", said[0].upper() + said[1:] + ".")
    if isinstance(exc, KeysUnavailable):
        log_event("staff_keys_unavailable", level=logging.WARNING, code=exc.reason, route=action.value, status_code=503)
        return problem(
            503,
            "Temporarily unavailable",
            "Sign-in could not be checked just now. Please try again in a moment.",
            {"Retry-After": RETRY_AFTER_UNAVAILABLE},
        )
    if isinstance(exc, StorageUnavailable):
        log_event("staff_storage_unavailable", code=exc.code, route=action.value, status_code=503)
        return problem(
            503,
            "Temporarily unavailable",
            "The lead store could not be reached. Please try again in a moment.",
            {"Retry-After": RETRY_AFTER_UNAVAILABLE},
        )
    log_event(
        "staff_unhandled_error", level=logging.ERROR, code=type(exc).__name__, route=action.value, status_code=500
    )
    return problem(500, "Something went wrong", "The request could not be completed. Please try again.")


def _invalid(field: str, message: str) -> Response:
    return problem(
        422, "Please check the request", "Some fields need attention.", errors=[{"field": field, "message": message}]
    )


def _lead_id(raw: str) -> str:
    """The path's lead id in its stored form; a malformed one is no lead (and is never echoed)."""
    from chalicelib.staff.actions import clean_lead_id

    lead_id = clean_lead_id(raw)
    if lead_id is None:
        raise LeadNotFound()
    return lead_id


def _choice(call: Call, name: str, allowed: tuple[str, ...]) -> str | None:
    value = call.query(name)
    if value is not None and value not in allowed:
        raise Refused(400, f"Bad {name}", f"{name} must be one of: {', '.join(allowed)}.")
    return value


def _limit(call: Call, default: int, most: int) -> int:
    raw = call.query("limit") or str(default)
    # Only ASCII digits: int() reads other scripts' digits too, and str.isdigit() passes '²', which it cannot.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= most:
        raise Refused(400, "Bad limit", f"limit must be a whole number from 1 to {most}.")
    return int(raw)


def _etag(tag: str) -> str:
    return f'"{tag}"'


def _seen_tags(call: Call) -> list[str]:
    """The entity tags of `If-None-Match` (weak or strong, any number); only tags this API could have made."""
    return ETAG.findall(call.header("If-None-Match") or "")


def _range(call: Call) -> tuple[str, str | None]:
    """`from` and `to` as given (each a day, YYYY-MM-DD, or an ISO time), once they read as a range.

    Without `from`, the 90 days (actions.DEFAULT_DAYS) that end with `to` (or
    today), never every lead ever received: the reads, the Lambda's time and
    one answer's 6 MB would grow with the table. Without `to`, up to now.
    """
    from chalicelib.staff.actions import default_since, time_range

    lower, upper = call.query("from"), call.query("to")
    try:
        time_range(lower, upper)
    except ValueError as exc:
        raise Refused(
            400, "Bad range", "from and to must be dates (YYYY-MM-DD) or ISO 8601 times, from not after to."
        ) from exc
    return lower or default_since(call.deps, upper), upper


# ---------------------------------------------------------------------------
# The views: read the request, call one staff action, answer
# ---------------------------------------------------------------------------


def me(call: Call) -> Response:
    """`GET /staff/me`: who the caller is."""
    user = call.user
    return as_json(
        {
            "username": user.username,
            "email": user.email,
            "name": user.display_name,  # what colleagues see on the leads this member works
            "roles": [r.value for r in user.roles],
        }
    )


def list_leads(call: Call) -> Response:
    """`GET /staff/leads`: a page of lead summaries, and the cursor for the next."""
    from chalicelib.staff import actions

    status = _choice(call, "status", tuple(s.value for s in Status))
    priority = _choice(call, "priority", tuple(p.value for p in Priority))
    assigned = _choice(call, "assigned", (actions.ASSIGNED_TO_ME,))
    language = _choice(call, "language", languages())
    limit = _limit(call, 50, MAX_PAGE)
    page = actions.list_leads(
        call.deps,
        call.actor,
        status=status,
        priority=priority,
        assigned=assigned,
        language=language,
        cursor=call.query("cursor"),
        limit=limit,
        seen=_seen_tags(call),
    )
    return as_json(page, headers={"ETag": _etag(actions.page_tag(page))})


def view_lead(call: Call, raw_id: str) -> Response:
    """`GET /staff/leads/{id}`: the whole lead, its notes and history (and acknowledged)."""
    from chalicelib.staff import actions

    return as_json(actions.view_lead(_lead_id(raw_id), call.deps, call.actor))


def claim(call: Call, raw_id: str) -> Response:
    """`POST /staff/leads/{id}/claim`: the lead, assigned to the caller."""
    from chalicelib.staff import actions

    return as_json(actions.claim(_lead_id(raw_id), call.deps, call.actor))


def change_status(call: Call, raw_id: str) -> Response:
    """`POST /staff/leads/{id}/status` `{"status", "expected"}`: moved only from the status the caller saw."""
    from chalicelib.service import WORK_STATUSES
    from chalicelib.staff import actions

    lead_id = _lead_id(raw_id)
    body = call.body()
    new_status, expected = body.get("status"), body.get("expected")
    allowed = [s.value for s in WORK_STATUSES]
    if new_status not in allowed:
        return _invalid("status", f"status must be one of: {', '.join(allowed)}.")
    if expected not in [s.value for s in Status]:
        return _invalid("expected", "expected must be the status the lead had when you last saw it.")
    change = actions.change_status(lead_id, str(new_status), call.deps, call.actor, str(expected))
    return as_json({"lead_id": change.lead_id, "previous": change.previous, "status": change.status})


def add_note(call: Call, raw_id: str) -> Response:
    """`POST /staff/leads/{id}/notes` `{"text"}`: 201 and the note."""
    from chalicelib.staff import actions

    lead_id = _lead_id(raw_id)
    text = call.body().get("text")
    if not isinstance(text, str):
        return _invalid("text", f"A note must hold 1 to {actions.NOTE_LIMIT} characters.")
    return as_json(actions.add_note(lead_id, text, call.deps, call.actor), status=201)


def restore(call: Call, raw_id: str) -> Response:
    """`POST /staff/leads/{id}/restore`: spam back to new, with one notice."""
    from chalicelib.staff import actions

    lead_id = _lead_id(raw_id)
    notice = actions.restore(lead_id, call.deps, call.actor)
    return as_json({"lead_id": lead_id, "status": Status.NEW.value, "notice": notice})


def erase(call: Call, raw_id: str) -> Response:
    """`DELETE /staff/leads/{id}`: the lead and everything stored with it gone (its audit records kept); 204."""
    from chalicelib.staff import actions

    actions.erase(_lead_id(raw_id), call.deps, call.actor)
    return Response(body="", status_code=204, headers=dict(NO_STORE))


def export(call: Call) -> Response:
    """`GET /staff/export?from=&to=`: the leads created in the range as a CSV download (no `from`: 90 days)."""
    from chalicelib.staff import actions

    lower, upper = _range(call)
    # Named by the days of the range as read (never the text sent): leads-2026-01-01-2026-01-31.csv
    name = "-".join(["leads", *(b[:10] for b in actions.time_range(lower, upper) if b is not None)]) + ".csv"
    return Response(
        body=actions.export_csv(call.deps, call.actor, lower, upper),
        status_code=200,
        headers={**NO_STORE, "Content-Type": CSV, "Content-Disposition": f'attachment; filename="{name}"'},
    )


def stats(call: Call) -> Response:
    """`GET /staff/stats?from=&to=`: counts and speed to lead over the range (no `from`: 90 days), and the range."""
    from chalicelib.staff import actions

    lower, upper = _range(call)
    return as_json(actions.lead_stats(call.deps, call.actor, lower, upper))


def audit(call: Call) -> Response:
    """`GET /staff/audit?date=YYYY-MM-DD&cursor=&limit=`: a page of that day's audit records (admin only)."""
    from chalicelib.staff import actions

    raw = call.query("date")
    try:
        day = date.fromisoformat(raw or "")
        if len(raw or "") != 10:
            raise ValueError
    except ValueError as exc:
        raise Refused(400, "Bad date", "date must be a day, YYYY-MM-DD.") from exc
    limit = _limit(call, actions.AUDIT_PAGE, actions.AUDIT_PAGE_LIMIT)
    page = actions.audit_day(day.isoformat(), call.deps, call.actor, cursor=call.query("cursor"), limit=limit)
    return as_json({"date": day.isoformat(), **page})


def fetch_jwks(url: str, timeout: float = 5.0) -> dict[str, Any]:
    """The user pool's public keys (JWKS), fetched over HTTPS (the emulator's over loopback HTTP)."""
    import urllib.request

    if not url.startswith(("https://", "http://127.0.0.1:", "http://localhost:")):
        raise ValueError("the JWKS must be fetched over HTTPS")
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - scheme checked above
        data: dict[str, Any] = json.loads(answer.read())
    return data


_verifier: TokenVerifier | None = None


def verifier() -> TokenVerifier:
    """This process's verifier for the stage's user pool (settings read once, keys cached)."""
    global _verifier
    if _verifier is None:
        import os

        from chalicelib.auth import PoolSettings

        pool = PoolSettings(
            issuer=os.environ.get("STAFF_ISSUER", ""),
            client_id=os.environ.get("STAFF_CLIENT_ID", ""),
            jwks_url=os.environ.get("STAFF_JWKS_URL", ""),
        )
        if not pool.issuer or not pool.client_id:
            raise RuntimeError("STAFF_ISSUER and STAFF_CLIENT_ID are not set for this stage")
        _verifier = TokenVerifier(pool, lambda: fetch_jwks(pool.keys_url))
    return _verifier
