"""The staff command line: see, work, export and erase leads.

    ./leads [--local | --stage STAGE | --table NAME] COMMAND ...
    (or, inside the project's virtualenv: python -m scripts.leads ...)

It signs in with the staff member's own AWS credentials (the boto3 default
chain: IAM is the access control) and runs the same store and service code
as the app. Personal details are shown on the terminal and written to
exports on request; nothing here logs them.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import csv
import functools
import heapq
import io
import itertools
import json
import logging
import os
import shlex
import shutil
import statistics
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.leads import ANSWER_FIELDS, SOURCE_FIELDS, Status, is_lead_id
from chalicelib.service import WORK_STATUSES, Deps, iso
from chalicelib.settings import Settings
from chalicelib.store import LeadNotFound, LeadStore, StatusConflict, StorageUnavailable

ROOT = Path(__file__).resolve().parent.parent
PROG = "./leads"
LOCAL_REGION = "us-east-1"
CLINIC_TIMEZONE = "America/New_York"
LIST_WIDTH = 80

# Exit codes (also in the README, "For staff").
OK = 0
ABORTED = 1  # erase not confirmed
USAGE = 2  # argparse's own code for a bad command line
NOT_FOUND = 3
CONFLICT = 4
SETUP = 5  # credentials, region, table or topic missing
UNAVAILABLE = 6  # AWS refused or could not be reached for now

OPEN_STATUSES = ("new", "contacted", "scheduled")
ALL_STATUSES = tuple(s.value for s in Status)
REAL_STATUSES = tuple(s for s in ALL_STATUSES if s != Status.SPAM.value)

# Item attributes that only the pipeline's machinery reads.
INTERNAL = frozenset(
    {"pk", "sk", "entity", "fingerprint", "dup_pk", "submission_key_hash", "notice_queue", "notice_lease_until"}
)

SERVICES = {
    "ketamine_infusion": "Ketamine infusion",
    "ketamine_assisted_psychotherapy": "Ketamine-assisted psychotherapy (KAP)",
    "consultation": "Consultation",
    "other": "Other",
}
TREATMENTS = {
    "therapy": "Therapy",
    "ssri_snri": "SSRI/SNRI",
    "other_medication": "Other medication",
    "tms": "TMS",
    "esketamine": "Esketamine",
    "none": "None",
}
CHANNELS = {"phone": "Phone call", "text": "Text message", "email": "Email"}
NOTICE_STATES = {
    "pending": "pending (not sent yet)",
    "sending": "sending",
    "sent": "sent",
    "failed": "failed (retried automatically)",
    "dead": "dead (gave up; `redrive` sends it again)",
    "suppressed": "not sent (spam)",
}

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


class CliError(Exception):
    """A problem to tell the user in plain words, with the exit code to leave with."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# ---------------------------------------------------------------------------
# Where the leads are: table, topic, endpoint, credentials
# ---------------------------------------------------------------------------


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
    local = bool(_opt(args, "local"))
    stage_flag = _opt(args, "stage")
    stage = stage_flag or ("local" if local else env.get("STAGE") or "dev")
    explicit = local or bool(stage_flag)
    table = _opt(args, "table") or ("" if explicit else env.get("LEADS_TABLE", "")) or f"next-steps-{stage}-leads"
    topic = _opt(args, "topic") or ("" if explicit else env.get("STAFF_TOPIC_ARN", ""))
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
        else (_opt(args, "region") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or stage_region(stage)),
        profile=None if local else _opt(args, "profile"),
        endpoint=endpoint,
        local=local,
        flags=tuple(
            f"--{name}" + ("" if name == "local" else f" {shlex.quote(str(_opt(args, name)))}")
            for name in ("local", "stage", "table", "topic", "region", "profile")
            if _opt(args, name)
        ),
    )


def stage_region(stage: str) -> str | None:
    """The region of the stage's table or topic, from the ARNs `make configure` wrote, if any."""
    env = _stage_env(stage)
    for name in ("LEADS_STREAM_ARN", "STAFF_TOPIC_ARN"):
        parts = env.get(name, "").split(":")
        if len(parts) > 3 and parts[0] == "arn" and parts[3]:
            return parts[3]
    return None


def _stage_env(stage: str) -> dict[str, str]:
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

            env = _stage_env(self.target.stage)
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


# ---------------------------------------------------------------------------
# Turning AWS and service errors into plain words
# ---------------------------------------------------------------------------

