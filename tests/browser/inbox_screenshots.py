"""Write the staff inbox's screenshots in docs/: `python -m tests.browser.inbox_screenshots`.

Starts the local stack on free ports, adds two named intake members, sends a
few leads (one urgent), signs in with Debian's Chromium and saves the sign-in
page, the list with the urgent lead on top and a lead, on a desktop and on a
320 px phone. The desktop's member claims the urgent lead; the phone's, a
colleague, sees it held by her name.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.browser.inbox import DESKTOP, PHONE, inbox_url, member, row, send, sign_in
from tests.browser.support import DOCS, new_page, write_screenshots
from tests.e2e.stack import LocalStack

WIDE = {**DESKTOP, "viewport": {"width": 1100, "height": 760}}


def capture(stack: LocalStack, browser: Any) -> list[Path]:
    """Save the screenshots; returns their paths."""
    members = {"desktop": member(stack, "intake", "maria", "Maria Lopez"), "phone": member(stack, "intake", "sam")}
    send(stack, "Jordan", best_time="evening", utm_source="newsletter", utm_campaign="ptsd-autumn")
    send(stack, "Marisol", preferred_contact="email")
    urgent = send(stack, "Alex", "Some nights I want to kill myself.", preferred_contact="text", consent_to_text=True)
    time.sleep(2)  # the stream pump sends their notices
    shots = []
    for name, options in (("desktop", WIDE), ("phone", PHONE)):
        with new_page(browser, **options) as page:
            page.goto(inbox_url(stack))
            page.locator("#password-form").wait_for()
            page.get_by_label("Email").fill(members[name].email)
            shots.append(DOCS / f"inbox-sign-in-{name}.png")
            page.screenshot(path=str(shots[-1]))
            page.get_by_label("Email").fill("")
            sign_in(page, members[name])
            row(page, urgent).wait_for()
            page.mouse.move(0, 0)
            shots.append(DOCS / f"inbox-list-{name}.png")
            page.screenshot(path=str(shots[-1]))
            row(page, urgent).locator("a.open").click()
            page.locator("#lead-title").wait_for()
            if name == "desktop":  # claimed once; the phone's colleague sees it held by Maria Lopez
                page.get_by_role("button", name="Claim this lead").click()
                page.locator("#lead-message", has_text="You hold this lead now.").wait_for()
            page.locator("#lead-title").focus()
            shots.append(DOCS / f"inbox-lead-{name}.png")
            page.screenshot(path=str(shots[-1]))
    return shots


if __name__ == "__main__":
    raise SystemExit(write_screenshots(capture))
