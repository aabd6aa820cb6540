"""The staff API's web edge: the caller's verified token, problem JSON for 401 and 403."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib.auth import Action, Forbidden, StaffUser, TokenVerifier, Unauthenticated
from chalicelib.logs import log_event

PROBLEM = "application/problem+json"
# Staff answers hold lead data from the next routes on: never cached, never sniffed.
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    """An RFC 9457 problem response."""
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail}
    return Response(
        body=json.dumps(body), status_code=status, headers={**NO_STORE, "Content-Type": PROBLEM, **(headers or {})}
    )


def as_json(body: Any, status: int = 200) -> Response:
    """A JSON answer."""
    return Response(body=json.dumps(body), status_code=status, headers={**NO_STORE, "Content-Type": "application/json"})


def _authorization(request: Any) -> str | None:
    headers = getattr(request, "headers", None) or {}
    value = headers.get("authorization")
    return str(value) if value is not None else None


def staff_route(
    request: Any, verifier: Callable[[], TokenVerifier], action: Action, view: Callable[[StaffUser], Response]
) -> Response:
    """Verify the caller's ID token and role for one action, then run the view; 401/403 otherwise."""
    try:
        user = verifier().verify_header(_authorization(request))
        user.require(action)
    except Unauthenticated as exc:
        log_event("staff_unauthenticated", code=exc.reason, status_code=401)
        return problem(
            401,
            "Sign-in required",
            "Send a valid staff ID token: Authorization: Bearer <token>.",
            {"WWW-Authenticate": 'Bearer realm="next-steps-staff"'},
        )
    except Forbidden as exc:
        log_event("staff_forbidden", outcome=exc.action.value, status_code=403)
        return problem(403, "Not allowed", f"Your role may not {exc.action.value.replace('_', ' ')}.")
    return view(user)


def me(user: StaffUser) -> Response:
    """`GET /staff/me`: who the caller is."""
    return as_json({"username": user.username, "email": user.email, "roles": [r.value for r in user.roles]})


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
