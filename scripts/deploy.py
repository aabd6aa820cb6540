"""`make package` and `make deploy`: Chalice's package, with bytecode for Lambda's Python in it.

Lambda unpacks the zip into /var/task, which is read-only, so Python cannot
cache bytecode there: without .pyc files in the zip, every cold start
compiles every module it imports from the zip (pydantic above all) before
the first visitor is answered. This wraps the stock Chalice commands:

1. `chalice package --stage S`: the zip exactly as Chalice builds it
   (dependencies downloaded for Lambda's python3.11, app.py, chalicelib).
2. Every .py file in that zip is compiled with this interpreter (3.11, the
   runtime Chalice chose) into `vendor/.../__pycache__/*.cpython-311.pyc`,
   with `unchecked-hash` invalidation: Python uses such a .pyc whatever the
   file dates in the zip, and never rewrites it. Chalice adds the contents of
   `vendor/` to the top of the zip (its documented way to ship extra files).
3. `chalice package --stage S build/package` builds the zip with the
   bytecode; Chalice caches it under .chalice/deployments by a hash of the
   requirements, the app and vendor/. Packages no handler can import
   (PRUNED: dnspython) are dropped from it and from that cached copy alike, so
4. `chalice deploy --stage S` (deploy only) ships that very file, then the
   stage's API throttling (`api_throttling` in .chalice/config.json, which
   Chalice does not manage) is applied to the API stage, as
   `aws apigateway update-stage` would. The same limits are written into
   build/package/sam.json for the `chalice package` + CloudFormation path.

`vendor/` is removed again afterwards, so a plain `chalice deploy` still
works (without bytecode).

    python -m scripts.deploy package --stage dev     # build/package/deployment.zip and sam.json
    python -m scripts.deploy deploy --stage dev      # the same zip, deployed with chalice deploy
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import py_compile
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_PYTHON = (3, 11)  # the project's pinned Python, and the Lambda runtime Chalice picks from it

# Parts of the dependencies that no handler imports, left as source to keep the
# zip small (bytecode for all of them would take it past 5 MB). Everything else
# gets bytecode, whether or not the first request imports it.
NOT_COMPILED = (
    "dns/",  # dnspython: email_validator needs it only for deliverability checks, which are off
    "pydantic/v1/",  # pydantic's 1.x compatibility API
    "pydantic/experimental/",
    "pydantic/deprecated/",
    "phonenumbers/shortdata/region_",  # short codes (911, ...): shortnumberinfo is imported, never used
    # Imported by no handler (tests/deploy checks a POST needs none of them):
    # tools, command lines and features the app does not use.
    "pydantic/mypy.py",
    "pydantic/networks.py",
    "pydantic/color.py",
    "pydantic/type_adapter.py",
    "pydantic/dataclasses.py",
    "pydantic/root_model.py",
    "pydantic/functional_serializers.py",
    "pydantic/validate_call_decorator.py",
    "pydantic/_internal/_dataclasses.py",
    "pydantic/_internal/_validate_call.py",
    "pydantic/_internal/_decorators_v1.py",
    "annotated_types/test_cases.py",
    "idna/uts46data.py",  # only for a non-ASCII email domain (then compiled on that cold start)
    "idna/codec.py",
    "idna/cli.py",
    "idna/__main__.py",
    "email_validator/deliverability.py",
    "email_validator/__main__.py",
    "phonenumbers/geocoder.py",
    "phonenumbers/carrier.py",
    "phonenumbers/timezone.py",
)
# phonenumbers loads one metadata module per region it parses a number for:
# only the stage's default region (PHONE_DEFAULT_REGION) gets bytecode.
REGION_DATA = re.compile(r"phonenumbers/data/region_(?P<region>[A-Z0-9]+)\.py")


class DeployError(Exception):
    """The package cannot be built or deployed; the message says why."""


def chalice_command(spec: str | None) -> list[str]:
    """The chalice command line to run (the venv's, unless told otherwise)."""
    if spec:
        return shlex.split(spec)
    return [str(Path(sys.executable).parent / "chalice")]


def _run(args: list[str], cwd: Path) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DeployError(f"{' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done.stdout


def _clear_vendor(vendor: Path) -> None:
    """Remove a vendor/ this script made (bytecode only); refuse to touch anything else."""
    if not vendor.exists():
        return
    foreign = [p for p in vendor.rglob("*") if p.is_file() and p.suffix != ".pyc"]
    if foreign:
        raise DeployError(f"{vendor} holds files other than bytecode (e.g. {foreign[0]}); move them away first")
    shutil.rmtree(vendor)


def compiled(name: str, region: str) -> bool:
    """Whether a .py file of the zip gets bytecode (see NOT_COMPILED and REGION_DATA)."""
    if name.startswith(NOT_COMPILED):
        return False
    data = REGION_DATA.fullmatch(name)
    return data is None or data["region"] == region


def compile_zip(package: Path, vendor: Path, region: str = "US") -> int:
    """Bytecode for the .py files of a Chalice zip that handlers import, laid out under vendor/; returns how many."""
    if sys.version_info[:2] != LAMBDA_PYTHON:
        wanted = ".".join(map(str, LAMBDA_PYTHON))
        raise DeployError(f"bytecode must be compiled by Python {wanted} (Lambda's runtime); this is {sys.version}")
    count = 0
    with tempfile.TemporaryDirectory(prefix="next-steps-src-") as tmp, zipfile.ZipFile(package) as archive:
        for name in sorted(archive.namelist()):
            if not name.endswith(".py") or not compiled(name, region):
                continue
            source = Path(tmp) / name
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_bytes(archive.read(name))
            parent, stem = Path(name).parent, Path(name).stem
            target = vendor / parent / "__pycache__" / f"{stem}.{sys.implementation.cache_tag}.pyc"
            try:
                py_compile.compile(
                    str(source),
                    cfile=str(target),
                    dfile=f"/var/task/{name}",
                    doraise=True,
                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                )
            except py_compile.PyCompileError:
                continue  # not Python 3 (a template or test fixture some wheels ship): never imported
            count += 1
    return count


def check_package(package: Path, vendor: Path) -> None:
    """The zip holds each file once, and no bytecode but ours (Chalice copies chalicelib/ as it finds it)."""
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
    ours = {p.relative_to(vendor).as_posix() for p in vendor.rglob("*.pyc")}
    stray = sorted({n for n in names if n.endswith(".pyc")} - ours)
    stray += sorted(n for n, count in Counter(names).items() if count > 1)
    if stray:
        raise DeployError(
            f"bytecode was written into the project while it was packaged ({stray[0]}, ...): "
            "a Python process wrote __pycache__ under chalicelib/; stop it (or set PYTHONDONTWRITEBYTECODE=1) "
            "and run again"
        )


# Packages Chalice installs as dependencies that no handler can import: dnspython
# comes with email_validator for deliverability checks, which the app never runs
# (validate_email(check_deliverability=False); email_validator imports it only for
# them). Nor can pydantic's 1.x API (`pydantic.v1`, imported only by name) or its
# mypy plugin (loaded by mypy, never at run time). Left out of the zip (about 130
# KB), they keep bytecode for the rest under 5 MB with room for the code to grow.
PRUNED = ("dns/", "dnspython-", "pydantic/v1/", "pydantic/mypy.py")
# The staff API's own code, which the public function (its own app, its own
# role) never imports: tests/unit/test_public_imports.py follows every import
# from app.py, function-level ones included, and fails if one reaches these.
STAFF_ONLY = (
    "chalicelib/auth.py",
    "chalicelib/staff_api.py",
    "chalicelib/inbox_page.py",
    "chalicelib/memory.py",
    "chalicelib/data/inbox/",
    "chalicelib/staff/actions.py",
    "chalicelib/staff/cursor.py",
    "chalicelib/staff/export.py",
    "chalicelib/staff/read.py",
    "chalicelib/staff/stats.py",
)
PUBLIC_APP = "next-steps"


def pruned_paths(project: Path) -> tuple[str, ...]:
    """What is left out of this project's zip: PRUNED, and for the public app STAFF_ONLY (sources and bytecode)."""
    config = json.loads((project / ".chalice" / "config.json").read_text())
    if config.get("app_name") != PUBLIC_APP:
        return PRUNED
    bytecode = tuple(
        f"{path.rsplit('/', 1)[0]}/__pycache__/{path.rsplit('/', 1)[1][:-3]}."
        for path in STAFF_ONLY
        if path.endswith(".py")
    )
    return PRUNED + STAFF_ONLY + bytecode


def prune_package(project: Path, package: Path) -> None:
    """Drop pruned_paths from the zip and from Chalice's cached copy of it, so `chalice deploy` ships the same bytes.

    The zip is written again at zlib's best compression (level 9): the same
    files, about 30 KB smaller, under Lambda's 5 MB figure with room to spare.
    """
    leave_out = pruned_paths(project) if (project / ".chalice" / "config.json").exists() else PRUNED
    original = hashlib.sha256(package.read_bytes()).digest()
    cached = [
        path
        for path in (project / ".chalice" / "deployments").glob("*.zip")
        if hashlib.sha256(path.read_bytes()).digest() == original
    ]
    pruned = package.with_suffix(".pruned")
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(pruned, "w") as target:
        for info in source.infolist():
            if not info.filename.startswith(leave_out):
                target.writestr(info, source.read(info), compress_type=info.compress_type, compresslevel=9)
    pruned.replace(package)
    for path in cached:
        shutil.copyfile(package, path)


def _forget_cached(project: Path, package: Path) -> None:
    """Remove Chalice's cached copy of a package (.chalice/deployments/<hash>-python3.11.zip)."""
    digest = hashlib.sha256(package.read_bytes()).digest()
    for cached in (project / ".chalice" / "deployments").glob("*.zip"):
        if hashlib.sha256(cached.read_bytes()).digest() == digest:
            cached.unlink()


def deployed_code(project: Path, stage: str) -> dict[str, str]:
    """The SHA-256 (base64, as Lambda reports it) of each deployed function's code."""
    import boto3

    record = json.loads((project / ".chalice" / "deployed" / f"{stage}.json").read_text())
    client = boto3.client("lambda")
    return {
        r["name"]: client.get_function(FunctionName=r["lambda_arn"])["Configuration"]["CodeSha256"]
        for r in record["resources"]
        if r.get("resource_type") == "lambda_function"
    }


def stage_config(project: Path, stage: str) -> dict[str, Any]:
    """The stage's block of .chalice/config.json."""
    config = json.loads((project / ".chalice" / "config.json").read_text())
    stages: dict[str, Any] = config.get("stages", {})
    if stage not in stages:
        raise DeployError(f"no stage {stage!r} in .chalice/config.json")
    block: dict[str, Any] = stages[stage]
    return block


def default_region(project: Path, stage: str) -> str:
    """The stage's PHONE_DEFAULT_REGION (the region whose phone metadata every cold start loads)."""
    config = json.loads((project / ".chalice" / "config.json").read_text())
    env = {**config.get("environment_variables", {}), **stage_config(project, stage).get("environment_variables", {})}
    return str(env.get("PHONE_DEFAULT_REGION", "US")).upper()


def throttling(project: Path, stage: str) -> dict[str, float] | None:
    """The stage's API throttling: {"rate_limit": requests/s, "burst_limit": requests}, or None."""
    limits = stage_config(project, stage).get("api_throttling")
    if not limits:
        return None
    rate, burst = float(limits["rate_limit"]), int(limits["burst_limit"])
    if rate <= 0 or burst <= 0:
        raise DeployError("api_throttling: rate_limit and burst_limit must be positive")
    return {"rate_limit": rate, "burst_limit": burst}


def throttle_sam(template: Path, limits: dict[str, float]) -> None:
    """Write the stage's throttling into `chalice package`'s SAM template (the CloudFormation path)."""
    sam = json.loads(template.read_text())
    apis = [r for r in sam.get("Resources", {}).values() if r.get("Type") == "AWS::Serverless::Api"]
    for api in apis:
        api["Properties"]["MethodSettings"] = [
            {
                "ResourcePath": "/*",
                "HttpMethod": "*",
                "ThrottlingRateLimit": limits["rate_limit"],
                "ThrottlingBurstLimit": limits["burst_limit"],
            }
        ]
    template.write_text(json.dumps(sam, indent=2) + "\n")


def throttle_api(project: Path, stage: str, limits: dict[str, float]) -> dict[str, Any]:
    """Apply the throttling to the deployed API stage (`aws apigateway update-stage`); returns its settings."""
    import boto3

    record = json.loads((project / ".chalice" / "deployed" / f"{stage}.json").read_text())
    [api] = [r for r in record["resources"] if r.get("resource_type") == "rest_api"]
    api_stage = stage_config(project, stage).get("api_gateway_stage", "api")
    client = boto3.client("apigateway")
    client.update_stage(
        restApiId=api["rest_api_id"],
        stageName=api_stage,
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(limits["rate_limit"])},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(limits["burst_limit"])},
        ],
    )
    settings = client.get_stage(restApiId=api["rest_api_id"], stageName=api_stage)
    every_method: dict[str, Any] = settings.get("methodSettings", {}).get("*/*", {})
    return every_method


