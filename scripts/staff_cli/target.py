"""Where the leads are: table, topic, region, endpoint and credentials."""

from __future__ import annotations

import argparse
import json
import shlex
from dataclasses import dataclass, replace
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

from chalicelib.service import Deps
from chalicelib.settings import Settings
from chalicelib.staff.actions import Actor
from chalicelib.store import LeadStore
from scripts.staff_cli.errors import SETUP, CliError

ROOT = Path(__file__).resolve().parent.parent
PROG = "./leads"
LOCAL_REGION = "us-east-1"
CLINIC_TIMEZONE = "America/New_York"
CLI_ROLE = "cli"  # the audit trail's role for this tool (IAM, not a Cognito group, grants its rights)


@dataclass(frozen=True)
class Target:
    """The stage's table and topic, and how to reach them."""

    stage: str
    table: str
    topic_arn: str
    region: str | None
    profile: str | None
    endpoint: str | None
    local: bool
    flags: tuple[str, ...] = ()

    def session(self) -> Any:
        """A boto3 session: the default credential chain, or the emulator's fake keys."""
        import boto3

        if self.local:
            return boto3.session.Session(
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106 - the emulator accepts any
                region_name=LOCAL_REGION,
                botocore_session=_botocore_session(),
            )
        return boto3.session.Session(
            profile_name=self.profile, region_name=self.region, botocore_session=_botocore_session()
        )

    def where(self) -> str:
        """The table in words, for messages."""
        place = (
            f"the local stack at {self.endpoint}" if self.local else f"region {self.region or 'from your AWS config'}"
        )
        return f"table {self.table} ({place})"


_models: Any = None


def _botocore_session() -> Any:
    """A fresh botocore session (its own credentials) sharing one loader of AWS's API models.

    Reading the models is most of a client's start-up; runs in one process
    (scripts that call main(), the tests) read them once.
    """
    import botocore.session

    global _models
    session = botocore.session.get_session()
    if _models is None:
        _models = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _models)
    return session


def resolve_target(args: argparse.Namespace, env: dict[str, str]) -> Target:
    """Flags first, then the environment, then the stage's naming rule."""
    local = bool(opt(args, "local"))
    stage_flag = opt(args, "stage")
    stage = stage_flag or ("local" if local else env.get("STAGE") or "dev")
    explicit = local or bool(stage_flag)
    table = opt(args, "table") or ("" if explicit else env.get("LEADS_TABLE", "")) or f"next-steps-{stage}-leads"
    topic = opt(args, "topic") or ("" if explicit else env.get("STAFF_TOPIC_ARN", ""))
    endpoint = None
    if local:
        endpoint = f"http://127.0.0.1:{env.get('EMULATOR_PORT') or 5000}"
    return Target(
        stage=stage,
        table=table,
        topic_arn=topic,
        # botocore itself reads only AWS_DEFAULT_REGION; AWS_REGION (what Lambda and most tools set) comes
        # first; without either, the stage's own region (its ARNs in .chalice/config.json), then the profile's.
        region=LOCAL_REGION
        if local
        else (opt(args, "region") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or stage_region(stage)),
        profile=None if local else opt(args, "profile"),
        endpoint=endpoint,
        local=local,
        flags=tuple(
            f"--{name}" + ("" if name == "local" else f" {shlex.quote(str(opt(args, name)))}")
            for name in ("local", "stage", "table", "topic", "region", "profile")
            if opt(args, name)
        ),
    )


def stage_region(stage: str) -> str | None:
    """The region of the stage's table or topic, from the ARNs `make configure` wrote, if any."""
    env = stage_env(stage)
    for name in ("LEADS_STREAM_ARN", "STAFF_TOPIC_ARN"):
        parts = env.get(name, "").split(":")
        if len(parts) > 3 and parts[0] == "arn" and parts[3]:
            return parts[3]
    return None


def stage_env(stage: str) -> dict[str, str]:
    """The stage's app settings from .chalice/config.json (notice detail, retries, retention)."""
    try:
        config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    env = dict(config.get("environment_variables") or {})
    env.update((config.get("stages", {}).get(stage) or {}).get("environment_variables") or {})
    return {str(k): str(v) for k, v in env.items()}


class Context:
    """One run's target and the service dependencies built for it, lazily."""

    def __init__(self, target: Target, env: dict[str, str], zone: tzinfo = UTC) -> None:
        self.target = target
        self.zone = zone
        self._env = env
        self._session: Any = None
        self._deps: Deps | None = None
        self._actor: Actor | None = None

    @property
    def prog(self) -> str:
        """The command to type again, with the flags that chose this target (for hints)."""
        return PROG + "".join(f" {flag}" for flag in self.target.flags)

    def client(self, service: str) -> Any:
        """A boto3 client with short timeouts and few retries (a person is waiting)."""
        from botocore.config import Config

        if self._session is None:
            self._session = self.target.session()
        config = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"})
        return self._session.client(service, endpoint_url=self.target.endpoint, config=config)

    @property
    def deps(self) -> Deps:
        """The app's Deps over this target's table; the SNS client is made only when a notice is sent."""
        if self._deps is None:
            from chalicelib.notices import SnsPublisher

            env = stage_env(self.target.stage)
            env.update(self._env)
            env.update(STAGE=self.target.stage, LEADS_TABLE=self.target.table, STAFF_TOPIC_ARN=self.target.topic_arn)
            try:
                settings = Settings.from_env(env)
            except ValueError as exc:
                raise CliError(f"A stage setting is not valid: {exc}.", SETUP) from exc
            self._deps = Deps(
                store=LeadStore(self.client("dynamodb"), self.target.table),
                settings=settings,
                publisher_factory=lambda: SnsPublisher(self.client("sns"), self.deps.settings.topic_arn),
            )
        return self._deps

    @property
    def actor(self) -> Actor:
        """Who is acting, for the audit trail: the caller's AWS identity (its ARN), asked once."""
        if self._actor is None:
            arn = self.client("sts").get_caller_identity()["Arn"]
            self._actor = Actor(username=str(arn), role=CLI_ROLE, source_ip="")
        return self._actor

    def ready_to_notify(self) -> None:
        """Find the staff topic before anything is claimed, so a notice is never left half-sent."""
        deps = self.deps
        if deps.settings.topic_arn:
            return
        name = f"next-steps-{self.target.stage}-staff"
        sns = self.client("sns")
        token: str | None = None
        while True:
            page = sns.list_topics(**({"NextToken": token} if token else {}))
            for topic in page.get("Topics", []):
                if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                    deps.settings = replace(deps.settings, topic_arn=topic["TopicArn"])
                    return
            token = page.get("NextToken")
            if not token:
                break
        raise CliError(
            f"No staff topic named {name} was found. Pass --topic ARN or set STAFF_TOPIC_ARN.",
            SETUP,
        )


def opt(args: argparse.Namespace, name: str) -> Any:
    return getattr(args, name, None)
