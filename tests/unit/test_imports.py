"""The domain loads no AWS SDK: each module here imports in a fresh interpreter without boto3 or botocore."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Add a module here to hold it to the same rule (the staff read side, next).
DOMAIN_MODULES = [
    "chalicelib.service",
    "chalicelib.delivery",
    "chalicelib.escalation",
    "chalicelib.ports",
    "chalicelib.errors",
    "chalicelib.memory",
    "chalicelib.ids",
    "chalicelib.staff.actions",
    "chalicelib.staff.read",
    "chalicelib.staff.export",
    "chalicelib.staff.stats",
]


@pytest.mark.parametrize("module", DOMAIN_MODULES)
def test_importing_a_domain_module_loads_no_aws_sdk(module: str) -> None:
    # GIVEN a fresh interpreter WHEN it imports the module THEN no boto3/botocore module is loaded
    probe = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
