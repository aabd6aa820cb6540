"""Next Steps: routes and event handlers only. Each wires the edge to the service."""

from __future__ import annotations

import gc
import os
from typing import Any

# Lambda imports this module once per container, on the cold start a visitor
# waits for. The imports below allocate some 77,000 long-lived
# objects (pydantic's schemas, botocore's models): with the collector off
# they are not traversed again and again while they load, and frozen at the
# end of this module no later collection walks them (about 10% of a cold start).
gc.disable()

from chalice.app import Chalice, Rate, Response

from chalicelib import http, runtime, service, store

app = Chalice(app_name="next-steps")

# The stream's ARN is a deploy-time setting that Chalice needs at import to
# wire the event source; it comes from the stage's environment variables.
LEADS_STREAM_ARN = os.environ.get(
    "LEADS_STREAM_ARN", "arn:aws:dynamodb:us-east-1:000000000000:table/next-steps-unset/stream/unset"
)


@app.route("/leads", methods=["POST"], content_types=["*/*"])
def create_lead() -> Response:
    """Accept a "Next Steps" submission (JSON or a plain form post)."""
    request = app.current_request
    return http.guarded(lambda: http.post_leads(request, runtime.deps()), request)


@app.route("/leads", methods=["OPTIONS"])
def leads_preflight() -> Response:
    """CORS preflight for the form snippet."""
    request = app.current_request
    return http.guarded(lambda: http.preflight(request, runtime.settings()))


@app.route("/leads", methods=["GET", "HEAD", "PUT", "PATCH", "DELETE"], content_types=["*/*"])
def leads_other_methods() -> Response:
    """405 problem JSON: the form endpoint takes POST only."""
    request = app.current_request
    return http.guarded(lambda: http.method_not_allowed(request, ("POST", "OPTIONS"), runtime.settings()))


@app.route("/health", methods=["GET", "HEAD"])
def health() -> Response:
    """Liveness check (HEAD, as uptime monitors send it: the same answer without its body)."""
    request = app.current_request
    body = "" if request is not None and request.method == "HEAD" else '{"status":"ok"}'
    return Response(body=body, status_code=200, headers={**http.NO_STORE, "Content-Type": "application/json"})


@app.route("/health", methods=["POST", "PUT", "PATCH", "DELETE"], content_types=["*/*"])
def health_other_methods() -> Response:
    """405 problem JSON: the liveness check takes GET only."""
    return http.method_not_allowed(app.current_request, ("GET",))


@app.on_dynamodb_record(stream_arn=LEADS_STREAM_ARN, batch_size=25, starting_position="TRIM_HORIZON")
def notify_staff(event: Any) -> dict[str, int]:
    """Send the PHI-free staff notice for each newly stored lead (the stream carries keys only)."""
    return service.notify_new_leads(store.inserted_lead_ids((r.event_name, r.keys) for r in event), runtime.deps())


# Every minute: an urgent lead nobody has opened is escalated within a minute of its due time.
@app.schedule(Rate(1, unit=Rate.MINUTES))
def sweeper(event: Any) -> dict[str, int]:
    """Retry owed notices with backoff; escalate urgent leads and remind of normal ones nobody acknowledged."""
    return service.sweep(runtime.deps())


gc.freeze()
gc.enable()