_CREDENTIAL_ERRORS = {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_BAD_KEYS = {"UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException"}
_DENIED = {"AccessDeniedException", "AccessDenied", "AuthorizationError"}


def explain(exc: BaseException, target: Target) -> CliError:
    """A message and exit code for an AWS or storage failure: never a traceback."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoRegionError,
        ProfileNotFound,
        SSOError,
        TokenRetrievalError,
    )

    cause: BaseException = exc
    if isinstance(exc, StorageUnavailable) and exc.__cause__ is not None:
        cause = exc.__cause__
    name = type(cause).__name__
    code = name
    if isinstance(cause, ClientError):
        code = str(cause.response.get("Error", {}).get("Code", "ClientError"))
    elif isinstance(cause, StorageUnavailable):
        code = cause.code

    if name in _CREDENTIAL_ERRORS or isinstance(cause, (SSOError, TokenRetrievalError)):
        return CliError(
            "No AWS credentials found. Sign in first (for example `aws sso login --profile clinic`, "
            "then --profile clinic or AWS_PROFILE=clinic), or use --local for the local stack.",
            SETUP,
        )
    if isinstance(cause, ProfileNotFound):
        return CliError(f"{cause}. Check --profile or AWS_PROFILE.", SETUP)
    if isinstance(cause, NoRegionError):
        return CliError("No AWS region set. Pass --region, or set AWS_REGION or a region in your profile.", SETUP)
    if isinstance(cause, EndpointConnectionError):
        if target.local:
            return CliError(
                f"Cannot reach the local stack at {target.endpoint}. Is `make run` running? "
                "(If it uses another EMULATOR_PORT, set the same one here.)",
                UNAVAILABLE,
            )
        return CliError(f"Cannot reach AWS ({cause}). Check your network and AWS_ENDPOINT_URL.", UNAVAILABLE)
    if code in ("ResourceNotFoundException", "ResourceNotFound"):
        hint = " Is `make run` running?" if target.local else " Check --stage, --table or LEADS_TABLE, and --region."
        return CliError(f"There is no {target.where()}.{hint}", SETUP)
    if code == "NotFound":
        return CliError(f"The staff topic {target.topic_arn or ''} does not exist. Check --topic.", SETUP)
    if code in _EXPIRED:
        return CliError("Your AWS credentials have expired. Sign in again (for example `aws sso login`).", SETUP)
    if code in _BAD_KEYS:
        return CliError("AWS did not accept your credentials. Check your profile or access keys.", SETUP)
    if code in _DENIED:
        return CliError(
            f"AWS denied access ({code}). Your IAM identity needs the staff permissions on {target.where()}.",
            SETUP,
        )
    return CliError(
        f"AWS could not complete the request right now ({code}). Nothing was changed; try again.", UNAVAILABLE
    )


# ---------------------------------------------------------------------------
# Service log lines stay off stdout (it carries tables, JSON and CSV)
# ---------------------------------------------------------------------------

_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_handlers: list[logging.Handler] = []


class _Discard(logging.Handler):
    """Takes the service's JSON log lines and drops them."""

    def __init__(self) -> None:
        from chalicelib.logs import JsonLineFormatter

        super().__init__()
        # logs.configure() adds its stdout handler unless a JSON-line handler is present.
        self.setFormatter(JsonLineFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        pass


@contextlib.contextmanager
def quiet_service_logs() -> Iterator[None]:
    """Silence the service's log lines for the run (nested and threaded runs share one swap)."""
    global _quiet_depth, _saved_handlers
    logger = logging.getLogger("next_steps")
    with _quiet_lock:
        if _quiet_depth == 0:
            _saved_handlers = list(logger.handlers)
            logger.handlers = [_Discard()]
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                logger.handlers = _saved_handlers


# ---------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------


def _safe_text(value: Any) -> str:
    """Text fit for a terminal: control characters (escape sequences) become '?'."""
    text = "" if value is None else str(value)
    return "".join(c if c == "\n" or unicodedata.category(c) != "Cc" else "?" for c in text)


def _when(stamp: str | None, seconds: bool = True, zone: tzinfo = UTC) -> str:
    if not stamp:
        return "—"
    try:
        moment = datetime.fromisoformat(stamp).astimezone(zone)
    except ValueError:
        return _safe_text(stamp)
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M")


def clinic_zone(name: str) -> tzinfo:
    """The clinic's time zone by its IANA name, or a plain error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CliError(
            f"'{_safe_text(name)}' in CLINIC_TIMEZONE is not a time zone. Use a name like America/New_York, or --utc.",
            SETUP,
        ) from exc


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{seconds / 3600:.1f} h"


def _yes(value: Any) -> str:
    return "—" if value is None else ("yes" if value else "no")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], max_width: int = 32) -> str:
    """A plain text table with a header rule; long cells are cut with an ellipsis."""
    cells = [[_short(_safe_text(c).replace("\n", " "), max_width) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def public(lead: dict[str, Any]) -> dict[str, Any]:
    """A lead without the pipeline's internal keys (what --json and exports carry)."""
    return {k: v for k, v in lead.items() if k not in INTERNAL}


def _name(lead: dict[str, Any]) -> str:
    return " ".join(p for p in (lead.get("first_name"), lead.get("last_name")) if p)


def _reach(lead: dict[str, Any]) -> str:
    channel = lead.get("preferred_contact")
    value = lead.get("email") if channel == "email" else lead.get("phone")
    return str(value or lead.get("phone") or lead.get("email") or "")


def _delivery_seconds(lead: dict[str, Any]) -> float | None:
    """Seconds from the lead (or its restore from spam) to its staff notice."""
    sent = lead.get("notice_sent_at")
    start = lead.get("restored_at") or lead.get("created_at")
    if not sent or not start:
        return None
    try:
        return (datetime.fromisoformat(sent) - datetime.fromisoformat(start)).total_seconds()
    except ValueError:
        return None


def _section(title: str, rows: list[tuple[str, Any]], keep_empty: bool = True) -> list[str]:
    lines = []
    for label, value in rows:
        if value in (None, "", []) and not keep_empty:
            continue
        text = _safe_text("—" if value in (None, "", []) else value)
        first, *rest = text.split("\n")
        lines.append(f"  {label:<18}{first}")
        lines += [f"  {'':<18}{line}" for line in rest]
    return [title, *lines] if lines else []


def render_lead(lead: dict[str, Any], zone: tzinfo = UTC) -> str:
    """The whole lead, in labelled sections, times in `zone`."""
    when = functools.partial(_when, zone=zone)
    consent = lead.get("consent") or {}
    source = lead.get("source") or {}
    priority = lead.get("priority", "normal")
    delivery = _delivery_seconds(lead)
    came = "was restored" if lead.get("restored_at") else "came in"
    expires = lead.get("expires_at")
    known = {
        "lead_id",
        "status",
        "priority",
        "created_at",
        "updated_at",
        *ANSWER_FIELDS,
        "consent",
        "source",
        "notice_state",
        "notice_attempts",
        "notice_sent_at",
        "notice_message_id",
        "notice_last_error",
        "notice_due_at",
        "reminded_at",
        "spam_reasons",
        "restored_at",
        "started_at",
        "expires_at",
    }
    blocks = [
        [f"Lead {lead['lead_id']}" + ("   URGENT: call back at once" if priority == "urgent" else "")],
        _section(
            "Work",
            [
                ("Status", lead.get("status")),
                (
                    "Priority",
                    "urgent (the message suggests a crisis)" if priority == "urgent" else priority,
                ),
                ("Received", when(lead.get("created_at"))),
                ("Last changed", when(lead.get("updated_at")) if lead.get("updated_at") else None),
            ],
        ),
        _section(
            "Person",
            [
                ("First name", lead.get("first_name")),
                ("Last name", lead.get("last_name")),
                ("Email", lead.get("email")),
                ("Phone", lead.get("phone")),
                ("Prefers", CHANNELS.get(lead.get("preferred_contact", ""), lead.get("preferred_contact"))),
                ("Best time", "any time" if lead.get("best_time", "any") == "any" else lead.get("best_time")),
            ],
        ),
        _section(
            "Request",
            [
                ("Service", SERVICES.get(lead.get("service", ""), lead.get("service"))),
                ("Tried", ", ".join(TREATMENTS.get(t, t) for t in lead.get("tried_treatments") or [])),
                ("Message", lead.get("message")),
            ],
        ),
        _section(
            "Consent",
            [
                ("To contact", _yes(consent.get("contact"))),
                ("To text", _yes(consent.get("text"))),
                ("Privacy notice", consent.get("notice_version")),
                ("Given at", when(consent.get("at"))),
                ("From IP", consent.get("ip")),
                ("Browser", consent.get("user_agent")),
            ],
        ),
        _section(
            "Staff notice",
            [
                ("State", NOTICE_STATES.get(lead.get("notice_state", ""), lead.get("notice_state"))),
                ("Attempts", lead.get("notice_attempts")),
                (
                    "Sent at",
                    when(lead.get("notice_sent_at"))
                    + (f" ({_duration(delivery)} after it {came})" if delivery is not None else "")
                    if lead.get("notice_sent_at")
                    else None,
                ),
                ("Message id", lead.get("notice_message_id")),
                ("Last error", lead.get("notice_last_error")),
                ("Next try", when(lead.get("notice_due_at")) if lead.get("notice_due_at") else None),
                ("Reminder sent", when(lead.get("reminded_at")) if lead.get("reminded_at") else None),
            ],
        ),
        _section(
            "Source",
            [
                ("Page", source.get("source_page")),
                ("Referrer", source.get("referrer")),
                *[("UTM " + k.removeprefix("utm_"), v) for k, v in sorted(source.items()) if k.startswith("utm_")],
                ("Form opened", when(lead.get("started_at")) if lead.get("started_at") else None),
            ],
            keep_empty=False,
        ),
        _section(
            "Spam",
            [
                ("Flagged for", ", ".join(lead.get("spam_reasons") or [])),
                ("Restored", when(lead.get("restored_at")) if lead.get("restored_at") else None),
            ],
            keep_empty=False,
        ),
        _section(
            "Record",
            [
                (
                    "Deleted after",
                    datetime.fromtimestamp(int(expires), UTC).strftime("%Y-%m-%d") if expires else "kept",
                ),
            ],
        ),
        _section(
            "Other",
            [
                (k, json.dumps(v) if isinstance(v, (dict, list)) else v)
                for k, v in sorted(public(lead).items())
                if k not in known
            ],
            keep_empty=False,
        ),
    ]
    return "\n".join("\n".join(block) for block in blocks if block)


def render_list(items: list[dict[str, Any]], zone: tzinfo = UTC, width: int = LIST_WIDTH) -> str:
    """Two lines a lead, each at most `width` columns: the whole id, when, status, priority, notice;
    then who, how and when they prefer, and where to reach them (cut with an ellipsis)."""
    lines = []
    for it in items:
        when = datetime.fromisoformat(str(it.get("created_at"))).astimezone(zone).strftime("%b %d %H:%M")
        urgent = it.get("priority") == "urgent"
        head = (
            f"{_safe_text(it['lead_id'])}  {when}  {_safe_text(it.get('status', '')):<9}  "
            f"{'URGENT' if urgent else 'normal'}  notice {_safe_text(it.get('notice_state', ''))}"
        )
        who = " · ".join(
            _safe_text(part).replace("\n", " ")
            for part in (_name(it), f"{it.get('preferred_contact', '')}, {it.get('best_time', 'any')}", _reach(it))
            if part
        )
        lines += [_short(head, width), _short("    " + who, width)]
    return "\n".join(lines)


def neutralise(cell: str) -> str:
    """Make a CSV cell inert in spreadsheets: a leading =, +, -, @, tab or CR gets an apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_row(lead: dict[str, Any]) -> list[str]:
    """One lead as CSV cells, each neutralised."""
    consent = lead.get("consent") or {}
    source = lead.get("source") or {}
    values: dict[str, Any] = dict(lead)
    values.update({f"consent_{k}": v for k, v in consent.items()})
    values["consent_notice_version"] = consent.get("notice_version")
    values["consent_user_agent"] = consent.get("user_agent")
    values.update(source)
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


def to_csv(items: list[dict[str, Any]]) -> str:
    """Leads as CSV for spreadsheets: a BOM first so Excel reads UTF-8, formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for lead in items:
        writer.writerow(csv_row(lead))
    return "\ufeff" + buffer.getvalue()


# ---------------------------------------------------------------------------
# Queries over the by_status index
# ---------------------------------------------------------------------------

_START = "start"


def encode_cursor(statuses: Sequence[str], positions: dict[str, Any]) -> str:
    """The --next token: the statuses listed and, for each, the last lead shown (None when done)."""
    raw = json.dumps({"s": list(statuses), "p": positions}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[list[str], dict[str, Any]]:
    """Read a --next token back, or say it is not one."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        statuses = [str(s) for s in data["s"]]
        positions = dict(data["p"])
        if not set(statuses) <= set(ALL_STATUSES):
            raise ValueError
        for value in positions.values():
            if value is not None and not (isinstance(value, list) and len(value) == 2):
                raise ValueError
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise CliError(
            "That --next value is not one this tool printed. Copy it again from the last page.", USAGE
        ) from exc
    return statuses, positions


def list_page(
    store: Any, statuses: Sequence[str], limit: int, positions: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of leads across statuses, newest first, and the positions for the next page.

    Each status is its own query on by_status; the pages are merged by
    created time and each status remembers the last lead it contributed.
    """
    fetched: dict[str, list[dict[str, Any]]] = {}
    more: dict[str, bool] = {}
    for status in statuses:
        pos = positions.get(status, _START)
        if pos is None:
            continue
        start = None
        if pos != _START:
            created, lead_id = pos
            start = {
                "pk": {"S": f"LEAD#{lead_id}"},
                "sk": {"S": "LEAD"},
                "status": {"S": status},
                "created_at": {"S": created},
            }
        items, last = store.query_index(
            "by_status", "status", status, "created_at", newest_first=True, limit=limit, cursor=start
        )
        fetched[status] = items
        more[status] = last is not None
    # heapq.merge keeps each status's own index order, so what one status
    # contributes is always a prefix of its page.
    merged = heapq.merge(*fetched.values(), key=lambda it: str(it.get("created_at", "")), reverse=True)
    shown = list(itertools.islice(merged, limit))
    after = dict(positions)
    for status, items in fetched.items():
        taken = [it for it in shown if it.get("status") == status]
        if taken:
            after[status] = [taken[-1]["created_at"], taken[-1]["lead_id"]]
        if len(taken) == len(items) and not more[status]:
            after[status] = None
    done = all(after.get(s, _START) is None for s in statuses)
    return shown, None if done else after


def in_range(store: Any, statuses: Sequence[str], lower: str | None, upper: str | None) -> list[dict[str, Any]]:
    """Every lead of these statuses created within [lower, upper], oldest first."""
    found: list[dict[str, Any]] = []
    for status in statuses:
        found += store.iter_index("by_status", "status", status, "created_at", lower=lower, upper=upper)
    return sorted(found, key=lambda it: (str(it.get("created_at", "")), str(it.get("lead_id", ""))))


def parse_moment(text: str, end_of_day: bool) -> str:
    """A date (YYYY-MM-DD) or ISO date and time, as the sortable created_at form."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.max if end_of_day else time.min, UTC)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError as exc:
        raise CliError(f"'{text}' is not a date. Use YYYY-MM-DD or an ISO time like 2026-05-01T09:00Z.", USAGE) from exc
    return iso(moment)


def _range(args: argparse.Namespace, default_days: int | None) -> tuple[str | None, str | None]:
    lower = parse_moment(args.since, end_of_day=False) if args.since else None
    upper = parse_moment(args.until, end_of_day=True) if args.until else None
    if lower is None and default_days:
        start = datetime.now(UTC).date() - timedelta(days=default_days - 1)
        lower = iso(datetime.combine(start, time.min, UTC))
    if lower and upper and lower > upper:
        raise CliError("--since is after --until.", USAGE)
    return lower, upper


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


@dataclass
class Io:
    """Where a run reads and writes."""

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO

    def say(self, text: str = "") -> None:
        """A line of the command's output."""
        print(text, file=self.stdout)

    def note(self, text: str) -> None:
        """A message for the person, not for a pipe."""
        print(text, file=self.stderr)

    def json(self, data: Any) -> None:
        """Machine-readable output."""
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str), file=self.stdout)


def _lead_id(raw: str) -> str:
    lead_id = raw.strip().upper()
    if not is_lead_id(lead_id):
        raise CliError(
            f"'{_safe_text(raw)}' is not a lead id (26 letters and digits, as in the staff notice).", NOT_FOUND
        )
    return lead_id


def _get(ctx: Context, lead_id: str) -> dict[str, Any]:
    from chalicelib import service

    try:
        return service.get_lead(lead_id, ctx.deps)
    except LeadNotFound as exc:
        raise CliError(f"No lead with id {lead_id} in {ctx.target.where()}.", NOT_FOUND) from exc


def cmd_list(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Leads by status, newest first, a page at a time."""
    asked = list(dict.fromkeys(args.status or ([Status.SPAM.value] if args.spam else OPEN_STATUSES)))
    positions: dict[str, Any] = {}
    statuses = asked
    if args.next:
        statuses, positions = decode_cursor(args.next)
        if (args.status or args.spam) and asked != statuses:
            raise CliError("--next continues the list it came from; leave out --status/--spam or start again.", USAGE)
    items, after = list_page(ctx.deps.store, statuses, args.limit, positions)
    cursor = encode_cursor(statuses, after) if after is not None else None
    if args.json:
        io_.json({"statuses": statuses, "leads": [public(it) for it in items], "next": cursor})
        return OK
    what = ", ".join(statuses)
    if not items:
        io_.say(f"No {'more ' if args.next else ''}leads with status {what}.")
    else:
        width = (
            max(LIST_WIDTH, shutil.get_terminal_size((LIST_WIDTH, 24)).columns) if io_.stdout.isatty() else LIST_WIDTH
        )
        io_.say(render_list(items, ctx.zone, width))
        io_.say(f"\n{len(items)} lead(s), status {what}, newest first.")
        io_.say(f"Times are {_zone_name(ctx.zone)}" + ("." if _zone_name(ctx.zone) == "UTC" else " (--utc for UTC)."))
    if cursor:
        io_.say(f"More: {ctx.prog} list --next {cursor}")
    if Status.SPAM.value not in statuses:
        io_.say(f"Suspected spam is listed apart: {ctx.prog} list --spam")
    return OK


def _zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or "UTC")


def cmd_show(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """The whole lead."""
    lead = _get(ctx, _lead_id(args.lead_id))
    if args.json:
        io_.json(public(lead))
    else:
        io_.say(render_lead(lead, ctx.zone))
    return OK


def cmd_status(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Record what happened, only if nobody changed the lead since it was seen."""
    from chalicelib import service

    lead_id = _lead_id(args.lead_id)
    seen = args.from_status or _get(ctx, lead_id)["status"]
    if seen == Status.SPAM.value:
        raise CliError(f"Lead {lead_id} is marked as spam. Restore it first: {ctx.prog} restore {lead_id}", CONFLICT)
    try:
        updated = service.set_status(lead_id, args.new_status, ctx.deps, expected=seen)
    except LeadNotFound as exc:
        raise CliError(f"No lead with id {lead_id} in {ctx.target.where()}.", NOT_FOUND) from exc
    except StatusConflict as exc:
        now = _get(ctx, lead_id)["status"]
        raise CliError(
            f"Lead {lead_id} was changed by someone else: it is now {now}, not {seen}. "
            f"Nothing was changed. Check it with `{ctx.prog} show {lead_id}` and try again if still needed.",
            CONFLICT,
        ) from exc
    if args.json:
        io_.json({"lead_id": lead_id, "previous": seen, "status": updated["status"]})
    else:
        io_.say(f"Lead {lead_id}: {seen} -> {updated['status']}.")
    return OK


def cmd_restore(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Spam back to new, and its staff notice sent."""
    from chalicelib import service

    lead_id = _lead_id(args.lead_id)
    ctx.ready_to_notify()
    try:
        outcome = service.restore_spam(lead_id, ctx.deps)
    except LeadNotFound as exc:
        raise CliError(f"No lead with id {lead_id} in {ctx.target.where()}.", NOT_FOUND) from exc
    except StatusConflict as exc:
        now = _get(ctx, lead_id)["status"]
        raise CliError(f"Lead {lead_id} is not spam (it is {now}); nothing was changed.", CONFLICT) from exc
    if args.json:
        io_.json({"lead_id": lead_id, "status": "new", "notice": outcome})
        return OK
    words = {
        "sent": "staff notice sent",
        "failed": "the staff notice could not be sent now; it is retried automatically",
        "dead": f"the staff notice could not be sent; `{ctx.prog} redrive` tries again",
        "skipped": "its staff notice is already on its way",
    }
    io_.say(f"Lead {lead_id} restored to new; {words.get(outcome, outcome)}.")
    return OK


def cmd_erase(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Delete a lead and everything keyed by it, after typing its id."""
    from chalicelib import service

    lead_id = _lead_id(args.lead_id)
    lead = _get(ctx, lead_id)
    if not args.yes:
        io_.note(
            f"This erases lead {lead_id} ({_safe_text(_name(lead))}, "
            f"received {_when(lead.get('created_at'), zone=ctx.zone)}) "
            "and everything stored with it. It cannot be undone."
        )
        print("Type the lead id to erase it: ", end="", file=io_.stderr, flush=True)
        typed = io_.stdin.readline().strip().upper()
        if typed != lead_id:
            io_.note("Not erased.")
            return ABORTED
    try:
        service.erase_lead(lead_id, ctx.deps)
    except LeadNotFound as exc:
        raise CliError(f"No lead with id {lead_id} in {ctx.target.where()}.", NOT_FOUND) from exc
    if args.json:
        io_.json({"lead_id": lead_id, "erased": True})
    else:
        io_.say(f"Lead {lead_id} erased.")
    return OK


def cmd_export(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Leads created in a time range, as CSV or JSON."""
    lower, upper = _range(args, default_days=None)
    statuses = args.status or (ALL_STATUSES if args.include_spam else REAL_STATUSES)
    items = [public(it) for it in in_range(ctx.deps.store, statuses, lower, upper)]
    text = to_csv(items) if args.format == "csv" else json.dumps(items, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        path = Path(args.output)
        # The file holds personal details: readable by its owner only.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        io_.note(f"Exported {len(items)} lead(s) to {path}.")
    else:
        buffer = getattr(io_.stdout, "buffer", None)
        if buffer is not None:
            io_.stdout.flush()
            buffer.write(text.encode("utf-8"))
            buffer.flush()
        else:
            io_.stdout.write(text)
    return OK


def cmd_redrive(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Send failed and dead notices again."""
    from chalicelib import service

    ctx.ready_to_notify()
    tally = service.redrive(ctx.deps)
    if args.json:
        io_.json(tally)
        return OK
    tried = sum(tally.values())
    if not tried:
        io_.say("No failed or dead notices: nothing to send.")
    else:
        io_.say(
            f"Sent again: {tally['sent']} sent, {tally['failed']} failed (retried automatically), "
            f"{tally['dead']} dead, {tally['skipped']} already in progress."
        )
    return OK if not (tally["failed"] or tally["dead"]) else UNAVAILABLE


def compute_stats(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Leads by day and status, and how long staff notices took."""
    by_day: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys(ALL_STATUSES, 0)
    states: dict[str, int] = {}
    delays: list[float] = []
    for lead in items:
        day = str(lead.get("created_at", ""))[:10]
        status = str(lead.get("status", ""))
        row = by_day.setdefault(day, dict.fromkeys(ALL_STATUSES, 0))
        row[status] = row.get(status, 0) + 1
        totals[status] = totals.get(status, 0) + 1
        state = str(lead.get("notice_state", ""))
        states[state] = states.get(state, 0) + 1
        delay = _delivery_seconds(lead)
        if delay is not None:
            delays.append(delay)
    return {
        "by_day": dict(sorted(by_day.items())),
        "totals": totals,
        "total": len(items),
        "notices": {
            "states": dict(sorted(states.items())),
            "delivered": len(delays),
            "median_seconds": round(statistics.median(delays), 3) if delays else None,
            "max_seconds": round(max(delays), 3) if delays else None,
        },
    }


def cmd_stats(ctx: Context, args: argparse.Namespace, io_: Io) -> int:
    """Leads by day and status; notice delivery times."""
    lower, upper = _range(args, default_days=args.days)
    stats = compute_stats(in_range(ctx.deps.store, ALL_STATUSES, lower, upper))
    stats = {"since": lower, "until": upper, **stats}
    if args.json:
        io_.json(stats)
        return OK
    span = f"{(lower or 'the start')[:10]} to {(upper or datetime.now(UTC).isoformat())[:10]}"
    io_.say(f"Leads by day (UTC), {span}")
    if not stats["by_day"]:
        io_.say("  none")
    else:
        headers = ["Day", *ALL_STATUSES, "total"]
        rows = [[day, *(str(c[s]) for s in ALL_STATUSES), str(sum(c.values()))] for day, c in stats["by_day"].items()]
        rows.append(["total", *(str(stats["totals"][s]) for s in ALL_STATUSES), str(stats["total"])])
        io_.say(render_table(headers, rows))
    notices = stats["notices"]
    io_.say("")
    io_.say("Staff notices")
    if notices["delivered"]:
        io_.say(
            f"  delivered {notices['delivered']}: median {_duration(notices['median_seconds'])}, "
            f"slowest {_duration(notices['max_seconds'])} from lead to notice"
        )
    else:
        io_.say("  none delivered in this range")
    states = notices["states"]
    io_.say("  by state: " + (", ".join(f"{k} {v}" for k, v in states.items()) or "none"))
    if states.get("failed") or states.get("dead"):
        io_.say(f"  Failed or dead notices can be sent again: {ctx.prog} redrive")
    return OK


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def _stage_variable(stage: str | None) -> Iterator[None]:
    """STAGE set for the run, so a notice it sends (restore, redrive) names this stage in its `./leads` hint."""
    if stage is None:
        yield
        return
    previous = os.environ.get("STAGE")
    os.environ["STAGE"] = stage
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("STAGE", None)
        else:
            os.environ["STAGE"] = previous


def _opt(args: argparse.Namespace, name: str) -> Any:
    return getattr(args, name, None)


def _common_options() -> argparse.ArgumentParser:
    # SUPPRESS lets these go before or after the command without one erasing the other.
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_argument_group("where the leads are")
    where.add_argument(
        "--local",
        action="store_true",
        default=argparse.SUPPRESS,
        help="the `make run` stack (127.0.0.1:$EMULATOR_PORT, default 5000); no AWS account needed",
    )
    where.add_argument("--stage", default=argparse.SUPPRESS, help="stage name: table next-steps-STAGE-leads")
    where.add_argument("--table", default=argparse.SUPPRESS, help="table name (default: LEADS_TABLE or from --stage)")
    where.add_argument(
        "--topic", default=argparse.SUPPRESS, help="staff topic ARN (default: STAFF_TOPIC_ARN or found by name)"
    )
    where.add_argument("--region", default=argparse.SUPPRESS, help="AWS region (default: your AWS config)")
    where.add_argument("--profile", default=argparse.SUPPRESS, help="AWS profile (default: AWS_PROFILE)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="JSON output for scripts")
    common.add_argument(
        "--utc",
        action="store_true",
        default=argparse.SUPPRESS,
        help=f"show times in UTC (default: the clinic's time zone, CLINIC_TIMEZONE, else {CLINIC_TIMEZONE})",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The command line, with a help text for every command."""
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[common],
        description="See, work, export and erase Next Steps leads with your own AWS credentials.",
        epilog="Exit codes: 0 done, 1 not confirmed, 2 bad command line, 3 no such lead, "
        "4 someone else changed it first, 5 credentials/region/table/topic missing, 6 AWS unavailable.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func: Callable[[Context, argparse.Namespace, Io], int], text: str) -> Any:
        sub = commands.add_parser(name, parents=[common], help=text, description=text)
        sub.set_defaults(func=func)
        return sub

    def positive(raw: str) -> int:
        value = int(raw)
        if not 1 <= value <= 500:
            raise argparse.ArgumentTypeError("must be between 1 and 500")
        return value

    listing = command("list", cmd_list, "Leads by status, newest first (default: new, contacted, scheduled).")
    listing.add_argument("--status", action="append", choices=ALL_STATUSES, help="a status to list (repeatable)")
    listing.add_argument("--spam", action="store_true", help="list suspected spam (kept apart from real leads)")
    listing.add_argument("--limit", type=positive, default=25, help="leads per page (default 25)")
    listing.add_argument("--next", metavar="CURSOR", help="the next page, as printed under the last one")

    show = command("show", cmd_show, "The whole lead, clearly labelled.")
    show.add_argument("lead_id", metavar="ID")

    status = command("status", cmd_status, "Record what happened: contacted, scheduled, closed or declined.")
    status.add_argument("lead_id", metavar="ID")
    status.add_argument("new_status", metavar="STATUS", choices=WORK_STATUSES, help=", ".join(WORK_STATUSES))
    status.add_argument(
        "--from",
        dest="from_status",
        choices=ALL_STATUSES,
        help="only if the lead is still in this status (the one you saw); default: its status now",
    )

    restore = command("restore", cmd_restore, "Move a lead flagged as spam back to new and send its staff notice.")
    restore.add_argument("lead_id", metavar="ID")

    erase = command("erase", cmd_erase, "Erase a lead and everything stored with it (asks you to type the id).")
    erase.add_argument("lead_id", metavar="ID")
    erase.add_argument("--yes", action="store_true", help="do not ask (for scripts)")

    export = command("export", cmd_export, "Leads received in a time range, as CSV (for spreadsheets) or JSON.")
    export.add_argument("--since", help="first day (YYYY-MM-DD, UTC) or ISO time; default: the first lead")
    export.add_argument("--until", help="last day, inclusive, or ISO time; default: now")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE (readable by you only) instead of stdout")
    export.add_argument("--status", action="append", choices=ALL_STATUSES, help="only these statuses (repeatable)")
    export.add_argument("--include-spam", action="store_true", help="also export suspected spam")

    command("redrive", cmd_redrive, "Send failed and dead staff notices again.")

    stats = command("stats", cmd_stats, "Leads by day and status, and how fast staff notices went out.")
    stats.add_argument("--since", help="first day (YYYY-MM-DD, UTC); default: --days ago")
    stats.add_argument("--until", help="last day, inclusive; default: today")
    stats.add_argument("--days", type=positive, default=30, help="days back when --since is not given (default 30)")
    return parser


def main(
    argv: Sequence[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    env: dict[str, str] | None = None,
) -> int:
    """Run one command; return its exit code. Every failure is a sentence, never a traceback."""
    io_ = Io(stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a bad command line (argparse has printed why)
        return int(exc.code or 0)
    args.json = bool(_opt(args, "json"))
    environ = dict(os.environ if env is None else env)
    target = resolve_target(args, environ)
    zone_name = environ.get("CLINIC_TIMEZONE") or _stage_env(target.stage).get("CLINIC_TIMEZONE") or CLINIC_TIMEZONE
    from botocore.exceptions import BotoCoreError, ClientError

    with quiet_service_logs(), _stage_variable(target.stage if env is None else None):
        try:
            ctx = Context(target, environ, UTC if _opt(args, "utc") else clinic_zone(zone_name))
            return int(args.func(ctx, args, io_))
        except CliError as exc:
            io_.note(exc.message)
            return exc.code
        except LeadNotFound as exc:
            io_.note(f"No lead with id {exc} in {target.where()}.")
            return NOT_FOUND
        except (StorageUnavailable, ClientError, BotoCoreError) as exc:
            problem = explain(exc, target)
            io_.note(problem.message)
            return problem.code
        except KeyboardInterrupt:
            io_.note("Stopped.")
            return 130


if __name__ == "__main__":
    raise SystemExit(main())
