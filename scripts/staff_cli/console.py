"""Where a run reads and writes; the service's log lines kept off stdout."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_handlers: list[logging.Handler] = []


class _Discard(logging.Handler):
    """Takes the service's JSON log lines and drops them."""

    def __init__(self) -> None:
        from chalicelib.logs import JsonLineFormatter

        super().__init__()
        # logs.configure() adds its stdout handler unless a JSON-line handler is present.
        self.setFormatter(JsonLineFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        pass


@contextlib.contextmanager
def quiet_service_logs() -> Iterator[None]:
    """Silence the service's log lines for the run (nested and threaded runs share one swap)."""
    global _quiet_depth, _saved_handlers
    logger = logging.getLogger("next_steps")
    with _quiet_lock:
        if _quiet_depth == 0:
            _saved_handlers = list(logger.handlers)
            logger.handlers = [_Discard()]
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                logger.handlers = _saved_handlers


@dataclass
class Io:
    """Where a run reads and writes."""

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO

    def say(self, text: str = "") -> None:
        """A line of the command's output."""
        print(text, file=self.stdout)

    def note(self, text: str) -> None:
        """A message for the person, not for a pipe."""
        print(text, file=self.stderr)

    def json(self, data: Any) -> None:
        """Machine-readable output."""
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str), file=self.stdout)
