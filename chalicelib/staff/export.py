"""Leads as CSV for spreadsheets, every cell made inert."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from chalicelib.leads import ANSWER_FIELDS, SOURCE_FIELDS

CSV_COLUMNS = (
    "lead_id",
    "created_at",
    "status",
    "priority",
    *ANSWER_FIELDS,
    "consent_contact",
    "consent_text",
    "consent_notice_version",
    "consent_at",
    "consent_ip",
    "consent_user_agent",
    *SOURCE_FIELDS,
    "notice_state",
    "notice_sent_at",
    "updated_at",
    "restored_at",
    "spam_reasons",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Make a CSV cell inert in spreadsheets: a leading =, +, -, @, tab or CR gets an apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_row(lead: dict[str, Any]) -> list[str]:
    """One lead as CSV cells, each neutralised."""
    consent = lead.get("consent") or {}
    values: dict[str, Any] = dict(lead)
    values.update({f"consent_{k}": v for k, v in consent.items()})
    values["consent_notice_version"] = consent.get("notice_version")
    values["consent_user_agent"] = consent.get("user_agent")
    values.update(lead.get("source") or {})
    cells = []
    for column in CSV_COLUMNS:
        value = values.get(column)
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, (list, tuple)):
            text = "; ".join(str(v) for v in value)
        else:
            text = "" if value is None else str(value)
        cells.append(neutralise(text))
    return cells


def to_csv(leads: Iterable[dict[str, Any]]) -> str:
    """Leads as CSV: a BOM first so Excel reads UTF-8, formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for lead in leads:
        writer.writerow(csv_row(lead))
    return "\ufeff" + buffer.getvalue()
