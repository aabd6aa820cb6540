"""Crisis screening measured on a labelled set of realistic messages.

tests/data/crisis_messages_en.jsonl holds messages written in the voice of the
people who use the Next Steps form, each labelled `crisis` or `ordinary` with a
category. It is kept apart from chalicelib/data/crisis_phrases.txt on purpose:
the list is written as general phrases, never copied from this set, so the
figures measure the list rather than echo it. A message the list missed in real
use goes into this set first, then the list is fixed.

tests/data/crisis_messages_en_blind.jsonl is a second set, written by someone
who had not seen the list, then measured once before the list was changed
(README, "Crisis screening"). The same bar holds on both.

Run alone, with the figures and every miss printed:
    .venv/bin/python -m pytest -p no:cacheprovider -n 0 -s tests/unit/test_crisis_labelled.py
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.unit.labelled_sets import assert_meets_the_bar

LABELLED = Path(__file__).resolve().parent.parent / "data" / "crisis_messages_en.jsonl"
BLIND = LABELLED.with_name("crisis_messages_en_blind.jsonl")


def _load(path: Path = LABELLED) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def test_the_labelled_set_is_big_enough_and_well_formed() -> None:
    rows = _load()
    counts = Counter(row["label"] for row in rows)
    assert set(counts) == {"crisis", "ordinary"}
    assert counts["crisis"] >= 150 and counts["ordinary"] >= 100, counts
    assert all(row["text"].strip() and row["category"] for row in rows)
    assert len({row["text"] for row in rows}) == len(rows), "a message is listed twice"


def test_the_blind_set_is_big_enough_and_well_formed() -> None:
    rows = _load(BLIND)
    counts = Counter(row["label"] for row in rows)
    assert set(counts) == {"crisis", "ordinary"}
    assert counts["crisis"] >= 120 and counts["ordinary"] >= 80, counts
    assert all(row["text"].strip() and row["category"] for row in rows)
    assert len({row["text"] for row in rows}) == len(rows), "a message is listed twice"


@pytest.mark.parametrize("path", [LABELLED, BLIND], ids=["labelled", "blind"])
def test_crisis_screening_recall_and_false_positive_rate_on_the_labelled_set(path: Path) -> None:
    rows = _load(path)
    assert_meets_the_bar(rows)


@pytest.mark.parametrize("path", [LABELLED, BLIND], ids=["labelled", "blind"])
@pytest.mark.parametrize("category", ["explicit", "indirect", "plan_means", "self_harm", "misspelling", "third_person"])
def test_every_category_of_crisis_message_is_in_the_set(category: str, path: Path) -> None:
    assert any(row["label"] == "crisis" and row["category"] == category for row in _load(path))
