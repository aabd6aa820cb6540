"""Helpers for the staff inbox's browser tests: staff members, signing in as a person does, axe-core, the QR code."""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import totp
from tests.e2e.stack import LocalStack
from tests.e2e.staff import add_staff

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = {"viewport": {"width": 1100, "height": 900}, "device_scale_factor": 1}
PHONE = {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}
# WCAG 2.1 A and AA: what axe checks the inbox against.


@dataclass(frozen=True)
class Member:
    """A staff member of the local stack's pool, as `make staff-user` printed them."""

    email: str
    password: str
    secret: str
    role: str


def member(stack: LocalStack, role: str, name: str, full_name: str = "") -> Member:
    """Add a staff member (`make staff-user`, NAME= when `full_name` is given) with an address no other test uses."""
    email = f"{name}.{uuid.uuid4().hex[:6]}@clinic.example"
    printed = add_staff(stack, email, role, full_name)
    return Member(email, printed["Password"], printed["TOTP secret"], role)


def inbox_url(stack: LocalStack, query: str = "") -> str:
    """The inbox page of the stack (as `make run` prints it)."""
    return f"http://127.0.0.1:{stack.staff_port}/staff/{query}"


def sign_in(page: Any, who: Member) -> None:
    """Email and password, then the authenticator's code, typed into the page's sign-in form."""
    page.locator("#password-form").wait_for()
    page.get_by_label("Email").fill(who.email)
    page.get_by_label("Password", exact=True).fill(who.password)
    page.get_by_role("button", name="Continue").click()
    page.locator("#code-form").wait_for()
    page.get_by_label("The 6-digit code your authenticator app shows now").fill(totp(who.secret))
    page.get_by_role("button", name="Sign in").click()
    page.locator("#who").wait_for()


def open_signed_in(page: Any, stack: LocalStack, who: Member, where: str = "") -> None:
    """Open the inbox (at `where`, e.g. "#status=contacted") and sign in."""
    page.goto(inbox_url(stack, where))
    sign_in(page, who)


def send(stack: LocalStack, first_name: str, message: str = "Could you tell me more about KAP?", **extra: Any) -> str:
    """A lead sent to the API as the form's script sends it; its id."""
    body = {
        "first_name": first_name,
        "last_name": "Okafor",
        "email": f"{first_name.lower()}.{uuid.uuid4().hex[:6]}@example.org",
        "phone": "(202) 555-0175",
        "preferred_contact": "phone",
        "best_time": "morning",
        "consent_to_contact": True,
        "message": message,
        "started_at": int((time.time() - 60) * 1000),
        **extra,
    }
    status, _, answer = stack.post_json(body, source=f"127.0.0.{uuid.uuid4().int % 200 + 20}")
    assert status == 201, answer
    return str(answer["lead_id"])


def row(page: Any, lead_id: str) -> Any:
    """The list's row of one lead."""
    return page.locator(f'li.lead[data-lead-id="{lead_id}"]')


def qr_modules(page: Any) -> list[list[bool]]:
    """The dark and light modules of the QR code the page drew (its SVG path, one 1x1 square a module)."""
    size = int(page.locator("#qr").get_attribute("data-size"))
    path = page.locator("#qr svg path").get_attribute("d")
    grid = [[False] * size for _ in range(size)]
    for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", path):
        grid[int(y)][int(x)] = True
    return grid


def expected_qr(text: str) -> list[list[bool]]:
    """The QR code of `text` as the uqr package itself encodes it (node_modules, the copy's origin)."""
    script = (
        "import('uqr').then(({ encode }) => {"
        " const qr = encode(process.argv[1], { ecc: 'M', border: 4 });"
        " process.stdout.write(JSON.stringify(qr.data)); })"
    )
    done = subprocess.run(
        ["node", "-e", script, text], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True
    )
    grid: list[list[bool]] = json.loads(done.stdout)
    return grid
