"""Where the time goes: the profiles behind the figures of benchmarks.run.

    python -m benchmarks.profile imports    # cold start: import time per top-level package, app vs baseline
    python -m benchmarks.profile warm       # warm submission and notice: CPU per package (cProfile)

Both group by the top-level package that owns the code (botocore, pydantic,
email_validator, phonenumbers, chalicelib, ...), so what stands between the
app and its targets can be read off directly.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from benchmarks.aws import LambdaContext, StubbedAWS, api_event, lead_body, stream_event
from benchmarks.run import APPS, ROOT, run_env

STDLIB = Path(os.__file__).resolve().parent


def _import_times(name: str, env: dict[str, str]) -> dict[str, float]:
    """Self import time (ms) per top-level package in one fresh cold start (import + first POST)."""
    directory, operation = APPS[name]
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "benchmarks.cold", str(directory), operation],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    totals: dict[str, float] = defaultdict(float)
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        self_us, _cumulative, module = line.removeprefix("import time:").split("|", 2)
        totals[module.strip().split(".")[0]] += int(self_us) / 1000
    return dict(totals)


def imports(runs: int) -> None:
    """Median self import time per package over `runs` cold starts of each app."""
    env = run_env()
    samples: dict[str, dict[str, list[float]]] = {name: defaultdict(list) for name in APPS}
    for _ in range(runs):
        for name in APPS:
            for package, ms in _import_times(name, env).items():
                samples[name][package].append(ms)
    medians = {name: {p: statistics.median(v) for p, v in s.items()} for name, s in samples.items()}
    packages = sorted(set(medians["app"]) | set(medians["baseline"]), key=lambda p: -medians["app"].get(p, 0))
    print(f"Self import time per top-level package, median of {runs} cold starts (ms; import + first POST)")
    print(f"{'package':32s} {'app':>8s} {'baseline':>9s} {'app only':>9s}")
    extra = 0.0
    for package in packages:
        a, b = medians["app"].get(package, 0.0), medians["baseline"].get(package, 0.0)
        if max(a, b) < 1.0:
            continue
        only = a - b if package not in medians["baseline"] else 0.0
        extra += only
        print(f"{package:32s} {a:8.1f} {b:9.1f} {only:9.1f}")
    total_a, total_b = sum(medians["app"].values()), sum(medians["baseline"].values())
    print(f"{'all imports':32s} {total_a:8.1f} {total_b:9.1f} {extra:9.1f}")


def _owner(filename: str, function: str) -> str:
    if filename == "~":
        # C code: "<method 'validate_python' of 'pydantic_core._pydantic_core.SchemaValidator' objects>",
        # "<built-in method _json.encode_basestring_ascii>", "<method 'get' of 'dict' objects>".
        found = re.search(r"of '([\w.]+)'|built-in method ([\w.]+)", function)
        dotted = next((g for g in found.groups() if g), "") if found else ""
        top = dotted.split(".")[0] if "." in dotted else "builtins"
        return "stdlib:" + top.lstrip("_") if top in {"_json", "re", "_sre", "time", "posix", "_hashlib"} else top
    if filename.startswith("<"):
        return "stdlib:importlib" if "frozen" in filename else "builtins"
    path = Path(filename).resolve()
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    if path.is_relative_to(ROOT):
        rel = path.relative_to(ROOT).parts
        return rel[0].removesuffix(".py")
    if path.is_relative_to(STDLIB):
        return "stdlib:" + path.relative_to(STDLIB).parts[0].removesuffix(".py")
    return path.name


def _by_package(stats: pstats.Stats, calls: int) -> list[tuple[str, float]]:
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        totals[_owner(filename, function)] += tottime
    whole = sum(totals.values())
    return [(k, v / whole * 100) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])]


def warm(iterations: int) -> None:
    """cProfile the app's warm submission and notice paths; CPU share per package."""
    os.environ.update(run_env())
    aws = StubbedAWS()
    aws.install()
    import app as real

    context = LambdaContext()
    event = api_event(lead_body())
    results: dict[str, cProfile.Profile] = {}
    real_stdout = sys.stdout
    with open(os.devnull, "w") as sink:
        sys.stdout = sink
        try:
            aws.queue("dynamodb", "transact_write_items", {}, times=iterations + 1, fresh=True)
            real.app(event, context)
            profile = cProfile.Profile()
            profile.runcall(lambda: [real.app(event, context) for _ in range(iterations)])
            results["submission"] = profile

            item = aws.last_params("dynamodb.TransactWriteItems")["TransactItems"][0]["Put"]["Item"]
            claimed = dict(item, notice_state={"S": "sending"})
            stream = stream_event(item)
            db = aws.newest("dynamodb")
            for i in range(iterations + 1):
                db.add_response("update_item", {"Attributes": claimed})
                aws.queue("sns", "publish", {"MessageId": "m"}, fresh=i == 0)
                db.add_response("update_item", {})
            real.notify_staff(stream, context)
            profile = cProfile.Profile()
            profile.runcall(lambda: [real.notify_staff(stream, context) for _ in range(iterations)])
            results["notice"] = profile
        finally:
            sys.stdout = real_stdout
    for name, profile in results.items():
        stats = pstats.Stats(profile, stream=sys.stdout)
        print(f"\nWarm {name}: share of CPU by package (cProfile, {iterations} calls; profiling inflates Python code)")
        for package, share in _by_package(stats, iterations):
            if share >= 0.5:
                print(f"  {package:32s} {share:5.1f} %")
        print(f"\nWarm {name}: heaviest functions, cumulative")
        stats.sort_stats("cumulative").print_stats(
            r"chalicelib|validate_python|email_validator/validate|phonenumberutil.py:\d+\((parse|is_valid)|client.py:\d+\(_make_api_call|_convert_to_request|_resolve_endpoint",
            30,
        )


def main(argv: list[str] | None = None) -> int:
    """Print one profile."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["imports", "warm"])
    parser.add_argument("--runs", type=int, default=7, help="cold starts per app for `imports` (default 7)")
    parser.add_argument("--iterations", type=int, default=1000, help="calls profiled for `warm` (default 1000)")
    args = parser.parse_args(argv)
    if args.what == "imports":
        imports(args.runs)
    else:
        warm(args.iterations)
    return 0


if __name__ == "__main__":
    sys.exit(main())
