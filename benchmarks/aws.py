"""AWS answered locally by botocore's Stubber, with every client and call counted.

This module imports only the standard library at import time, so the cold
start measurement can load it without paying for anything either app would
not pay for anyway. botocore is imported when the stubs are installed.
"""

from __future__ import annotations

import json
import time
from collections import Counter, deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

REGION = "us-east-1"
ORIGIN = "https://clinic.example"
# The staff API's first request (benchmarks.cold's operation for it).
STAFF_ME = "staff_me"

# Same shape as a real visitor's submission (see tests/conftest.py VALID).
LEAD_BODY = {
    "first_name": "Avery",
    "last_name": "Quill",
    "email": "avery.quill@example.org",
    "phone": "(202) 555-0143",
    "preferred_contact": "phone",
    "best_time": "evening",
    "service": "ketamine_assisted_psychotherapy",
    "tried_treatments": ["therapy", "ssri_snri"],
    "message": "Years of nightmares since the accident; two SSRIs did nothing.",
    "consent_to_contact": True,
    "privacy_notice_version": "2026-01",
}


def bench_env(base: dict[str, str]) -> dict[str, str]:
    """An environment with a region and fake credentials, and no way to reach real AWS."""
    env = {k: v for k, v in base.items() if not k.startswith("AWS_")}
    env.update(
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ACCESS_KEY_ID="benchmark",
        AWS_SECRET_ACCESS_KEY="benchmark",
        AWS_SESSION_TOKEN="benchmark",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
        ALLOWED_ORIGINS=ORIGIN,
        LEADS_TABLE="next-steps-bench-leads",
        STAFF_TOPIC_ARN=f"arn:aws:sns:{REGION}:123456789012:next-steps-bench-staff",
    )
    return env


class LambdaContext:
    """The few attributes of Lambda's context object that a handler may read."""

    function_name = "next-steps-dev"
    function_version = "$LATEST"
    memory_limit_in_mb = 128
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/next-steps-dev"
    log_stream_name = "benchmark"
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:next-steps-dev"

    def get_remaining_time_in_millis(self) -> int:
        """Lambda's remaining-time callback."""
        return 30_000


def lead_body() -> str:
    """A valid submission as JSON, started a minute ago (so not 'too fast')."""
    return json.dumps(dict(LEAD_BODY, started_at=int((time.time() - 60) * 1000)))


def api_event(body: str, idempotency_key: str = "6f1c2d9e-bench") -> dict[str, Any]:
    """An API Gateway (REST, proxy) event for `POST /leads`, as Lambda hands it to Chalice."""
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Host": "abc123.execute-api.us-east-1.amazonaws.com",
        "Idempotency-Key": idempotency_key,
        "Origin": ORIGIN,
        "User-Agent": "Mozilla/5.0 (benchmark)",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
    }
    return {
        "resource": "/leads",
        "path": "/leads",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/leads",
            "httpMethod": "POST",
            "path": "/api/leads",
            "stage": "api",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0 (benchmark)"},
            "accountId": "123456789012",
            "apiId": "abc123",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def staff_event(token: str) -> dict[str, Any]:
    """`GET /staff/me` with a staff member's ID token, as API Gateway hands it to the staff API's function."""
    event = api_event("")
    event["httpMethod"] = event["requestContext"]["httpMethod"] = "GET"
    event["resource"] = event["path"] = event["requestContext"]["resourcePath"] = "/staff/me"
    event["requestContext"]["path"] = "/api/staff/me"
    event["body"] = None
    headers = {
        "Accept": "application/json",
        "Authorization": f"Bearer {token}",
        "Host": "abc123.execute-api.us-east-1.amazonaws.com",
        "Origin": ORIGIN,
    }
    event["headers"] = headers
    event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    return event


def preflight_event() -> dict[str, Any]:
    """The browser's CORS preflight (`OPTIONS /leads`) before the snippet's POST."""
    event = api_event("")
    event["httpMethod"] = event["requestContext"]["httpMethod"] = "OPTIONS"
    event["body"] = None
    headers = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,idempotency-key",
        "Host": "abc123.execute-api.us-east-1.amazonaws.com",
    }
    event["headers"] = headers
    event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    return event


