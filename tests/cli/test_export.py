"""export: CSV safe for spreadsheets (formulas neutralised, UTF-8 with a BOM) and JSON."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from scripts.leads import CSV_COLUMNS, neutralise
from tests.cli.conftest import Run, run_cli, submit
from tests.conftest import Stack
from tests.reliability.support import Clock

Cli = Callable[..., Run]
FORMULA = '=HYPERLINK("http://evil.example","Click for your results")'


def rows_of(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff"), "a spreadsheet needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(text[1:])))


def today(clock: Clock) -> str:
    """The day of the service's injected clock (the wall clock could cross midnight mid-test)."""
    return clock().date().isoformat()


def day(clock: Clock, offset: int) -> str:
    return (clock().date() + timedelta(days=offset)).isoformat()


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_like_a_formula_gets_an_apostrophe(start: str) -> None:
    assert neutralise(start + "1+1") == "'" + start + "1+1"


def test_plain_cells_are_left_alone() -> None:
    assert neutralise("Zoë O'Neil, 2 + 2 = 4") == "Zoë O'Neil, 2 + 2 = 4"


def test_csv_export_neutralises_formulas_and_starts_with_a_bom(cli: Cli, client: Any, aws: Stack) -> None:
    lead_id = submit(client, first_name="Zoë", last_name="-Quill", message=FORMULA)
    result = cli("export", "--format", "csv")
    assert result.code == 0
    [row] = rows_of(result.out)
    assert list(row) == list(CSV_COLUMNS)
    assert row["lead_id"] == lead_id
    assert row["message"] == "'" + FORMULA
    assert row["last_name"] == "'-Quill"
    assert row["phone"] == "'+12025550143"
    assert row["first_name"] == "Zoë"
    assert row["consent_contact"] == "yes" and row["consent_notice_version"] == "2026-01"
    assert row["tried_treatments"] == "therapy; ssri_snri"


def test_csv_export_to_a_file_is_utf8_with_a_bom_and_private(cli: Cli, client: Any, aws: Stack, tmp_path: Path) -> None:
    submit(client, first_name="Zoë")
    target = tmp_path / "leads.csv"
    result = cli("export", "--output", str(target))
    assert result.code == 0 and "Exported 1 lead(s)" in result.err
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    [row] = rows_of(raw.decode("utf-8"))
    assert row["first_name"] == "Zoë"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_export_keeps_to_the_date_range_and_leaves_spam_out(cli: Cli, client: Any, aws: Stack, clock: Clock) -> None:
    real = submit(client, started_at=clock.epoch_ms(60))
    spam = submit(client, website="http://spam.example", started_at=clock.epoch_ms(60))

    within = rows_of(cli("export", "--since", today(clock), "--until", today(clock)).out)
    assert [r["lead_id"] for r in within] == [real]
    assert rows_of(cli("export", "--until", day(clock, -1)).out) == []
    assert rows_of(cli("export", "--since", day(clock, 1)).out) == []
    with_spam = rows_of(cli("export", "--include-spam").out)
    assert {r["lead_id"] for r in with_spam} == {real, spam}


def test_json_export_carries_the_values_as_typed(cli: Cli, client: Any, aws: Stack, clock: Clock) -> None:
    lead_id = submit(client, message=FORMULA, started_at=clock.epoch_ms(60))
    result = cli("export", "--format", "json", "--since", today(clock))
    [lead] = json.loads(result.out)
    assert lead["lead_id"] == lead_id
    assert lead["message"] == FORMULA
    assert lead["consent"]["contact"] is True
    assert "pk" not in lead and "fingerprint" not in lead


def test_export_rejects_a_date_it_cannot_read() -> None:
    result = run_cli("export", "--since", "last tuesday", "--stage", "test")
    assert result.code == 2
    assert "is not a date" in result.err and "Traceback" not in result.err