def package(project: Path, stage: str, out: Path, chalice: list[str]) -> Path:
    """`chalice package` with bytecode: writes out/deployment.zip (and sam.json); leaves vendor/ in place."""
    vendor = project / "vendor"
    _clear_vendor(vendor)
    # Bytecode written by local runs must not ship: Chalice copies chalicelib/ as it is.
    for cache in (project / "chalicelib").rglob("__pycache__"):
        shutil.rmtree(cache)
    with tempfile.TemporaryDirectory(prefix="next-steps-plain-") as tmp:
        _run([*chalice, "package", "--stage", stage, tmp], project)
        count = compile_zip(Path(tmp) / "deployment.zip", vendor, default_region(project, stage))
    if out.exists():
        shutil.rmtree(out)
    _run([*chalice, "package", "--stage", stage, str(out)], project)
    try:
        check_package(out / "deployment.zip", vendor)
    except DeployError:
        # Chalice caches the zip under a hash it took before the stray files
        # appeared, and would reuse it every time: drop it, so the next run builds anew.
        _forget_cached(project, out / "deployment.zip")
        raise
    prune_package(project, out / "deployment.zip")
    limits = throttling(project, stage)
    if limits:
        throttle_sam(out / "sam.json", limits)
    size = (out / "deployment.zip").stat().st_size
    print(f"{out / 'deployment.zip'}: {size / 1e6:.2f} MB, bytecode for {count} modules")
    return out / "deployment.zip"


