"""Fixtures for the browser tests: one local stack and one Chromium per module."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.support import launch
from tests.e2e.stack import LocalStack


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """`python -m scripts.local_stack` on free ports; stopped with SIGTERM at the end."""
    running = LocalStack()
    if "Next Steps is running" not in running.output:
        running.stop(signal.SIGTERM)
        pytest.fail("the local stack did not start:\n" + running.output[-4000:])
    yield running
    running.stop(signal.SIGTERM)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