def stream_event(new_image: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB stream event with one INSERT record, as Lambda hands it to notify_staff."""
    keys = {k: new_image[k] for k in ("pk", "sk") if k in new_image}
    return {
        "Records": [
            {
                "eventID": "1",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": REGION,
                "dynamodb": {
                    "ApproximateCreationDateTime": 1767225600,
                    "Keys": keys,
                    "NewImage": new_image,
                    "SequenceNumber": "100000000000000000001",
                    "SizeBytes": 1024,
                    "StreamViewType": "NEW_IMAGE",
                },
                "eventSourceARN": f"arn:aws:dynamodb:{REGION}:123456789012:table/next-steps-bench-leads/stream/x",
            }
        ]
    }


class StubbedAWS:
    """Every botocore client created after `install()` answers from a Stubber queue.

    Responses queued with `queue()` go to the newest client of that service,
    or wait for the next one to be created. Each client's calls are counted
    (service, operation) with a `before-call` hook, and each creation too.
    """

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.clients: Counter[str] = Counter()
        self.params: dict[str, deque[dict[str, Any]]] = {}
        self._stubbers: dict[str, list[Any]] = {}
        self._pending: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    def install(self) -> None:
        """Wrap botocore's client creation so every new client is stubbed and counted."""
        import botocore.session
        from botocore.stub import Stubber

        original = botocore.session.Session.create_client
        owner = self

        def create_client(session: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
            client = original(session, service_name, *args, **kwargs)
            owner.clients[service_name] += 1
            # Registered first, so it runs before the Stubber answers the call.
            client.meta.events.register_first("before-call.*.*", owner._count)
            client.meta.events.register_first("before-parameter-build.*.*", owner._keep_params)
            stubber = Stubber(client)
            stubber.activate()
            owner._stubbers.setdefault(service_name, []).append(stubber)
            for operation, response in owner._pending.pop(service_name, []):
                stubber.add_response(operation, response)
            return client

        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]

    def install_when_imported(self) -> None:
        """`install()` now if botocore is loaded, else as soon as the app imports it (never at all if it does not).

        For a function whose request path needs no AWS (the staff API's `GET
        /staff/me`): importing botocore for the stubs would add to its cold
        start what it never pays on Lambda.
        """
        import sys

        if "botocore.session" in sys.modules:
            self.install()
            return
        owner = self

        class AfterBotocore:
            """A finder that only watches: once botocore.session has loaded, the stubs go in."""

            def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
                if name != "botocore.session":
                    return None
                sys.meta_path.remove(self)
                import importlib.util

                spec = importlib.util.find_spec(name)
                if spec is not None and spec.loader is not None:
                    loader, run = spec.loader, spec.loader.exec_module

                    def exec_module(module: Any) -> None:
                        run(module)
                        owner.install()

                    loader.exec_module = exec_module  # type: ignore[method-assign]
                return spec

        sys.meta_path.insert(0, AfterBotocore())

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def _keep_params(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        key = f"{model.service_model.service_name}.{model.name}"
        self.params.setdefault(key, deque(maxlen=1)).append(params)

    def queue(
        self, service: str, operation: str, response: dict[str, Any], times: int = 1, fresh: bool = False
    ) -> None:
        """Answer the next `times` calls of `operation` on `service` with `response`.

        They go to the newest client of that service, or with `fresh` (or when
        there is none yet) to the next client created.
        """
        stubber = None if fresh or not self._stubbers.get(service) else self._stubbers[service][-1]
        for _ in range(times):
            if stubber is None:
                self._pending.setdefault(service, []).append((operation, response))
            else:
                stubber.add_response(operation, response)

    def pending(self) -> int:
        """Responses queued but not used (a path made fewer calls than expected)."""
        waiting = sum(len(v) for v in self._pending.values())
        return waiting + sum(len(s._queue) for stubbers in self._stubbers.values() for s in stubbers)

    def newest(self, service: str) -> Any:
        """The Stubber of the newest client of `service` (to queue answers for that client only)."""
        return self._stubbers[service][-1]

    def last_params(self, key: str) -> dict[str, Any]:
        """The parameters of the most recent call `service.Operation`."""
        return self.params[key][-1]

    def reset_counts(self) -> None:
        """Start counting calls and clients afresh."""
        self.calls.clear()
        self.clients.clear()
