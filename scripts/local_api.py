"""`chalice local` for `make run`, with each connection's own address as the client IP.

    python -m scripts.local_api local --no-autoreload --stage local --host 127.0.0.1 --port 8000

Behind API Gateway the Lambda event's `requestContext.identity.sourceIp` is
the caller's address. `chalice local` writes 127.0.0.1 there for every
request, so locally every visitor would share one rate-limit bucket. This runs
Chalice's own command line unchanged, except that the server's request handler
puts the connection's peer address in the event, as API Gateway does.
"""

from __future__ import annotations

import functools
import sys
from http.server import BaseHTTPRequestHandler
from typing import Any

from chalice import local


class PeerEventConverter(local.LambdaEventConverter):
    """Chalice's event converter, with one connection's peer address as the source IP."""

    def __init__(self, route_matcher: local.RouteMatcher, binary_types: list[str], source_ip: str) -> None:
        super().__init__(route_matcher, binary_types)
        self.source_ip = source_ip

    def create_lambda_event(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> dict[str, Any]:
        """The event chalice local builds, with `identity.sourceIp` set as API Gateway sets it."""
        event = super().create_lambda_event(method, path, headers, body)
        event["requestContext"]["identity"]["sourceIp"] = self.source_ip
        return event


class PeerRequestHandler(local.ChaliceRequestHandler):
    """One connection (keep-alive requests included), its gateway knowing who is on the other end."""

    def __init__(
        self, request: Any, client_address: tuple[str, int], server: Any, app_object: Any, config: Any
    ) -> None:
        # ChaliceRequestHandler.__init__ builds the gateway, then serves the
        # connection inside BaseHTTPRequestHandler.__init__: do the same, with
        # the peer-aware converter in place before the first request is read.
        self.local_gateway = local.LocalGateway(app_object, config)
        self.local_gateway.event_converter = PeerEventConverter(
            local.RouteMatcher(list(app_object.routes)), app_object.api.binary_types, client_address[0]
        )
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)


_chalice_create_local_server = local.create_local_server
_chalice_decode_jwt_payload = local.LocalGatewayAuthorizer._decode_jwt_payload


def _decode_jwt_payload(self: Any, jwt: str) -> dict[str, Any]:
    """Chalice's unchecked look at a token's claims, without dropping the connection on a malformed one.

    `chalice local` does not check Cognito tokens: it only copies their claims
    into the event. On a token that is not three dot-separated parts it raises
    and the client's connection is closed with no answer. Here such a token has
    no claims, and the request goes on to the staff function, whose own check
    answers 401 (chalicelib/staff_api.py).
    """
    try:
        claims = _chalice_decode_jwt_payload(self, jwt)
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def create_local_server(app_obj: Any, config: Any, host: str, port: int) -> local.LocalDevServer:
    """Chalice's local server, serving each connection with PeerRequestHandler."""
    server = _chalice_create_local_server(app_obj, config, host, port)
    server.server.RequestHandlerClass = functools.partial(PeerRequestHandler, app_object=app_obj, config=config)
    return server


def main() -> int:
    """Run `chalice` with its local server's handler swapped."""
    from chalice.cli import main as chalice_main

    # chalice's CLI factory calls local.create_local_server through the module.
    local.create_local_server = create_local_server
    local.LocalGatewayAuthorizer._decode_jwt_payload = _decode_jwt_payload  # type: ignore[method-assign]
    sys.argv[0] = "chalice"
    return int(chalice_main() or 0)


if __name__ == "__main__":
    raise SystemExit(main())
