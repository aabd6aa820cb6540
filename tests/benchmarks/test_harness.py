"""The benchmark harness still runs end to end (one cold start each, a few warm calls, no packaging)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from benchmarks.run import ROOT, analyse_zip


def test_quick_run_measures_both_apps_and_counts_the_request_paths_aws_calls(tmp_path: Path) -> None:
    # GIVEN the harness in its quick mode
    output = tmp_path / "latest.json"
    # WHEN it runs
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # THEN it prints the table and writes figures for both apps
    assert proc.returncode == 0, proc.stderr
    assert "Cold start CPU: import + first POST" in proc.stdout
    assert "Warm CPU per submission" in proc.stdout
    results = json.loads(output.read_text())
    cold = results["cold_start"]
    assert cold["app"]["cpu_median_ms"] > 0 and cold["baseline"]["cpu_median_ms"] > 0
    assert cold["app"]["calls"] == {"dynamodb.TransactWriteItems": 1}
    assert cold["baseline"]["calls"] == {"dynamodb.PutItem": 1}
    warm = results["warm"]
    # AND an accepted lead costs one DynamoDB call and no SNS call; a notice publishes once
    assert warm["submission"]["calls"] == {"dynamodb.TransactWriteItems": 1.0}
    assert warm["notice"]["calls"]["sns.Publish"] == 1.0
    assert warm["baseline"]["calls"] == {"dynamodb.PutItem": 1.0}
    # AND the browser's CORS preflight creates no AWS client at all
    assert warm["clients_preflight"] == {}
    assert {t["target"] for t in results["targets"]} >= {"request path: one DynamoDB call, zero SNS calls"}
    # AND the sweeper reads the handful of waiting leads, not the table: the same calls and items at every size
    small, large = results["sweeper"]["sizes"]
    assert (small["leads"], large["leads"]) == (10, 200)
    for row in (small, large):
        # (GetItem: "was today's spam digest sent?", one marker item, at every size)
        assert row["calls"] == {"dynamodb.GetItem": 1, "dynamodb.Query": 3, "dynamodb.UpdateItem": 5, "sns.Publish": 5}
        assert (row["items_read"], row["idle_items_read"]) == (5, 0)
        assert row["idle_calls"] == {"dynamodb.GetItem": 1, "dynamodb.Query": 3}
    # while the query of the 24-hour reminder it replaced read every new lead older than a day
    assert large["old_reminder_items_read"] > 10 * small["old_reminder_items_read"] > 0
    assert "Sweeper CPU per run, 200 leads (5 waiting, each nudged)" in proc.stdout


def test_zip_sizes_are_grouped_by_the_wheel_that_installed_each_file(tmp_path: Path) -> None:
    # GIVEN a deployment zip with the app, one wheel (with its RECORD) and a second top-level module,
    # and bytecode for two of them (which no RECORD lists)
    path = tmp_path / "deployment.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", "x" * 100)
        archive.writestr("__pycache__/app.cpython-311.pyc", "c" * 20)
        archive.writestr("pkg_a/__pycache__/__init__.cpython-311.pyc", "b" * 40)
        archive.writestr("chalicelib/leads.py", "y" * 300)
        archive.writestr("typing_extensions.py", "t" * 50)
        archive.writestr("pkg_a/__init__.py", "a" * 1000)
        archive.writestr("pkg_a_helpers/util.py", "h" * 500)
        record = "pkg_a/__init__.py,,\npkg_a_helpers/util.py,,\npkg_a-1.0.dist-info/RECORD,,\n"
        archive.writestr("pkg_a-1.0.dist-info/RECORD", record)
    # WHEN it is taken apart
    result = analyse_zip(path)
    # THEN each wheel's files (and its dist-info) count once, under the wheel's name, bytecode with its source
    by_name = {d["name"]: d for d in result["dependencies"]}
    assert by_name["pkg_a"]["files"] == 4
    assert by_name["pkg_a"]["unzipped_bytes"] == 1000 + 40 + 500 + len(record)
    assert by_name["chalicelib"]["unzipped_bytes"] == 300
    assert by_name["app.py"]["files"] == 2
    assert "__pycache__" not in by_name
    assert result["unzipped_bytes"] == 100 + 20 + 40 + 300 + 50 + 1000 + 500 + len(record)
    assert result["zipped_bytes"] == path.stat().st_size
    assert result["dependencies"][0]["name"] == "pkg_a"
