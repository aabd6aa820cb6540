"""Measure crisis screening on a labelled set: recall and false positives, with every miss printed."""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.screening import suggests_crisis

MIN_RECALL = 0.95
MAX_FALSE_POSITIVE_RATE = 0.05


def assert_meets_the_bar(rows: list[dict[str, Any]]) -> None:
    """Fail under MIN_RECALL or over MAX_FALSE_POSITIVE_RATE; print the figures, each miss and false alarm."""
    crisis = [row for row in rows if row["label"] == "crisis"]
    ordinary = [row for row in rows if row["label"] == "ordinary"]
    missed = [row for row in crisis if not suggests_crisis(row["text"])]
    false_alarms = [row for row in ordinary if suggests_crisis(row["text"])]
    recall = 1 - len(missed) / len(crisis)
    fp_rate = len(false_alarms) / len(ordinary)

    by_category = Counter(row["category"] for row in missed)
    figures = (
        f"recall {recall:.1%} ({len(crisis) - len(missed)}/{len(crisis)} crisis messages recognised), "
        f"false positives {fp_rate:.1%} ({len(false_alarms)}/{len(ordinary)} ordinary messages flagged); "
        f"missed by category {dict(by_category)}"
    )
    print("\n" + figures)
    for row in missed:
        print(f"  missed [{row['category']}]: {row['text']}")
    for row in false_alarms:
        print(f"  false alarm [{row['category']}]: {row['text']}")

    assert recall >= MIN_RECALL and fp_rate <= MAX_FALSE_POSITIVE_RATE, figures
