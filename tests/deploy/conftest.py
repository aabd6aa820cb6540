"""Fixtures for the deploy tests: a moto server, and a copy of the project configured against it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.staff_pool import emulator_template
from tests.conftest import REGION, ROOT

BIN = Path(sys.executable).parent
TEMPLATE = ROOT / "infra" / "stack.yaml"
STAGE = "dev"
STACK = f"next-steps-{STAGE}"
HANDLERS = ("api_handler", "notify_staff", "sweeper")


def template() -> dict[str, Any]:
    """infra/stack.yaml as data (it uses long-form intrinsics only, so plain YAML reads it)."""
    data: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text())
    return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Emulator:
    """A moto server of our own, on a free port."""

    url: str

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a child process whose every AWS call goes to this emulator."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL") and k != "AWS_PROFILE"}
        env.update(AWS_ENDPOINT_URL=self.url, AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION, **extra)
        return env

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name=REGION)


@contextmanager
def running_emulator() -> Iterator[Emulator]:
    """A moto server on a free port, for as long as the block runs."""
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("moto server did not start")
        yield Emulator(url)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with running_emulator() as server:
        yield server


def run(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run a command; fail the test with its output if it fails."""
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@dataclass
class Project:
    """A copy of the Chalice project, configured against a stack in the emulator."""

    path: Path
    outputs: dict[str, str]
    emulator: Emulator

    def config(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / ".chalice" / "config.json").read_text())
        return data

    def policy(self, handler: str) -> dict[str, Any]:
        """The policy `make configure` wrote for one of the app's functions (api_handler, notify_staff, sweeper)."""
        data: dict[str, Any] = json.loads((self.path / ".chalice" / f"policy-{STAGE}-{handler}.json").read_text())
        return data

    def chalice(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The chalice command line, against the emulator (see chalice_emulated.py)."""
        shim = Path(__file__).with_name("chalice_emulated.py")
        return run([sys.executable, str(shim), *args], self.emulator.env(), cwd=self.path)

    def configure(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`make configure` for this copy."""
        return run(
            [
                sys.executable,
                "-m",
                "scripts.configure_stage",
                "--stage",
                STAGE,
                "--stack",
                STACK,
                "--project-dir",
                str(self.path),
                *args,
            ],
            self.emulator.env(),
        )


def copy_project(dest: Path) -> Path:
    """The files `chalice deploy` reads, and nothing it writes back (deployed state stays in the copy)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "app.py", dest / "app.py")
    shutil.copy2(ROOT / "requirements.txt", dest / "requirements.txt")
    shutil.copytree(ROOT / "chalicelib", dest / "chalicelib", ignore=ignore)
    (dest / ".chalice").mkdir()
    shutil.copy2(ROOT / ".chalice" / "config.json", dest / ".chalice" / "config.json")
    return dest


def create_stack(emulator: Emulator, stage: str = STAGE) -> dict[str, str]:
    """`aws cloudformation deploy` of infra/stack.yaml into the emulator; the stack's outputs."""
    cfn = emulator.client("cloudformation")
    name = f"next-steps-{stage}"
    cfn.create_stack(
        StackName=name,
        # moto cannot deploy the staff user pool (scripts/staff_pool.py).
        TemplateBody=emulator_template(TEMPLATE.read_text()),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}],
    )
    for _ in range(200):
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if stack["StackStatus"] == "CREATE_COMPLETE":
            return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        assert not stack["StackStatus"].endswith(("FAILED", "ROLLBACK_COMPLETE")), stack["StackStatus"]
        time.sleep(0.05)
    raise AssertionError(f"stack {name} never finished")


@pytest.fixture(scope="session")
def project(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The stage's stack deployed into the emulator, and a project copy configured with `make configure`."""
    outputs = create_stack(emulator)
    configured = Project(copy_project(tmp_path_factory.mktemp("project")), outputs, emulator)
    configured.configure()
    return configured
