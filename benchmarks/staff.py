"""A stand-in for the stage's staff user pool: one signing key, an ID token, and its JWKS on loopback.

The staff API's first request checks a Cognito ID token against the pool's
public keys, which it fetches over HTTP on its cold start (chalicelib/staff_api.py,
`fetch_jwks`). The harness serves those keys from this process on 127.0.0.1,
so the measured process does the fetch for real (no TLS, as the emulator), and
hands it a token this key signed. Only the development tools sign
(cryptography, python-jose); the measured function verifies with what its zip holds.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Benchmark"
CLIENT_ID = "benchmarkclient"
KEY_ID = "benchmark-key"


class StaffPool:
    """`with StaffPool() as pool:` serves the JWKS until the block ends; `pool.env()` points a function at it."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jose import jwk, jwt

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        private_pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        public = {**jwk.construct(public_pem.decode(), "RS256").to_dict(), "kid": KEY_ID, "use": "sig"}
        self.jwks = json.dumps({"keys": [public]}).encode()
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "token_use": "id",
            "exp": int(time.time()) + 6 * 3600,
            "cognito:username": "benchmark-intake",
            "cognito:groups": ["intake"],
            "email": "intake@clinic.example",
        }
        self.token = str(jwt.encode(claims, private_pem.decode(), algorithm="RS256", headers={"kid": KEY_ID}))
        self.fetches = 0
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> StaffPool:
        pool = self

        class Keys(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                pool.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(pool.jwks)))
                self.end_headers()
                self.wfile.write(pool.jwks)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def env(self) -> dict[str, str]:
        """The stage settings and the token a staff function's cold start is measured with."""
        assert self._server is not None, "use StaffPool() as a context manager"
        port = self._server.server_address[1]
        return {
            "STAFF_ISSUER": ISSUER,
            "STAFF_CLIENT_ID": CLIENT_ID,
            "STAFF_JWKS_URL": f"http://127.0.0.1:{port}/.well-known/jwks.json",
            "BENCH_STAFF_TOKEN": self.token,
        }
