"""Helpers for the browser tests: the local stack, Chromium, and reading what the stack stored and printed."""

from __future__ import annotations

import re
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chalicelib.store import from_item
from tests.e2e.stack import LocalStack

TABLE = "next-steps-local-leads"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BAR = "=" * 64
FORM = "form.ns-form"
ON_SCREEN = (
    "s => { const r = document.querySelector(s).getBoundingClientRect();"
    " return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }"
)
WIDTHS = [(320, 640), (375, 667), (1280, 800)]
MIN_FILL_MS = 3500  # the server flags a form sent less than 3 s after it was shown


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def stored_leads(stack: LocalStack) -> list[dict[str, Any]]:
    """Every lead in the emulator's table."""
    db = stack.dynamodb()
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": TABLE}
    while True:
        page = db.scan(**kwargs)
        items += [from_item(i) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return [i for i in items if i["pk"].startswith("LEAD#")]


def leads_for(stack: LocalStack, email: str) -> list[dict[str, Any]]:
    """The stored leads with this email address."""
    return [lead for lead in stored_leads(stack) if lead.get("email") == email]


def notice_blocks(stack: LocalStack) -> list[str]:
    """Each staff notice the stack printed, as one block of text."""
    return re.findall(rf"STAFF NOTICE.*?\n{BAR}", stack.output, flags=re.S)


# Four polls of the local stack's stream pump (every 0.5 s).
SETTLE = 2.0


def wait_for_notice(stack: LocalStack, lead_id: str, seconds: float = 20) -> str:
    """The printed notice for this lead (waits for the stream pump to deliver it)."""
    stack.wait_for(f"Lead {lead_id}.", seconds)
    time.sleep(SETTLE)  # a second notice from a stream redelivery would print within a few polls
    blocks = [b for b in notice_blocks(stack) if lead_id in b]
    assert blocks, f"no staff notice printed for {lead_id}:\n{stack.output[-12000:]}"
    assert len(blocks) == 1, f"{len(blocks)} staff notices printed for {lead_id}"
    return blocks[0]


def wait_like_a_person(page: Any, form: str = "form.ns-form") -> None:
    """Let the form be open as long as a person would need to fill it in."""
    page.wait_for_function(
        "([sel, ms]) => { const f = document.querySelector(sel);"
        " return f && Date.now() - Number(f.elements.started_at.value) > ms; }",
        arg=[form, MIN_FILL_MS],
        timeout=15000,
    )


@contextmanager
def new_page(browser: Any, **context_options: Any) -> Iterator[Any]:
    """A fresh browser context and page, closed afterwards."""
    context = browser.new_context(**context_options)
    try:
        yield context.new_page()
    finally:
        context.close()


def screen(width: int, height: int) -> dict[str, Any]:
    """Browser context options for a screen this wide (a phone's touch below 1000 px)."""
    phone = width < 1000
    return {"viewport": {"width": width, "height": height}, "is_mobile": phone, "has_touch": phone}


def unique_email(tag: str) -> str:
    """An address no other test uses, so the server's duplicate window never joins two tests."""
    return f"{tag}.{uuid.uuid4().hex[:8]}@example.org"


def fill(page: Any, **fields: Any) -> None:
    """Fill the form the way a visitor would (clicks and typing, no scripting)."""
    for name in ("first_name", "last_name", "phone", "email", "message"):
        if name in fields:
            page.fill(f'{FORM} [name="{name}"]', fields[name])
    if "preferred_contact" in fields:
        page.check(f'{FORM} input[name="preferred_contact"][value="{fields["preferred_contact"]}"]')
    for name in ("best_time", "service"):
        if name in fields:
            page.select_option(f'{FORM} select[name="{name}"]', fields[name])
    for value in fields.get("tried_treatments", []):
        page.check(f'{FORM} input[name="tried_treatments"][value="{value}"]')
    for name in ("consent_to_text", "consent_to_contact"):
        if fields.get(name):
            page.check(f'{FORM} input[name="{name}"]')


def posts_to(page: Any, stack: LocalStack) -> list[Any]:
    """Every POST the page makes to the API, collected as it happens."""
    seen: list[Any] = []
    page.on("request", lambda r: seen.append(r) if r.method == "POST" and r.url.startswith(stack.api) else None)
    return seen


DOCS = Path(__file__).parents[2] / "docs"


def write_screenshots(capture: Callable[[LocalStack, Any], list[Path]]) -> int:
    """Start the local stack and Chromium, run `capture` (which saves into docs/), stop everything."""
    from playwright.sync_api import sync_playwright

    DOCS.mkdir(exist_ok=True)
    stack = LocalStack()
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            for path in capture(stack, browser):
                print(f"Wrote {path.relative_to(DOCS.parent)}")
            browser.close()
    finally:
        stack.stop(signal.SIGTERM)
    return 0


AXE = DOCS.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """What axe-core (node_modules, installed by `make axe`) finds against WCAG 2.1 A and AA on the page as it is."""
    import pytest

    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make axe` (npm ci)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated by the driver: a page's own Content-Security-Policy (the inbox's) refuses a script it did not serve.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    found: list[dict[str, Any]] = page.evaluate(_AXE_RUN, WCAG_21_AA)
    return found
