"""Fixtures shared by the staff API's HTTP tests: one local stack for them all, and its staff."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import LocalStack
from tests.e2e.staff import add_staff, sign_in


@pytest.fixture(scope="package")
def staff_stack() -> Iterator[LocalStack]:
    """`make run` on free ports, for every staff test (torn down after the last e2e test)."""
    running = LocalStack()
    yield running
    running.stop()


def _member(stack: LocalStack, email: str, role: str) -> tuple[str, dict[str, str]]:
    printed = add_staff(stack, email, role)
    return sign_in(stack, email, printed["Password"], printed["TOTP secret"]), printed


@pytest.fixture(scope="package")
def intake(staff_stack: LocalStack) -> tuple[str, dict[str, str]]:
    """An intake member's ID token, and what `make staff-user` printed for them."""
    return _member(staff_stack, "sam.intake@clinic.example", "intake")


@pytest.fixture(scope="package")
def clinician(staff_stack: LocalStack) -> tuple[str, dict[str, str]]:
    """A clinician's ID token, and what `make staff-user` printed for them."""
    return _member(staff_stack, "riley.oncall@clinic.example", "clinician")


@pytest.fixture(scope="package")
def admin(staff_stack: LocalStack) -> tuple[str, dict[str, str]]:
    """An admin's ID token, and what `make staff-user` printed for them."""
    return _member(staff_stack, "ada.admin@clinic.example", "admin")
