"""Cloudflare Turnstile verification (optional; off unless the stage turns it on)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

VERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"


def verify(secret: str, token: str, remote_ip: str | None, timeout: float = 3.0) -> bool:
    """True if Cloudflare says the token is valid; False on any failure."""
    if not secret or not token:
        return False
    form = {"secret": secret, "response": token}
    if remote_ip:
        form["remoteip"] = remote_ip
    data = urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(VERIFY_URL, data=data, timeout=timeout) as response:
            return bool(json.loads(response.read()).get("success"))
    except (OSError, ValueError):
        return False
