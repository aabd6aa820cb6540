"""Speaking to the staff API in process: tokens signed by a stand-in for the user pool, and Chalice's test client."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt

from chalicelib.auth import PoolSettings, TokenVerifier
from tests.conftest import ROOT

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_StaffTest"
CLIENT = "inbox"


class Signer:
    """A key posing as the user pool's, and tokens for staff members of each role."""

    def __init__(self) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.jwks = {"keys": [{**jwk.construct(public.decode(), "RS256").to_dict(), "kid": "k1", "use": "sig"}]}
        self._private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def token(self, username: str, *groups: str, **claims: Any) -> str:
        body = {
            "iss": ISSUER,
            "aud": CLIENT,
            "token_use": "id",
            "cognito:username": username,
            "email": f"{username}@clinic.example",
            "cognito:groups": list(groups),
            "exp": 4_000_000_000,
            **claims,
        }
        return str(jwt.encode(body, self._private, algorithm="RS256", headers={"kid": "k1"}))


def load_staff_app() -> Any:
    """staff/app.py as its own module (both apps' modules are named `app`)."""
    name = "next_steps_staff_app"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "staff" / "app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name].app


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw) if self.raw else None


class Staff:
    """The staff API's test client, speaking as one member or another."""

    def __init__(self, client: Any, signer: Signer) -> None:
        self.client = client
        self.tokens = {
            "sam": signer.token("sam", "intake"),
            "riley": signer.token("riley", "clinician"),
            "ada": signer.token("ada", "admin", "intake"),
        }

    def call(
        self,
        method: str,
        path: str,
        who: str | None = "sam",
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        headers = {"Content-Type": "application/json", **(headers or {})}
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens.get(who, who)}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        response = self.client.http.request(method, path, headers=headers, body=payload)
        return Answer(response.status_code, dict(response.headers), response.body)

    def get(self, path: str, who: str | None = "sam", headers: dict[str, str] | None = None) -> Answer:
        return self.call("GET", path, who, headers=headers)

    def post(self, path: str, body: Any = None, who: str | None = "sam", raw: bytes | None = None) -> Answer:
        return self.call("POST", path, who, body, raw)


@contextmanager
def staff_client(signer: Signer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Staff]:
    """The staff app under Chalice's test client, trusting `signer`'s tokens (leads: whatever runtime.deps() is)."""
    from chalice.test import Client

    from chalicelib import staff_api

    verifier = TokenVerifier(PoolSettings(issuer=ISSUER, client_id=CLIENT), lambda: signer.jwks)
    monkeypatch.setattr(staff_api, "_verifier", verifier)
    with Client(load_staff_app(), stage_name="local", project_dir=str(ROOT / "staff")) as client:
        yield Staff(client, signer)
