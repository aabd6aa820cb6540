"""Listing across statuses with cursors, and range reads, over moto and a dict-backed fake."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.leads import Status
from chalicelib.staff.cursor import Cursor, decode_cursor, encode_cursor
from chalicelib.staff.read import LeadReader, created_between, list_page
from tests.conftest import REGION, Stack


class DictReader:
    """The two read verbs over a plain list of leads."""

    def __init__(self) -> None:
        self.leads: list[dict[str, Any]] = []

    def add(self, lead: dict[str, Any]) -> None:
        self.leads.append(lead)

    def leads_by_status(
        self, status: Status, *, limit: int, after: tuple[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
        mine = sorted((x for x in self.leads if x["status"] == status), key=lambda x: (x["created_at"], x["lead_id"]))
        mine.reverse()
        if after is not None:
            mine = [x for x in mine if (x["created_at"], x["lead_id"]) < after]
        page = mine[:limit]
        return page, ((page[-1]["created_at"], page[-1]["lead_id"]) if len(mine) > limit else None)

    def leads_created_between(self, status: Status, lower: str | None, upper: str | None) -> Iterator[dict[str, Any]]:
        mine = [x for x in self.leads if x["status"] == status]
        mine = [
            x
            for x in mine
            if (lower is None or x["created_at"] >= lower) and (upper is None or x["created_at"] <= upper)
        ]
        return iter(sorted(mine, key=lambda x: x["created_at"]))


class DynamoReader:
    """The adapter, with leads put straight into the moto table."""

    def __init__(self, stack: Stack) -> None:
        import boto3

        from chalicelib.store import LeadStore, to_item

        self._db = boto3.client("dynamodb", region_name=REGION)
        self._table = stack.table
        self._to_item = to_item
        self.store = LeadStore(self._db, stack.table)

    def add(self, lead: dict[str, Any]) -> None:
        item = {"pk": f"LEAD#{lead['lead_id']}", "sk": "LEAD", **lead}
        self._db.put_item(TableName=self._table, Item=self._to_item(item))


@pytest.fixture(params=["fake", "moto"])
def seeded(request: pytest.FixtureRequest) -> tuple[Any, LeadReader]:
    if request.param == "fake":
        fake = DictReader()
        return fake, fake
    stack = request.getfixturevalue("aws")
    dynamo = DynamoReader(stack)
    return dynamo, dynamo.store


def lead(n: int, status: str, priority: str = "normal") -> dict[str, Any]:
    return {
        "lead_id": f"01JV6Q7T8KX2M4N5P6R7S8T9{n:02d}",
        "created_at": f"2026-05-{n:02d}T10:00:00.000Z",
        "status": status,
        "priority": priority,
        "first_name": f"P{n}",
    }


def pages(reader: LeadReader, cursor: Cursor, limit: int) -> list[str]:
    seen: list[str] = []
    current: Cursor | None = cursor
    while current is not None:
        page = list_page(reader, decode_cursor(encode_cursor(current)), limit)
        seen += [x["lead_id"] for x in page.leads]
        current = page.next
    return seen


def test_listing_across_statuses_is_newest_first_and_shows_each_lead_once(seeded: tuple[Any, LeadReader]) -> None:
    # GIVEN leads of several statuses, and spam
    target, reader = seeded
    made = [lead(1, "new"), lead(2, "contacted"), lead(3, "new"), lead(4, "scheduled"), lead(5, "spam"), lead(6, "new")]
    for x in made:
        target.add(x)
    statuses = (Status.NEW, Status.CONTACTED, Status.SCHEDULED)
    # WHEN they are listed a page of 2 at a time THEN every open lead shows once, newest first, no spam
    expected = [x["lead_id"] for x in reversed(made) if x["status"] != "spam"]
    assert pages(reader, Cursor(statuses), 2) == expected
    assert pages(reader, Cursor(statuses), 25) == expected


def test_urgent_new_leads_come_first_when_asked(seeded: tuple[Any, LeadReader]) -> None:
    target, reader = seeded
    made = [lead(1, "new", "urgent"), lead(2, "contacted", "urgent"), lead(3, "new"), lead(4, "new", "urgent"),
            lead(5, "contacted"), lead(6, "new")]  # fmt: skip
    for x in made:
        target.add(x)
    statuses = (Status.NEW, Status.CONTACTED)
    ids = {n: x["lead_id"] for n, x in enumerate(made, 1)}
    # urgent new leads (newest first), then the rest newest first (an urgent contacted lead keeps its place)
    expected = [ids[4], ids[1], ids[6], ids[5], ids[3], ids[2]]
    for limit in (1, 2, 3, 25):
        assert pages(reader, Cursor(statuses, urgent_first=True), limit) == expected


def test_range_read_is_oldest_first_and_inclusive(seeded: tuple[Any, LeadReader]) -> None:
    target, reader = seeded
    for x in [lead(1, "new"), lead(2, "spam"), lead(3, "closed"), lead(4, "new")]:
        target.add(x)
    found = created_between(reader, [Status.NEW, Status.CLOSED], "2026-05-01T10:00:00.000Z", "2026-05-03T10:00:00.000Z")
    assert [x["first_name"] for x in found] == ["P1", "P3"]
