"""The staff read side's plain parts: CSV, stats, cursors, labels, and no AWS at import."""

from __future__ import annotations

import base64
import csv
import io
import json
import subprocess
import sys

import pytest

from chalicelib.leads import Status
from chalicelib.staff.cursor import BadCursor, Cursor, decode_cursor, encode_cursor
from chalicelib.staff.export import CSV_COLUMNS, to_csv
from chalicelib.staff.labels import reach
from chalicelib.staff.stats import compute_stats
from tests.conftest import ROOT

LEAD_ID = "01JV6Q7T8KX2M4N5P6R7S8T9VW"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_starting_like_a_formula_get_an_apostrophe(start: str) -> None:
    text = to_csv([{"lead_id": LEAD_ID, "message": start + "SUM(A1)", "first_name": "Sam"}])
    [row] = list(csv.DictReader(io.StringIO(text[1:])))
    assert row["message"] == "'" + start + "SUM(A1)"
    assert row["first_name"] == "Sam" and list(row) == list(CSV_COLUMNS)


def test_stats_on_a_fixed_set() -> None:
    leads = [
        {"created_at": "2026-05-01T10:00:00.000Z", "status": "new", "notice_state": "sent",
         "notice_sent_at": "2026-05-01T10:00:02.000Z"},
        {"created_at": "2026-05-01T11:00:00.000Z", "status": "spam", "notice_state": "suppressed"},
        {"created_at": "2026-05-02T09:00:00.000Z", "status": "contacted", "notice_state": "sent",
         "notice_sent_at": "2026-05-02T09:00:06.000Z"},
        {"created_at": "2026-05-02T09:30:00.000Z", "status": "new", "notice_state": "dead"},
    ]  # fmt: skip
    stats = compute_stats(leads)
    assert stats["total"] == 4
    assert stats["by_day"]["2026-05-01"] == {**dict.fromkeys(s.value for s in Status), **dict.fromkeys(
        ["contacted", "scheduled", "closed", "declined"], 0), "new": 1, "spam": 1}  # fmt: skip
    assert stats["totals"]["new"] == 2 and stats["totals"]["contacted"] == 1
    assert stats["notices"] == {
        "states": {"dead": 1, "sent": 2, "suppressed": 1},
        "delivered": 2,
        "median_seconds": 4.0,
        "max_seconds": 6.0,
    }


def test_cursor_round_trip() -> None:
    cursor = Cursor((Status.NEW, Status.CONTACTED), {"new": ("2026-05-01T10:00:00.000Z", LEAD_ID), "contacted": None})
    assert decode_cursor(encode_cursor(cursor)) == cursor
    urgent = Cursor((Status.NEW,), {"urgent": None}, urgent_first=True)
    assert decode_cursor(encode_cursor(urgent)) == urgent


def _token(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "not-a-cursor",
        _token({"s": ["new", "hacked"], "p": {}}),
        _token({"s": ["new"], "p": {"spam": None}}),
        _token({"s": ["new"], "p": {"new": ["2026-05-01", "../../etc"]}}),
        _token({"s": ["new"], "p": {"new": [1, 2]}}),
        _token({"s": ["new"], "p": {"urgent": None}}),
        _token({"s": [], "p": {}}),
        _token([1, 2]),
    ],
)
def test_a_tampered_cursor_is_refused(token: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(token)


@pytest.mark.parametrize(
    ("channel", "expected"),
    [("phone", "+12025550143"), ("text", "+12025550143"), ("email", "sam@example.org")],
)
def test_reach_uses_the_preferred_channel(channel: str, expected: str) -> None:
    lead = {"preferred_contact": channel, "phone": "+12025550143", "email": "sam@example.org"}
    assert reach(lead) == expected


def test_reach_falls_back_to_whatever_was_given() -> None:
    assert reach({"preferred_contact": "email", "phone": "+12025550143"}) == "+12025550143"
    assert reach({"preferred_contact": "phone", "email": "sam@example.org"}) == "sam@example.org"


def test_the_staff_package_loads_no_aws_library() -> None:
    code = (
        "import sys, chalicelib.staff, chalicelib.staff.actions, chalicelib.staff.read, chalicelib.staff.export,"
        " chalicelib.staff.stats, chalicelib.staff.labels, chalicelib.staff.cursor;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'chalice')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
