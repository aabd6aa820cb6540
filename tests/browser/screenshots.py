"""Write the website form's screenshots in docs/: `python -m tests.browser.screenshots`.

Starts the local stack on free ports, drives Debian's Chromium through the
demo page, and saves the form, an error state, the confirmation and the
crisis answer (as first seen on a 320 px phone, and on a desktop); then the
Spanish page (/es/): its form, and its crisis answer on a 320 px phone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.support import DOCS, new_page, wait_like_a_person, write_screenshots
from tests.e2e.stack import LocalStack

FORM = "form.ns-form"
DESKTOP = {"viewport": {"width": 760, "height": 900}, "device_scale_factor": 1}
PHONE = {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}


def _send(page: Any, first_name: str, email: str, message: str) -> None:
    page.fill(f'{FORM} [name="first_name"]', first_name)
    page.fill(f'{FORM} [name="email"]', email)
    page.check(f'{FORM} input[name="preferred_contact"][value="email"]')
    page.fill(f'{FORM} [name="message"]', message)
    page.check(f'{FORM} input[name="consent_to_contact"]')
    wait_like_a_person(page)
    page.click(f"{FORM} button[type=submit]")
    page.locator(".ns-done").wait_for()


def capture(stack: LocalStack, browser: Any) -> list[Path]:
    """Save the screenshots; returns their paths."""
    shots = []
    with new_page(browser, **DESKTOP) as page:
        page.goto(stack.web_origin)
        path = DOCS / "form.png"
        page.locator("#next-steps").screenshot(path=str(path))
        shots.append(path)

        page.fill(f'{FORM} [name="first_name"]', "Sam")
        page.check(f'{FORM} input[name="preferred_contact"][value="text"]')
        page.click(f"{FORM} button[type=submit]")
        page.locator(f"{FORM} .ns-alert").wait_for()
        path = DOCS / "form-errors.png"
        page.locator("#next-steps").screenshot(path=str(path))
        shots.append(path)

    with new_page(browser, **DESKTOP) as page:
        page.goto(stack.web_origin)
        _send(page, "Sam", "sam.screenshot@example.org", "Could you tell me more about KAP?")
        path = DOCS / "form-confirmation.png"
        page.locator("#next-steps").screenshot(path=str(path))
        shots.append(path)

    # The crisis answer as a visitor first sees it: the screen right after sending, on a 320 px phone.
    with new_page(browser, **PHONE) as page:
        page.goto(stack.web_origin)
        _send(page, "Alex", "alex.screenshot@example.org", "Some nights I want to kill myself.")
        path = DOCS / "form-crisis.png"
        page.screenshot(path=str(path))
        shots.append(path)

    with new_page(browser, **DESKTOP) as page:
        page.goto(stack.web_origin)
        _send(page, "Jo", "jo.screenshot@example.org", "I dont want to live anymore.")
        path = DOCS / "form-crisis-desktop.png"
        page.locator("#next-steps").screenshot(path=str(path))
        shots.append(path)

    with new_page(browser, **DESKTOP) as page:
        page.goto(f"{stack.web_origin}/es/")
        path = DOCS / "form-es.png"
        page.locator("#next-steps").screenshot(path=str(path))
        shots.append(path)

    with new_page(browser, **PHONE) as page:
        page.goto(f"{stack.web_origin}/es/")
        _send(page, "Sofía", "sofia.screenshot@example.org", "Ya no aguanto más, quiero quitarme la vida.")
        path = DOCS / "form-crisis-es.png"
        page.screenshot(path=str(path))
        shots.append(path)
    return shots


if __name__ == "__main__":
    raise SystemExit(write_screenshots(capture))