def main(argv: Sequence[str] | None = None) -> int:
    """Package (and deploy) the stage; print what was done."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("package", "deploy"))
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--project-dir", type=Path, default=ROOT)
    parser.add_argument("--out", type=Path, help="where the package goes (default: build/package in the project)")
    parser.add_argument("--chalice", help="the chalice command to run (default: the virtualenv's chalice)")
    args = parser.parse_args(argv)
    project = args.project_dir.resolve()
    out = (args.out or project / "build" / "package").resolve()
    chalice = chalice_command(args.chalice)
    if args.action == "package":
        # Packaging reaches no AWS service, but Chalice wants a region to write the template.
        os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
    try:
        try:
            package(project, args.stage, out, chalice)
            if args.action == "deploy":
                # The same vendor/ and app give the same hash: Chalice reuses the zip just built.
                print(_run([*chalice, "deploy", "--stage", args.stage], project), end="")
                shipped = base64.b64encode(hashlib.sha256((out / "deployment.zip").read_bytes()).digest()).decode()
                other = {name for name, digest in deployed_code(project, args.stage).items() if digest != shipped}
                if other:
                    raise DeployError(f"{', '.join(sorted(other))} did not get {out / 'deployment.zip'}")
                limits = throttling(project, args.stage)
                if limits:
                    applied = throttle_api(project, args.stage, limits)
                    print(
                        f"API throttling: {applied.get('throttlingRateLimit')} requests/s, "
                        f"burst {applied.get('throttlingBurstLimit')}"
                    )
        finally:
            _clear_vendor(project / "vendor")
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
