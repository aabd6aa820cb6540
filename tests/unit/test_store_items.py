"""A lead is written as exactly the DynamoDB item boto3's own serializer would make of it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.store import from_item, to_item

_boto3 = TypeSerializer()


def boto3_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _boto3.serialize(v) for k, v in data.items() if v is not None}


LEAD = {
    "pk": "LEAD#01J0000000000000000000000",
    "sk": "LEAD",
    "first_name": "Avery",
    "message": "",
    "tried_treatments": ["therapy", "ssri_snri"],
    "consent": {"contact": True, "text": False, "at": "2026-01-01T00:00:00.000Z", "ip": "203.0.113.7"},
    "source": {"utm": {"campaign": "spring", "n": 3}, "tags": ("a", "b"), "none": None},
    "spam_reasons": None,
    "notice_attempts": 0,
    "expires_at": 1767225600,
    "negative": -5,
    "crisis": False,
    "ratio": Decimal("1.5"),
    "labels": {"x", "y"},
    "blob": b"\x00\x01",
    "empty_list": [],
    "empty_map": {},
}


def test_a_lead_record_is_serialised_as_boto3_would() -> None:
    assert to_item(LEAD) == boto3_item(LEAD)


def test_a_round_trip_gives_back_the_record() -> None:
    plain = {k: v for k, v in LEAD.items() if k not in {"ratio", "labels", "blob", "source"} and v is not None}
    assert from_item(to_item(plain)) == plain


@pytest.mark.parametrize("value", [10**38, -(10**38), 1.5, float("nan"), object()])
def test_what_boto3_refuses_is_refused_the_same_way(value: Any) -> None:
    with pytest.raises(Exception) as expected:
        _boto3.serialize(value)
    with pytest.raises(type(expected.value)):
        to_item({"field": value})


json_like = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**40), max_value=10**40) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(min_size=1, max_size=8), json_like, max_size=8))
def test_any_json_like_record_matches_boto3(record: dict[str, Any]) -> None:
    try:
        expected = boto3_item(record)
    except Exception as refused:
        with pytest.raises(type(refused)):
            to_item(record)
    else:
        assert to_item(record) == expected
