"""The staff CLI run in-process against the stage's stack in moto."""

from __future__ import annotations

import io
import itertools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from tests.conftest import Stack, post, valid_lead

_names = itertools.count(1)


@dataclass
class Run:
    """What a staff member sees: the exit code, stdout and stderr."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(*argv: str, stdin: str = "") -> Run:
    """Run the CLI as `python -m scripts.leads ARGV` would, capturing its output."""
    from scripts.leads import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err, env=dict(os.environ))
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(aws: Stack, deps: Any) -> Callable[..., Run]:
    """The CLI pointed at the test stage by name (table and topic found as staff would find them)."""
    # Several leads from one test client must not trip the per-IP rate limit.
    deps.settings = replace(deps.settings, rate_limit_window=100, rate_limit_day=100)
    return lambda *argv, stdin="": run_cli(*argv, "--stage", "test", stdin=stdin)


def submit(client: Any, **changes: Any) -> str:
    """Create a real lead through POST /leads; each call is a different person."""
    n = next(_names)
    body = valid_lead(first_name=f"Avery{n}", message=f"Lead number {n}: nightmares since the accident.")
    body.update(changes)
    response = post(client, {k: v for k, v in body.items() if v is not None})
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["lead_id"])
