"""The staff inbox page: its files, its sign-in settings and its Content-Security-Policy (the staff API's edge).

The page, its script, its style sheet and its QR encoder are public (they
must load before anyone signs in) and hold no lead data; every lead is read
by the page's script from the token-checked staff routes. The page signs in
with Cognito itself: the password goes from the browser to Cognito, never
through the staff API. The files live in chalicelib/data/inbox/.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalice.app import Response

FILES = Path(__file__).resolve().parent / "data" / "inbox"
# What the page's routes serve, by the name in the page's own folder.
ASSETS = {
    "inbox.js": "text/javascript; charset=utf-8",
    "inbox.css": "text/css; charset=utf-8",
    "qr.js": "text/javascript; charset=utf-8",
}
IDLE_MINUTES = 15
POLL_SECONDS = 3
# The local stage only: a shorter idle limit, asked for in the config's query (the browser tests).
SHORTEST_IDLE_SECONDS = 2


@dataclass(frozen=True)
class InboxSettings:
    """What the page needs to sign in and show times: read from the staff API's stage environment."""

    stage: str
    client_id: str
    cognito_endpoint: str
    region: str
    clinic_timezone: str
    idle_minutes: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> InboxSettings:
        """The stage's settings; the Cognito endpoint is the issuer's origin unless STAFF_COGNITO_ENDPOINT says."""
        e = os.environ if env is None else env
        issuer = e.get("STAFF_ISSUER", "")
        parts = urlsplit(issuer)
        endpoint = e.get("STAFF_COGNITO_ENDPOINT", "").strip() or (
            f"{parts.scheme}://{parts.netloc}/" if parts.netloc else ""
        )
        region = parts.netloc.split(".")[1] if parts.netloc.startswith("cognito-idp.") else "us-east-1"
        minutes = e.get("STAFF_IDLE_MINUTES", "").strip()
        return cls(
            stage=e.get("STAGE", "dev"),
            client_id=e.get("STAFF_CLIENT_ID", ""),
            cognito_endpoint=endpoint.rstrip("/") + "/" if endpoint else "",
            region=region,
            clinic_timezone=e.get("CLINIC_TIMEZONE", "").strip() or "America/New_York",
            idle_minutes=int(minutes) if minutes.isdigit() and int(minutes) > 0 else IDLE_MINUTES,
        )

    @property
    def cognito_origin(self) -> str:
        """The origin the page may connect to besides its own (for the Content-Security-Policy)."""
        parts = urlsplit(self.cognito_endpoint)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


@lru_cache(maxsize=1)
def settings() -> InboxSettings:
    """This process's inbox settings, read once."""
    return InboxSettings.from_env()


def content_security_policy(inbox: InboxSettings) -> str:
    """Only the page's own files run; it talks to its own API and to Cognito, and nothing else."""
    connect = " ".join(["'self'", inbox.cognito_origin]).strip()
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src {connect}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _headers(content_type: str, inbox: InboxSettings) -> dict[str, str | list[str]]:
    return {
        "Content-Type": content_type,
        "Content-Security-Policy": content_security_policy(inbox),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        # A new deploy's page and script are picked up on the next load.
        "Cache-Control": "no-cache",
    }


@lru_cache(maxsize=8)
def _file(name: str) -> str:
    return (FILES / name).read_text(encoding="utf-8")


def _raw_path(request: Any) -> str:
    """The path the browser asked for (API Gateway's and chalice local's `requestContext.path`)."""
    context = getattr(request, "context", None) or {}
    path = context.get("path") if isinstance(context, Mapping) else None
    return path if isinstance(path, str) else ""


def page(request: Any) -> Response:
    """`GET /staff/`: the inbox page; `/staff` is sent to `/staff/`, so the page's relative links resolve."""
    path = _raw_path(request)
    if path and not path.endswith("/"):
        # The fragment (#lead=...) is kept by the browser across the redirect.
        return Response(body="", status_code=308, headers={"Location": path + "/", "Cache-Control": "no-cache"})
    return Response(body=_file("index.html"), status_code=200, headers=_headers("text/html; charset=utf-8", settings()))


def asset(name: str) -> Response:
    """One of the page's files (ASSETS): its script, style sheet or QR encoder."""
    return Response(body=_file(name), status_code=200, headers=_headers(ASSETS[name], settings()))


def config(request: Any) -> Response:
    """`GET /staff/config`: where the page signs in, the clinic's time zone, and its idle limit."""
    inbox = settings()
    idle_seconds = inbox.idle_minutes * 60
    params = getattr(request, "query_params", None) or {}
    asked = params.get("idle_seconds")
    # Only the local stage lets the page ask for a shorter idle limit (so a test need not wait 15 minutes).
    if inbox.stage == "local" and isinstance(asked, str) and asked.isdigit():
        idle_seconds = max(SHORTEST_IDLE_SECONDS, min(idle_seconds, int(asked)))
    body = {
        "cognito": {"endpoint": inbox.cognito_endpoint, "region": inbox.region, "client_id": inbox.client_id},
        "clinic_timezone": inbox.clinic_timezone,
        "idle_seconds": idle_seconds,
        "poll_seconds": POLL_SECONDS,
    }
    headers: dict[str, str | list[str]] = {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body=json.dumps(body), status_code=200, headers=headers)
