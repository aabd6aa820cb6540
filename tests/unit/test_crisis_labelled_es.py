"""The labelled Spanish set that will measure crisis screening in Spanish.

tests/data/crisis_messages_es.jsonl holds messages in the voice of Spanish-speaking
visitors (informal, often without accents, with typos, slang and Spanglish), each
labelled `crisis` or `ordinary` with a category. It was written without reference
to any crisis phrase list, so once Spanish screening exists the figures measure
the list rather than echo it. A Spanish message the list missed in real use goes
into this set first, then the list is fixed.

The list is chalicelib/data/crisis_phrases_es.txt; both lists run on every
message. The test fails under 95% recall or over 5% false positives. Run alone,
with the figures and every miss printed:
    .venv/bin/python -m pytest -p no:cacheprovider -n 0 -s tests/unit/test_crisis_labelled_es.py
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.unit.labelled_sets import assert_meets_the_bar

LABELLED = Path(__file__).resolve().parent.parent / "data" / "crisis_messages_es.jsonl"
CRISIS_CATEGORIES = {"explicit", "indirect", "plans_means", "self_harm", "misspelling_slang", "third_person"}
ORDINARY_CATEGORIES = {"near_miss", "clinic_question"}


def _load() -> list[dict[str, str]]:
    return [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_line_is_a_labelled_message_with_a_known_category() -> None:
    for row in _load():
        assert set(row) == {"label", "category", "text"}, row
        assert row["text"].strip(), row
        if row["label"] == "crisis":
            assert row["category"] in CRISIS_CATEGORIES, row
        else:
            assert row["label"] == "ordinary", row
            assert row["category"] in ORDINARY_CATEGORIES, row


def test_the_set_is_big_enough_to_measure_screening() -> None:
    counts = Counter(row["label"] for row in _load())
    assert counts["crisis"] >= 100 and counts["ordinary"] >= 75, counts


def test_no_message_is_listed_twice() -> None:
    texts = [" ".join(row["text"].casefold().split()) for row in _load()]
    repeated = [text for text, n in Counter(texts).items() if n > 1]
    assert not repeated, repeated


@pytest.mark.parametrize("category", sorted(CRISIS_CATEGORIES | ORDINARY_CATEGORIES))
def test_every_category_has_enough_messages(category: str) -> None:
    assert sum(row["category"] == category for row in _load()) >= 10, category


def test_crisis_screening_recall_and_false_positive_rate_on_the_spanish_set() -> None:
    rows = _load()
    assert_meets_the_bar(rows)
