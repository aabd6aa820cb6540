"""The staff read side's plain parts: CSV, stats, cursors, labels, and no AWS at import."""

from __future__ import annotations

import base64
import csv
import io
import json
import subprocess
import sys
from typing import Any

import pytest

from chalicelib.hours import parse_hours
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


def _lead(created: str, status: str = "contacted", **times: str) -> dict[str, Any]:
    return {"created_at": created, "status": status, "notice_state": "sent", **times}


def test_speed_to_lead_on_a_fixed_set_by_day_week_and_arrival_in_or_out_of_clinic_hours() -> None:
    # GIVEN hours Mon-Fri 08:00-18:00 in New York (UTC-5 in these weeks), and leads whose clocks are known
    hours = parse_hours("Mon-Fri 08:00-18:00", "America/New_York")
    leads = [
        # Monday 30 November, in hours (09:00, 10:00, 11:00): acknowledged after 4, 10, 2; contacted after 20, 40
        _lead("2026-11-30T14:00:00.000Z", acknowledged_at="2026-11-30T14:04:00.000Z",
              first_contacted_at="2026-11-30T14:20:00.000Z"),
        _lead("2026-11-30T15:00:00.000Z", acknowledged_at="2026-11-30T15:10:00.000Z",
              first_contacted_at="2026-11-30T15:40:00.000Z"),
        _lead("2026-11-30T16:00:00.000Z", "new", acknowledged_at="2026-11-30T16:02:00.000Z"),
        # Monday evening (20:00, which is Tuesday in UTC): acknowledged at 08:30 the next morning
        _lead("2026-12-01T01:00:00.000Z", acknowledged_at="2026-12-01T13:30:00.000Z",
              first_contacted_at="2026-12-01T14:00:00.000Z"),
        # Monday 18:30: nobody has opened it yet
        _lead("2026-11-30T23:30:00.000Z", "new"),
        # Spam is not answered, so it is not measured
        _lead("2026-11-30T14:30:00.000Z", "spam"),
        # Tuesday in hours; and a lead restored from spam on Tuesday at 11:00 (its clock starts then)
        _lead("2026-12-01T15:00:00.000Z", acknowledged_at="2026-12-01T15:06:00.000Z",
              first_contacted_at="2026-12-01T15:30:00.000Z"),
        _lead("2026-11-29T12:00:00.000Z", "new", restored_at="2026-12-01T16:00:00.000Z",
              acknowledged_at="2026-12-01T16:08:00.000Z"),
        # The next week
        _lead("2026-12-07T14:00:00.000Z", "new", acknowledged_at="2026-12-07T14:30:00.000Z"),
    ]  # fmt: skip

    # WHEN the stats are computed
    stats = compute_stats(leads, hours)
    speed = stats["speed"]

    # THEN each day, week and the whole range has its median and 90th percentile (nearest rank), in minutes
    def figures(group: dict[str, Any]) -> tuple[Any, ...]:
        ack, contact = group["acknowledge"], group["first_contact"]
        return (group["leads"], group["unacknowledged"], ack["count"], ack["median_minutes"], ack["p90_minutes"],
                contact["count"], contact["median_minutes"], contact["p90_minutes"])  # fmt: skip

    monday, tuesday = speed["by_day"]["2026-11-30"], speed["by_day"]["2026-12-01"]
    assert figures(monday["in_hours"]) == (3, 0, 3, 4.0, 10.0, 2, 30.0, 40.0)
    assert figures(monday["out_of_hours"]) == (2, 1, 1, 750.0, 750.0, 1, 780.0, 780.0)
    assert figures(tuesday["in_hours"]) == (2, 0, 2, 7.0, 8.0, 1, 30.0, 30.0)
    assert figures(tuesday["out_of_hours"]) == (0, 0, 0, None, None, 0, None, None)
    assert list(speed["by_day"]) == ["2026-11-30", "2026-12-01", "2026-12-07"]
    week = speed["by_week"]["2026-W49"]
    assert figures(week["in_hours"]) == (5, 0, 5, 6.0, 10.0, 3, 30.0, 40.0)
    assert figures(week["out_of_hours"]) == (2, 1, 1, 750.0, 750.0, 1, 780.0, 780.0)
    assert figures(speed["by_week"]["2026-W50"]["in_hours"]) == (1, 0, 1, 30.0, 30.0, 0, None, None)
    assert figures(speed["overall"]["in_hours"]) == (6, 0, 6, 7.0, 30.0, 3, 30.0, 40.0)
    assert speed["timezone"] == "America/New_York"
    # AND the counts that were there before are unchanged
    assert stats["total"] == 9 and stats["totals"]["spam"] == 1


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


def test_stats_count_leads_by_source_and_campaign_leaving_spam_out() -> None:
    # GIVEN leads from a Google ad, a newsletter, one with no UTM fields, and spam from the ad
    leads = [
        {"created_at": "2026-05-01T10:00:00.000Z", "status": "new",
         "source": {"utm_source": "google", "utm_campaign": "ptsd-spring"}},
        {"created_at": "2026-05-01T11:00:00.000Z", "status": "contacted",
         "source": {"utm_source": "google", "utm_campaign": "ptsd-spring"}},
        {"created_at": "2026-05-01T12:00:00.000Z", "status": "new",
         "source": {"utm_source": "newsletter", "utm_campaign": "may"}},
        {"created_at": "2026-05-01T13:00:00.000Z", "status": "new", "source": {"source_page": "/ptsd"}},
        {"created_at": "2026-05-01T14:00:00.000Z", "status": "spam",
         "source": {"utm_source": "google", "utm_campaign": "ptsd-spring"}},
    ]  # fmt: skip
    # WHEN the stats are computed
    stats = compute_stats(leads)
    # THEN the clinic sees where its real leads come from, and which campaign brought them
    assert stats["by_source"] == {"google": 2, "newsletter": 1, "(none)": 1}
    assert stats["by_campaign"] == {"ptsd-spring": 2, "may": 1, "(none)": 1}
