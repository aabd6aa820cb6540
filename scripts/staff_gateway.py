"""The staff API Gateway's own refusals as problem JSON: `make staff-deploy` runs this after `chalice deploy`.

In AWS the staff API's Cognito authorizer refuses a missing, forged or
expired token before the function runs, with API Gateway's own
`{"message": "Unauthorized"}`: not the contract's problem JSON, and no
`WWW-Authenticate: Bearer`. Chalice does not manage gateway responses, so
this sets them on the deployed API (`aws apigateway put-gateway-response`)
and redeploys its stage, as the function answers itself:

- UNAUTHORIZED (401): problem JSON and `WWW-Authenticate: Bearer`;
- ACCESS_DENIED (403) and MISSING_AUTHENTICATION_TOKEN (403, API Gateway's
  answer to a path it does not know): problem JSON;
- DEFAULT_4XX and DEFAULT_5XX (throttling, too large, the gateway's own
  failures): problem JSON with the status API Gateway chose.

    python -m scripts.staff_gateway --stage prod
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {
    "Content-Type": "'application/problem+json'",
    "Cache-Control": "'no-store'",
    "X-Content-Type-Options": "'nosniff'",
}


def _template(status: str | None, title: str, detail: str) -> str:
    # RFC 9457's "status" is optional: left out where API Gateway picks the code (DEFAULT_4XX/5XX).
    body: dict[str, Any] = {"type": "about:blank", "title": title, "detail": detail}
    if status:
        body["status"] = int(status)
    return json.dumps(body)


# (response type, status code or None to keep API Gateway's, title, detail, extra headers)
RESPONSES: list[tuple[str, str | None, str, str, dict[str, str]]] = [
    (
        "UNAUTHORIZED",
        "401",
        "Sign-in required",
        "Send a valid staff ID token: Authorization: Bearer <token>.",
        {"WWW-Authenticate": "'Bearer realm=\"next-steps-staff\"'"},
    ),
    ("ACCESS_DENIED", "403", "Not allowed", "This request is not allowed.", {}),
    ("MISSING_AUTHENTICATION_TOKEN", "404", "Not found", "There is no such staff route.", {}),
    ("DEFAULT_4XX", None, "Request refused", "The request could not be accepted.", {}),
    ("DEFAULT_5XX", None, "Something went wrong", "The request could not be completed. Please try again.", {}),
]


def gateway_responses() -> list[dict[str, Any]]:
    """The put_gateway_response calls, without the API's id."""
    calls = []
    for kind, status, title, detail, extra in RESPONSES:
        body = _template(status, title, detail)
        call: dict[str, Any] = {
            "responseType": kind,
            "responseParameters": {f"gatewayresponse.header.{k}": v for k, v in {**HEADERS, **extra}.items()},
            "responseTemplates": {"application/json": body},
        }
        if status:
            call["statusCode"] = status
        calls.append(call)
    return calls


def apply(client: Any, rest_api_id: str, stage: str) -> list[str]:
    """Set every gateway response on the API and redeploy its stage; the response types set."""
    for call in gateway_responses():
        client.put_gateway_response(restApiId=rest_api_id, **call)
    client.create_deployment(restApiId=rest_api_id, stageName=stage, description="staff problem JSON refusals")
    return [c["responseType"] for c in gateway_responses()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--project-dir", type=Path, default=ROOT / "staff")
    args = parser.parse_args(argv)
    record_path = args.project_dir / ".chalice" / "deployed" / f"{args.stage}.json"
    if not record_path.exists():
        print(f"error: {record_path} not found: deploy the staff API first (make staff-deploy)", file=sys.stderr)
        return 1
    record = json.loads(record_path.read_text())
    [api] = [r for r in record["resources"] if r.get("resource_type") == "rest_api"]
    config = json.loads((args.project_dir / ".chalice" / "config.json").read_text())
    api_stage = config.get("stages", {}).get(args.stage, {}).get("api_gateway_stage") or config.get(
        "api_gateway_stage", "api"
    )
    import boto3

    done = apply(boto3.client("apigateway"), api["rest_api_id"], api_stage)
    print(f"staff API {api['rest_api_id']}: problem JSON for {', '.join(done)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
