"""Measure the app against a minimal Chalice baseline and print one table.

    python -m benchmarks.run            # what `make bench` runs
    python -m benchmarks.run --quick    # one cold run each, few iterations, no packaging

1. Cold start: a fresh interpreter imports the app and serves its first
   POST /leads through the Chalice handler (benchmarks/cold.py), against
   benchmarks/baseline_app; medians of --runs runs each, interleaved.
2. Warm cost: CPU time (time.process_time) per submission through the handler
   and per notice through notify_staff, AWS answered by botocore's Stubber.
3. AWS calls per accepted lead and per notice, counted with `before-call` hooks.
4. The deployment zip `make deploy` ships (`make package`: Chalice's zip with
   bytecode for Python 3.11), zipped and unzipped, per dependency; and the
   cold start from it, unzipped into a read-only directory as on Lambda.
5. The sweeper's CPU and DynamoDB reads per run with 10, 1,000 and 10,000
   leads in the table (benchmarks/sweeper.py, against moto server).

Writes the figures to benchmarks/results/latest.json (or --output).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.aws import (
    STAFF_ME,
    LambdaContext,
    StubbedAWS,
    api_event,
    bench_env,
    lead_body,
    preflight_event,
    stream_event,
)

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "benchmarks" / "baseline_app"
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
STAGE = "dev"

APPS = {
    # name: (directory, the DynamoDB operation of its request path)
    "app": (ROOT, "transact_write_items"),
    "baseline": (BASELINE, "put_item"),
}
# The staff API's function, its own Chalice app (staff/), measured as deployed
# beside the two above; its first request is `GET /staff/me` (benchmarks.cold).
STAFF_APP = {"staff": (ROOT / "staff", STAFF_ME)}
# What the Lambda runtime for Python provides besides the standard library:
# boto3 and its dependencies. A deployed cold start sees these and its zip, and
# nothing else installed here (a staff zip's python-jose would otherwise find
# this machine's `cryptography`, which Lambda does not have).
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")

TARGET_COLD_RATIO = 1.5
TARGET_DEPLOYED_COLD_RATIO = 1.3
TARGET_WARM_MS = 1.0
TARGET_ZIP_BYTES = 5 * 1000 * 1000
# The sweeper's CPU per run with the largest table, against the smallest (the same work: it must not grow).
TARGET_SWEEPER_RATIO = 1.25


class BenchmarkError(Exception):
    """A measurement did not do what it measures (wrong status, unused stubs)."""


# ---------------------------------------------------------------------------
# Environment
# ---------------------------------------------------------------------------


def stage_env(project: Path, stage: str = STAGE) -> dict[str, str]:
    """The environment variables Chalice gives the stage's Lambda functions."""
    config = json.loads((project / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config.get("stages", {}).get(stage, {}).get("environment_variables", {}))
    return {k: str(v) for k, v in env.items()}


def run_env() -> dict[str, str]:
    """The dev stage's settings, fake AWS credentials, and bytecode caches allowed (as after a first run)."""
    env = dict(os.environ)
    env.update(stage_env(ROOT))
    env = bench_env(env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT)
    return env


# ---------------------------------------------------------------------------
# 1. Cold start
# ---------------------------------------------------------------------------


def cold_once(
    name: str, env: dict[str, str], directory: Path | None = None, python_flags: tuple[str, ...] = ()
) -> dict[str, Any]:
    """One fresh interpreter: import + first request (POST /leads, or GET /staff/me); returns its figures."""
    source, operation = {**APPS, **STAFF_APP}[name]
    directory = directory or source
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *python_flags, "-m", "benchmarks.cold", str(directory), operation],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = (time.perf_counter() - started) * 1000
    if proc.returncode != 0:
        raise BenchmarkError(f"{name} cold start failed:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["status"] != (200 if operation == STAFF_ME else 201) or result["unused_stubs"]:
        raise BenchmarkError(f"{name} cold start answered {result['status']} ({result['unused_stubs']} unused stubs)")
    result["process_ms"] = wall
    return result


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    cpu = [r["cpu_ms"] for r in runs]
    wall = [r["total_ms"] for r in runs]
    return {
        "cpu_median_ms": statistics.median(cpu),
        "cpu_min_ms": min(cpu),
        "cpu_max_ms": max(cpu),
        "wall_median_ms": statistics.median(wall),
        "import_cpu_median_ms": statistics.median(r["import_cpu_ms"] for r in runs),
        "first_request_cpu_median_ms": statistics.median(r["cpu_ms"] - r["import_cpu_ms"] for r in runs),
        "process_median_ms": statistics.median(r["process_ms"] for r in runs),
        "modules": runs[-1]["modules"],
        "calls": runs[-1]["calls"],
        "clients": runs[-1]["clients"],
        "cpu_runs": [round(t, 2) for t in cpu],
        "wall_runs": [round(t, 2) for t in wall],
    }


def measure_cold(
    runs: int,
    warmup: int,
    env: dict[str, str],
    directories: dict[str, Path] | None = None,
    python_flags: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Interleave the apps (the two, or those in `directories`) so drift in machine load hits all alike."""
    names = list(directories or APPS)
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for i in range(warmup + runs):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            result = cold_once(name, env, (directories or {}).get(name), python_flags)
            if i >= warmup:
                samples[name].append(result)
    out: dict[str, Any] = {name: _summary(s) for name, s in samples.items()}
    if directories:
        for name, s in samples.items():
            out[name]["files_from_package"] = len({f for r in s for f in r["loaded_files"]})
            out[name]["_loaded_files"] = sorted({f for r in s for f in r["loaded_files"]})
    # CPU time, not wall time: on a shared machine other work stretches wall
    # time unevenly, while this path is single-threaded and CPU-bound (on an
    # idle machine the two agree within a few per cent).
    out["ratio"] = out["app"]["cpu_median_ms"] / out["baseline"]["cpu_median_ms"]
    out["wall_ratio"] = out["app"]["wall_median_ms"] / out["baseline"]["wall_median_ms"]
    if "staff" in out:
        out["staff_ratio"] = out["staff"]["cpu_median_ms"] / out["baseline"]["cpu_median_ms"]
    return out


# ---------------------------------------------------------------------------
# 2 and 3. Warm CPU cost and AWS calls, in this process
# ---------------------------------------------------------------------------


class Workload:
    """One thing to time: `prepare(k)` queues the AWS answers for k calls (untimed), `call()` is timed."""

    def __init__(self, prepare: Any, call: Any) -> None:
        self.prepare, self.call = prepare, call
        self.means: list[float] = []
        self.calls: Counter[str] = Counter()
        self.count = 0


def _interleaved(workloads: dict[str, Workload], aws: StubbedAWS, per_round: int, rounds: int) -> None:
    """Time each workload round by round, taking turns, so changes in machine load hit all alike."""
    for _ in range(rounds):
        for work in workloads.values():
            work.prepare(per_round)
            before = Counter(aws.calls)
            start = time.process_time()
            for _ in range(per_round):
                work.call()
            work.means.append((time.process_time() - start) * 1000 / per_round)
            work.calls.update(Counter(aws.calls) - before)
            work.count += per_round
            if aws.pending():
                raise BenchmarkError(f"{aws.pending()} stubbed AWS answers were not used")


def _per(calls: Counter[str], n: int) -> dict[str, float]:
    return {key: count / n for key, count in sorted(calls.items())}


def _figures(work: Workload) -> dict[str, Any]:
    return {
        "cpu_ms": statistics.median(work.means),
        "best_round_ms": min(work.means),
        "rounds_ms": [round(m, 4) for m in work.means],
        "calls": _per(work.calls, work.count),
    }


def _check(response: dict[str, Any], status: int, what: str) -> None:
    if response.get("statusCode") != status:
        raise BenchmarkError(f"{what} answered {response.get('statusCode')}: {response.get('body')}")


def _check_notice(tally: dict[str, int]) -> None:
    if tally.get("sent") != 1:
        raise BenchmarkError(f"notify_staff did not send the notice: {tally}")


def _first_post(name: str, module: Any, aws: StubbedAWS, event: dict[str, Any], fresh: bool) -> dict[str, int]:
    """One app's first POST; returns the AWS clients it created (`fresh`: it will create one)."""
    aws.reset_counts()
    aws.queue("dynamodb", APPS[name][1], {}, fresh=fresh)
    _check(module.app(event, LambdaContext()), 201, f"{name} first request")
    return dict(aws.clients)


def measure_warm(iterations: int, env: dict[str, str], rounds: int = 10) -> dict[str, Any]:
    """CPU per submission (app and baseline) and per notice, and the AWS calls and clients each makes."""
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    aws = StubbedAWS()
    aws.install()
    import app as real
    from benchmarks.baseline_app import app as baseline

    context = LambdaContext()
    event = api_event(lead_body())
    per_round = max(1, iterations // rounds)
    out: dict[str, Any] = {"iterations": per_round * rounds, "rounds": rounds}
    real_stdout = sys.stdout
    with open(os.devnull, "w") as sink:
        sys.stdout = sink  # the apps' log lines
        try:
            # A browser's first call is the CORS preflight: it needs settings, not AWS.
            aws.reset_counts()
            _check(real.app(preflight_event(), context), 204, "preflight")
            out["clients_preflight"] = dict(aws.clients)
            out["clients_first_post"] = _first_post("app", real, aws, event, not aws.clients.get("dynamodb"))
            app_db = aws.newest("dynamodb")

            # The stored lead, as the stream delivers it to notify_staff.
            item = aws.last_params("dynamodb.TransactWriteItems")["TransactItems"][0]["Put"]["Item"]
            claimed = dict(item, notice_state={"S": "sending"})
            stream = stream_event(item)
            aws.reset_counts()
            app_db.add_response("update_item", {"Attributes": claimed})  # the claim
            aws.queue("sns", "publish", {"MessageId": "bench-message"}, fresh=True)
            app_db.add_response("update_item", {})  # marked sent
            _check_notice(real.notify_staff(stream, context))
            out["clients_first_notice"] = dict(aws.clients)
            sns = aws.newest("sns")

            out["baseline_clients_first_post"] = _first_post("baseline", baseline, aws, event, True)
            base_db = aws.newest("dynamodb")

            def queue_submissions(k: int) -> None:
                for _ in range(k):
                    app_db.add_response("transact_write_items", {})

            def queue_notices(k: int) -> None:
                for _ in range(k):
                    app_db.add_response("update_item", {"Attributes": claimed})
                    sns.add_response("publish", {"MessageId": "bench-message"})
                    app_db.add_response("update_item", {})

            def queue_baseline(k: int) -> None:
                for _ in range(k):
                    base_db.add_response("put_item", {})

            work = {
                "submission": Workload(queue_submissions, lambda: _check(real.app(event, context), 201, "submission")),
                "baseline": Workload(queue_baseline, lambda: _check(baseline.app(event, context), 201, "baseline")),
                "notice": Workload(queue_notices, lambda: _check_notice(real.notify_staff(stream, context))),
            }
            aws.reset_counts()
            _interleaved(work, aws, per_round, rounds)
            if sum(aws.clients.values()):
                raise BenchmarkError(f"warm calls created AWS clients: {dict(aws.clients)}")
        finally:
            sys.stdout = real_stdout
    for name, w in work.items():
        out[name] = _figures(w)
    out["ratio"] = out["submission"]["cpu_ms"] / out["baseline"]["cpu_ms"]
    return out


# ---------------------------------------------------------------------------
# 4. The deployment package
# ---------------------------------------------------------------------------


def _requirements(path: Path) -> str:
    """A requirements file with its `-r other.txt` includes written out (the staff app's reads ../requirements.txt)."""
    lines = []
    for line in path.read_text().splitlines():
        if line.strip().startswith("-r "):
            lines.append(_requirements(path.parent / line.strip()[3:].strip()))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def _copy_project(source: Path, dest: Path) -> None:
    """Copy what Chalice packages; a missing policy file gets a placeholder (policies are not in the zip)."""
    dest.mkdir(parents=True)
    if (source / "app.py").exists():
        shutil.copy2(source / "app.py", dest / "app.py")
    if (source / "requirements.txt").exists():
        (dest / "requirements.txt").write_text(_requirements(source / "requirements.txt"))
    # A symlinked chalicelib (the staff app's) is copied as what it points to, as Chalice packages it.
    for name in ("chalicelib", "vendor"):
        if (source / name).is_dir():
            shutil.copytree(source / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(source / ".chalice", dest / ".chalice", ignore=shutil.ignore_patterns("deployments", "deployed"))
    stage = json.loads((dest / ".chalice" / "config.json").read_text()).get("stages", {}).get(STAGE, {})
    scopes = [stage, *stage.get("lambda_functions", {}).values()]
    names = {scope["iam_policy_file"] for scope in scopes if "iam_policy_file" in scope}
    if stage.get("autogen_policy") is False:
        names.add(stage.get("iam_policy_file", f"policy-{STAGE}.json"))
    for name in names:
        policy = dest / ".chalice" / name
        if not policy.exists():
            policy.parent.mkdir(parents=True, exist_ok=True)
            policy.write_text('{"Version": "2012-10-17", "Statement": []}')


def package(source: Path, workdir: Path) -> tuple[Path, Path]:
    """Package a copy of the project as `make package` does, and with `chalice package` alone.

    Returns (the zip `make deploy` ships, with bytecode; the plain zip).
    """
    from scripts import deploy

    project = workdir / "project"
    _copy_project(source, project)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    chalice = deploy.chalice_command(None)
    try:
        shipped = deploy.package(project, STAGE, workdir / "out", chalice)
        deploy._clear_vendor(project / "vendor")
        plain = workdir / "plain"
        deploy._run([*chalice, "package", "--stage", STAGE, str(plain)], project)
    except deploy.DeployError as exc:
        raise BenchmarkError(str(exc)) from exc
    return shipped, plain / "deployment.zip"


def _dist_name(dist_info: str) -> str:
    return dist_info.removesuffix(".dist-info").rsplit("-", 1)[0]


def analyse_zip(path: Path) -> dict[str, Any]:
    """Zipped and unzipped size, and both per dependency (files grouped by their wheel's RECORD)."""
    with zipfile.ZipFile(path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        owner: dict[str, str] = {}
        for info in infos:
            parts = info.filename.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "RECORD":
                dist = _dist_name(parts[0])
                for line in archive.read(info).decode("utf-8", "replace").splitlines():
                    if line.strip():
                        owner[line.split(",", 1)[0]] = dist
    groups: dict[str, dict[str, int]] = {}
    for info in infos:
        # Bytecode belongs with its source file.
        source = re.sub(r"(^|.*/)__pycache__/([^/.]+)\.cpython-\d+\.pyc$", r"\1\2.py", info.filename)
        top = source.split("/", 1)[0]
        name = owner.get(source) or (_dist_name(top) if top.endswith(".dist-info") else top)
        group = groups.setdefault(name, {"files": 0, "zipped_bytes": 0, "unzipped_bytes": 0})
        group["files"] += 1
        group["zipped_bytes"] += info.compress_size
        group["unzipped_bytes"] += info.file_size
    dependencies = [{"name": k, **v} for k, v in sorted(groups.items(), key=lambda kv: -kv[1]["unzipped_bytes"])]
    return {
        "zipped_bytes": path.stat().st_size,
        "unzipped_bytes": sum(i.file_size for i in infos),
        "files": len(infos),
        "dependencies": dependencies,
    }


def measure_package(workdir: Path) -> tuple[dict[str, Any], dict[str, dict[str, Path]]]:
    """Package the apps and take their zips apart; returns the figures and each zip (shipped and plain)."""
    out: dict[str, Any] = {}
    zips: dict[str, dict[str, Path]] = {"shipped": {}, "plain": {}}
    for name, (directory, _) in {**APPS, **STAFF_APP}.items():
        zips["shipped"][name], zips["plain"][name] = package(directory, workdir / name)
        out[name] = analyse_zip(zips["shipped"][name])
        out[name]["plain_zipped_bytes"] = zips["plain"][name].stat().st_size
    return out, zips


def _unzip_read_only(archive_path: Path, tree: Path) -> Path:
    """Unzip as Lambda does into /var/task, then make every file and directory read-only (chmod -R a-w)."""
    with zipfile.ZipFile(archive_path) as archive:
        archive.extractall(tree)
    for path in [tree, *tree.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return tree


def _make_writable(tree: Path) -> None:
    for path in [tree, *tree.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def lambda_runtime(path: Path) -> Path:
    """A directory holding what the Lambda runtime adds to the standard library (RUNTIME_PACKAGES), as links."""
    path.mkdir(parents=True)
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise BenchmarkError(f"{name} is not installed here (the Lambda runtime has it)")
        origin = Path(spec.origin)
        target = origin.parent if origin.name == "__init__.py" else origin
        (path / target.name).symlink_to(target)
    return path


def measure_deployed_cold(
    zips: dict[str, dict[str, Path]], runs: int, env: dict[str, str], workdir: Path
) -> dict[str, Any]:
    """Cold starts from the unzipped packages, read-only as on Lambda: the shipped zip, then the plain one.

    Lambda's /var/task is read-only: Python cannot write bytecode caches there,
    so a module without a .pyc in the zip is compiled from source on every cold
    start (boto3 and botocore come from the runtime, compiled). The run
    environment also sets PYTHONDONTWRITEBYTECODE, since a root user would not
    be stopped by the read-only files. Each process sees its zip, the standard
    library and the runtime's packages only (`python -S`, no site-packages).
    The staff function's token is checked against keys served on loopback.
    """
    from benchmarks.staff import StaffPool

    no_cache = dict(env, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(lambda_runtime(workdir / "lambda-runtime")))
    out: dict[str, Any] = {}
    trees: list[Path] = []
    try:
        for variant in ("shipped", "plain"):
            dirs = {name: _unzip_read_only(path, workdir / f"{name}-{variant}") for name, path in zips[variant].items()}
            trees += dirs.values()
            with StaffPool() as pool:
                out[variant] = measure_cold(runs, 0, {**no_cache, **pool.env()}, dirs, ("-S",))
            if "staff" in dirs and pool.fetches != runs:
                raise BenchmarkError(f"the staff function fetched the pool's keys {pool.fetches} times in {runs} runs")
            for name, tree in dirs.items():
                loaded = out[variant][name].pop("_loaded_files")
                out[variant][name]["loaded_without_bytecode"] = sum(
                    1
                    for f in loaded
                    if f.endswith(".py") and not Path(importlib.util.cache_from_source(str(tree / f))).exists()
                )
    finally:
        for tree in trees:
            _make_writable(tree)  # so the temporary directory can be removed
    return out


# ---------------------------------------------------------------------------
# 5. The sweeper against the size of the table
# ---------------------------------------------------------------------------


def measure_sweeper(sizes: str, runs: int) -> dict[str, Any]:
    """benchmarks/sweeper.py in its own interpreter (this one's botocore clients are stubbed by now)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.sweeper", "--sizes", sizes, "--runs", str(runs)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchmarkError(f"the sweeper benchmark failed:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _sweeper_rows(sweeper: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows = []
    sizes = sweeper["sizes"]
    for row in sizes:
        label = f"Sweeper CPU per run, {row['leads']:,} leads ({row['waiting']} waiting, each nudged)"
        ratio = f"{row['cpu_ratio']:.2f}x" if row is not sizes[0] else ""
        rows.append((label, _ms(row["cpu_ms"]), "-", ratio))
    for row in sizes:
        ratio = f"{row['idle_cpu_ratio']:.2f}x" if row is not sizes[0] else ""
        rows.append((f"  the next sweep (nothing due), {row['leads']:,} leads", _ms(row["idle_cpu_ms"]), "-", ratio))
    for row in sizes:
        calls = _calls({k: v for k, v in row["calls"].items() if k.startswith("dynamodb.")})
        rows.append(
            (
                f"  DynamoDB per run, {row['leads']:,} leads: calls, items read",
                f"{calls}; {row['items_read']} items",
                f"old 24-hour reminder query: {row['old_reminder_items_read']:,} items",
                "",
            )
        )
    # Each AWS call is padded to the same wall time at every size (benchmarks/sweeper.py CALL_MS);
    # a call that outlasted it waited longer than the rest, which the CPU figures would show.
    slow = ", ".join(f"{row['leads']:,} leads: {row.get('calls_over_padding', 0)}" for row in sizes)
    rows.append(("  AWS calls that outlasted the padding of each call", slow, "", ""))
    return rows


# ---------------------------------------------------------------------------
# 6. The table
# ---------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value >= 10 else f"{value:.3f} ms"


def _mb(value: int) -> str:
    return f"{value / 1e6:.2f} MB"


def _calls(calls: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in calls.items()) or "none"


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue, with the measured value and whether it is met."""
    out = []
    cold = results.get("cold_start")
    if cold:
        out.append(
            {
                "target": f"cold start within {TARGET_COLD_RATIO}x of the baseline",
                "value": f"{cold['ratio']:.2f}x",
                "met": cold["ratio"] <= TARGET_COLD_RATIO,
            }
        )
    deployed = results.get("deployed_cold_start")
    if deployed:
        ratio = deployed["shipped"]["ratio"]
        out.append(
            {
                "target": f"cold start as deployed (make deploy's zip) within {TARGET_DEPLOYED_COLD_RATIO}x",
                "value": f"{ratio:.2f}x",
                "met": ratio <= TARGET_DEPLOYED_COLD_RATIO,
            }
        )
    warm = results.get("warm")
    if warm:
        cpu = warm["submission"]["cpu_ms"]
        out.append({"target": "warm submission under 1 ms CPU", "value": _ms(cpu), "met": cpu < TARGET_WARM_MS})
        calls = warm["submission"]["calls"]
        dynamo = sum(v for k, v in calls.items() if k.startswith("dynamodb."))
        sns = sum(v for k, v in calls.items() if k.startswith("sns."))
        sns_clients = warm["clients_preflight"].get("sns", 0) + warm["clients_first_post"].get("sns", 0)
        out.append(
            {
                "target": "request path: one DynamoDB call, zero SNS calls",
                "value": f"{dynamo:g} DynamoDB, {sns:g} SNS, {sns_clients} SNS clients",
                "met": dynamo == 1 and sns == 0 and sns_clients == 0,
            }
        )
    pkg = results.get("package")
    if pkg:
        size = pkg["app"]["zipped_bytes"]
        out.append({"target": "deployment zip under 5 MB", "value": _mb(size), "met": size < TARGET_ZIP_BYTES})
    sweeper = results.get("sweeper")
    if sweeper:
        sizes = sweeper["sizes"]
        same = len({(json.dumps(r["calls"], sort_keys=True), r["items_read"]) for r in sizes}) == 1
        ratio = sizes[-1]["cpu_ratio"]
        out.append(
            {
                "target": "sweeper: the same DynamoDB calls and items read whatever the table's size",
                "value": f"{sizes[-1]['items_read']} items read at {sizes[-1]['leads']:,} leads, "
                f"{sizes[0]['items_read']} at {sizes[0]['leads']:,}",
                "met": same,
            }
        )
        out.append(
            {
                "target": f"sweeper CPU at {sizes[-1]['leads']:,} leads within {TARGET_SWEEPER_RATIO}x of "
                f"{sizes[0]['leads']:,}",
                "value": f"{ratio:.2f}x",
                "met": ratio <= TARGET_SWEEPER_RATIO,
            }
        )
    return out


def _load() -> list[float]:
    """The 1, 5 and 15 minute load averages: other work on the machine inflates every figure."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else []


def _rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    cold = results.get("cold_start")
    if cold:
        a, b = cold["app"], cold["baseline"]

        def cold_row(label: str, key: str, ratio: str = "") -> None:
            rows.append((label, _ms(a[key]), _ms(b[key]), ratio))

        cold_row("Cold start CPU: import + first POST, median", "cpu_median_ms", f"{cold['ratio']:.2f}x")
        spread = "{:.0f} .. {:.0f} ms"
        rows.append(
            (
                "  min .. max",
                spread.format(a["cpu_min_ms"], a["cpu_max_ms"]),
                spread.format(b["cpu_min_ms"], b["cpu_max_ms"]),
                "",
            )
        )
        cold_row("  of which importing the app (CPU)", "import_cpu_median_ms")
        cold_row("  of which the first request (CPU)", "first_request_cpu_median_ms")
        cold_row("  wall time, median", "wall_median_ms", f"{cold['wall_ratio']:.2f}x")
        cold_row("  whole process, start to exit (wall)", "process_median_ms")
        rows.append(("  modules loaded", str(a["modules"]), str(b["modules"]), ""))
    warm = results.get("warm")
    if warm:
        a, b, notice = warm["submission"], warm["baseline"], warm["notice"]
        best = "{} (best round {})"
        rows += [
            (
                "Warm CPU per submission (handler), median",
                best.format(_ms(a["cpu_ms"]), _ms(a["best_round_ms"])),
                best.format(_ms(b["cpu_ms"]), _ms(b["best_round_ms"])),
                f"{warm['ratio']:.2f}x",
            ),
            (
                "Warm CPU per notice (notify_staff), median",
                best.format(_ms(notice["cpu_ms"]), _ms(notice["best_round_ms"])),
                "-",
                "",
            ),
            ("AWS calls per accepted lead", _calls(a["calls"]), _calls(b["calls"]), ""),
            ("AWS calls per notice", _calls(notice["calls"]), "-", ""),
            ("AWS clients made by a first OPTIONS /leads", _calls(warm["clients_preflight"]), "-", ""),
            (
                "AWS clients made by the first POST /leads",
                _calls(warm["clients_first_post"]),
                _calls(warm["baseline_clients_first_post"]),
                "",
            ),
            ("AWS clients made by the first notice", _calls(warm["clients_first_notice"]), "-", ""),
        ]
    deployed = results.get("deployed_cold_start")
    if deployed:
        spread = "{:.0f} .. {:.0f} ms"
        for key, label, staff_label in (
            (
                "shipped",
                "Cold start as deployed (make deploy's zip, read-only), median CPU",
                "  staff function (GET /staff/me), zip with bytecode",
            ),
            (
                "plain",
                "Cold start from chalice package's zip alone (no bytecode)",
                "  staff function, as `chalice deploy` in staff/ ships it",
            ),
        ):
            a, b = deployed[key]["app"], deployed[key]["baseline"]
            rows.append((label, _ms(a["cpu_median_ms"]), _ms(b["cpu_median_ms"]), f"{deployed[key]['ratio']:.2f}x"))
            rows.append(
                (
                    "  min .. max",
                    spread.format(a["cpu_min_ms"], a["cpu_max_ms"]),
                    spread.format(b["cpu_min_ms"], b["cpu_max_ms"]),
                    "",
                )
            )
            rows.append(
                (
                    "  modules imported from the zip without bytecode",
                    str(a["loaded_without_bytecode"]),
                    str(b["loaded_without_bytecode"]),
                    "",
                )
            )
            staff = deployed[key].get("staff")
            if staff:
                rows.append(
                    (
                        staff_label,
                        f"{_ms(staff['cpu_median_ms'])} ({spread.format(staff['cpu_min_ms'], staff['cpu_max_ms'])})",
                        _ms(b["cpu_median_ms"]),
                        f"{deployed[key]['staff_ratio']:.2f}x",
                    )
                )
                rows.append(("    of which importing the app (CPU)", _ms(staff["import_cpu_median_ms"]), "", ""))
                rows.append(
                    (
                        "    modules imported from the zip without bytecode",
                        str(staff["loaded_without_bytecode"]),
                        "",
                        "",
                    )
                )
    pkg = results.get("package")
    if pkg:
        a, b = pkg["app"], pkg["baseline"]
        rows += [
            ("Deployment zip (make package), zipped", _mb(a["zipped_bytes"]), _mb(b["zipped_bytes"]), ""),
            ("  chalice package alone, zipped", _mb(a["plain_zipped_bytes"]), _mb(b["plain_zipped_bytes"]), ""),
            ("Deployment zip (make package), unzipped", _mb(a["unzipped_bytes"]), _mb(b["unzipped_bytes"]), ""),
        ]
        for dep in a["dependencies"]:
            sizes = f"{_mb(dep['zipped_bytes'])} / {_mb(dep['unzipped_bytes'])}"
            rows.append((f"  {dep['name']} ({dep['files']} files), zipped / unzipped", sizes, "", ""))
        staff = pkg.get("staff")
        if staff:
            rows.append(
                (
                    "Staff function's zip: chalice package / with bytecode, zipped",
                    f"{_mb(staff['plain_zipped_bytes'])} / {_mb(staff['zipped_bytes'])}",
                    "",
                    "",
                )
            )
    if results.get("sweeper"):
        rows += _sweeper_rows(results["sweeper"])
    return rows


def table(results: dict[str, Any]) -> str:
    """The one table `make bench` prints."""
    rows = _rows(results)
    head = ("measure", "app", "baseline", "ratio")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    before, after = results.get("load_average_before"), results.get("load_average_after")
    if before and after:
        cpus = os.cpu_count() or 1
        lines.append(f"Machine load (1-min average): {before[0]:.1f} before, {after[0]:.1f} after, on {cpus} CPUs")
    for t in results.get("targets", []):
        lines.append(f"[{'met' if t['met'] else 'MISSED'}] {t['target']}: {t['value']}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21, help="cold starts per app (default 21)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured cold starts first (bytecode caches)")
    parser.add_argument("--iterations", type=int, default=2000, help="warm submissions and notices (default 2000)")
    parser.add_argument("--no-package", action="store_true", help="skip `chalice package`")
    parser.add_argument("--sweeper-sizes", default="10,1000,10000", help="leads in the table for the sweeper runs")
    parser.add_argument("--sweeper-runs", type=int, default=15, help="measured sweeps per table size (default 15)")
    parser.add_argument(
        "--quick", action="store_true", help="1 cold run each, no warm-up, 20 iterations, no package, small tables"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.warmup, args.iterations, args.no_package = 1, 0, 20, True
        args.sweeper_sizes, args.sweeper_runs = "10,200", 2

    env = run_env()
    results: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "settings": {
            "runs": args.runs,
            "warmup": args.warmup,
            "iterations": args.iterations,
            "sweeper_sizes": args.sweeper_sizes,
            "sweeper_runs": args.sweeper_runs,
        },
        "load_average_before": _load(),
    }
    results["cold_start"] = measure_cold(args.runs, args.warmup, env)
    results["warm"] = measure_warm(args.iterations, env)
    if not args.no_package:
        with tempfile.TemporaryDirectory(prefix="bench-package-") as tmp:
            results["package"], zips = measure_package(Path(tmp))
            results["deployed_cold_start"] = measure_deployed_cold(zips, args.runs, env, Path(tmp))
    results["sweeper"] = measure_sweeper(args.sweeper_sizes, args.sweeper_runs)
    results["load_average_after"] = _load()
    results["targets"] = targets(results)

    print(table(results))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 1 if args.check and not all(t["met"] for t in results["targets"]) else 0


if __name__ == "__main__":
    sys.exit(main())
