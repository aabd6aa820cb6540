"""One logging set-up: structured JSON lines that can only carry safe fields.

A log line names an event and carries lead ids, outcomes and counts. Its
fields come from SAFE_FIELDS; anything else is dropped before it is written,
so a name, contact, message or IP cannot reach the logs through here.
Metrics ride on the same lines in CloudWatch embedded metric format.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

NAMESPACE = "NextSteps"

SAFE_FIELDS = frozenset(
    {
        "lead_id",
        "outcome",
        "status",
        "status_code",
        "code",
        "kind",
        "reasons",
        "priority",
        "event",
        "attempts",
        "count",
        "sent",
        "failed",
        "dead",
        "skipped",
        "reminders",
        "escalations",
        "escalations_failed",
        "escalations_skipped",
        "stopped",
        "round",
        "spam_digest",
        "retry_after",
        "route",
    }
)

_logger = logging.getLogger("next_steps")


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is now (Lambda, chalice local and pytest swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


class JsonLineFormatter(logging.Formatter):
    """Format a record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"level": record.levelname, "event": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        return json.dumps(line, separators=(",", ":"), default=str)


def configure() -> logging.Logger:
    """Attach the JSON handler once; safe to call many times."""
    if not any(isinstance(h.formatter, JsonLineFormatter) for h in _logger.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(JsonLineFormatter())
        _logger.addHandler(handler)
        _logger.setLevel(logging.INFO)
        # Our lines are complete JSON; the root handler (Lambda's, chalice
        # local's) would print them a second time without their fields.
        _logger.propagate = False
    return _logger


def _safe(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in SAFE_FIELDS or value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = [str(v) for v in value]
        elif not isinstance(value, (int, float, bool)):
            value = str(value)[:80]
        out[key] = value
    return out


def log_event(event: str, level: int = logging.INFO, metrics: dict[str, int] | None = None, **fields: Any) -> None:
    """Write one structured line; `metrics` adds CloudWatch EMF counters to it."""
    line = _safe(fields)
    if metrics:
        from chalicelib.settings import get_settings

        stage = get_settings().stage
        line["stage"] = stage
        line["_aws"] = {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [["stage"]],
                    "Metrics": [{"Name": name, "Unit": "Count"} for name in metrics],
                }
            ],
        }
        line.update(metrics)
    configure().log(level, event, extra={"fields": line})
