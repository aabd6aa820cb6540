"""Cloudflare Turnstile verification (optional; off unless the stage turns it on)."""

from __future__ import annotations

import http.client
import json
import urllib.parse
import urllib.request

VERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
# Cloudflare's documented maximum; anything longer is not a token.
MAX_TOKEN_LENGTH = 2048
MAX_ANSWER_BYTES = 64 * 1024


def verify(secret: str, token: str, remote_ip: str | None, timeout: float = 3.0) -> bool:
    """True only if Cloudflare says the token is valid; False on any failure (it fails closed)."""
    if not secret or not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    form = {"secret": secret, "response": token}
    if remote_ip:
        form["remoteip"] = remote_ip
    try:
        # Inside the try: a token that cannot be encoded (a lone surrogate
        # from a JSON escape) is a failed check, not an error.
        data = urllib.parse.urlencode(form).encode("ascii")
        request = urllib.request.Request(
            VERIFY_URL, data=data, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - a fixed https URL
            answer = json.loads(response.read(MAX_ANSWER_BYTES))
    except (OSError, ValueError, http.client.HTTPException):
        return False
    return isinstance(answer, dict) and answer.get("success") is True
