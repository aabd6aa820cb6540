"""`make run`: the whole stack on this machine, against moto server.

Starts moto server, creates the table and topic from infra/stack.yaml, runs
`chalice local` (scripts/local_api.py: each connection's own address is its
client IP, as behind API Gateway), serves the demo page from web/ on another
origin, and pumps the table's stream into `notify_staff`, printing each notice
as staff would read it. The terminal shows only the notices; the JSON log
lines and the API's access lines go to LOG_FILE (default .local/next-steps.log).
Ctrl-C stops everything it started.
"""

from __future__ import annotations

import functools
import http.server
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
STAGE = "local"


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def log_path() -> Path:
    """Where the JSON log lines and access lines go: LOG_FILE, else .local/next-steps.log."""
    return Path(os.environ.get("LOG_FILE") or ROOT / ".local" / "next-steps.log").resolve()


def log_to_file(path: Path) -> None:
    """Send this process's service log lines to the log file instead of the terminal."""
    from chalicelib.logs import JsonLineFormatter

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonLineFormatter())
    logger = logging.getLogger("next_steps")
    # logs.configure() adds its stdout handler only when no JSON-line handler is present.
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _wait_http(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"Timed out waiting for {url}")


def aws_env(emulator_port: int) -> dict[str, str]:
    """Environment that points every AWS call at the local emulator."""
    env = {k: v for k, v in os.environ.items() if k != "AWS_PROFILE"}
    env.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{emulator_port}",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",  # noqa: S106 - the emulator accepts any
        AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
        # The emulator checks the staff sign-in's TOTP codes, as Cognito does.
        MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP="true",
    )
    return env


def create_stack(env: dict[str, str]) -> dict[str, str]:
    """Deploy infra/stack.yaml into the emulator; return its outputs (the staff pool's too)."""
    import json

    import boto3
    import yaml

    from scripts.staff_pool import create_staff_pool, split_template

    template = yaml.safe_load((ROOT / "infra" / "stack.yaml").read_text())
    # moto's CloudFormation cannot make the Cognito resources: they are made
    # from the same definition through the cognito-idp API (scripts/staff_pool.py).
    without_cognito, _ = split_template(template)
    cognito = boto3.client("cognito-idp", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION)
    staff = create_staff_pool(cognito, template, {"Stage": STAGE}, REGION)
    cfn = boto3.client("cloudformation", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION)
    name = f"next-steps-{STAGE}"
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(without_cognito),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": STAGE}],
    )
    for _ in range(100):
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if stack["StackStatus"].endswith("_COMPLETE"):
            break
        time.sleep(0.1)
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])} | staff


def _wait_port(port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"Timed out waiting for 127.0.0.1:{port}")


# The demo pages, whose form is pointed at the local API: English, and Spanish at /es/.
DEMO_PAGES = {
    "/": "index.html",
    "/index.html": "index.html",
    "/es/": "es/index.html",
    "/es/index.html": "es/index.html",
}


class _WebHandler(http.server.SimpleHTTPRequestHandler):
    """Serves web/, pointing the demo pages' forms (English at /, Spanish at /es/) at the local API."""

    api_url = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in DEMO_PAGES:
            page = (ROOT / "web" / DEMO_PAGES[path]).read_text(encoding="utf-8")
            body = page.replace("http://127.0.0.1:8000/leads", self.api_url).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


def serve_web(port: int, api_url: str) -> http.server.ThreadingHTTPServer:
    """Serve the demo page on its own origin, in a thread."""
    handler = functools.partial(_WebHandler, directory=str(ROOT / "web"))
    _WebHandler.api_url = api_url
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def show_notice(notice: Any) -> None:
    """Print a notice as the intake staff would read it (SMS, then email)."""
    bar = "=" * 64
    print(
        f"\n{bar}\nSTAFF NOTICE ({notice.priority})\n--- SMS ---\n{notice.sms_text()}\n"
        f"--- Email: {notice.subject()} ---\n{notice.email_text()}\n{bar}\n",
        flush=True,
    )


def run_pump(env: dict[str, str], outputs: dict[str, str], stop: threading.Event) -> None:
    """Feed stream records to notify_staff, as Lambda's event source mapping would."""
    os.environ.update(env)
    os.environ.update(
        STAGE=STAGE,
        LEADS_TABLE=outputs["TableName"],
        STAFF_TOPIC_ARN=outputs["TopicArn"],
        LEADS_STREAM_ARN=outputs["StreamArn"],
    )
    import boto3

    import app
    from chalicelib import runtime
    from chalicelib.notices import Notice, SnsPublisher, SpamDigest
    from scripts.stream import StreamReader

    class ShowingPublisher(SnsPublisher):
        def publish(self, notice: Notice | SpamDigest) -> str:
            message_id = super().publish(notice)
            show_notice(notice)
            return message_id

    deps = runtime.deps()
    deps.publisher_factory = lambda: ShowingPublisher(boto3.client("sns"), outputs["TopicArn"])
    reader = StreamReader(boto3.client("dynamodbstreams"), outputs["StreamArn"], REGION)
    last_sweep = 0.0
    while not stop.is_set():
        try:
            for event in reader.events():
                app.notify_staff(event, None)
            if time.monotonic() - last_sweep > 30:
                app.sweeper(
                    {
                        "version": "0",
                        "detail-type": "Scheduled Event",
                        "resources": [],
                        "time": "",
                        "region": REGION,
                        "account": "",
                        "id": "local",
                        "source": "aws.events",
                        "detail": {},
                    },
                    None,
                )
                last_sweep = time.monotonic()
        except Exception as exc:
            print(f"[pump] {type(exc).__name__}: {exc}; retrying", file=sys.stderr, flush=True)
        stop.wait(0.5)


def main() -> int:
    """Start everything; stop everything on Ctrl-C."""
    api_port, emulator_port, web_port = _port("API_PORT", 8000), _port("EMULATOR_PORT", 5000), _port("WEB_PORT", 8080)
    staff_port = _port("STAFF_PORT", 8001)
    busy = [str(p) for p in (api_port, emulator_port, web_port, staff_port) if not _free(p)]
    if busy:
        print(
            f"Port(s) {', '.join(busy)} already in use. Stop what uses them, or set API_PORT, "
            "STAFF_PORT, EMULATOR_PORT and WEB_PORT.",
            file=sys.stderr,
        )
        return 1

    env = aws_env(emulator_port)
    os.environ.update(env)
    logs = log_path()
    logs.parent.mkdir(parents=True, exist_ok=True)
    logs.write_text("", encoding="utf-8")  # each run starts a fresh log
    log_to_file(logs)
    children: list[subprocess.Popen[bytes]] = []
    stop = threading.Event()

    def shutdown(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    try:
        children.append(
            subprocess.Popen(
                # moto server, with each DynamoDB request made atomic (scripts/emulator.py)
                [sys.executable, "-m", "scripts.emulator", "-H", "127.0.0.1", "-p", str(emulator_port)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        _wait_http(f"http://127.0.0.1:{emulator_port}/moto-api/")
        outputs = create_stack(env)
        web_origins = f"http://127.0.0.1:{web_port},http://localhost:{web_port}"
        api_env = dict(
            env,
            STAGE=STAGE,
            LEADS_TABLE=outputs["TableName"],
            STAFF_TOPIC_ARN=outputs["TopicArn"],
            LEADS_STREAM_ARN=outputs["StreamArn"],
            ALLOWED_ORIGINS=web_origins,
            THANK_YOU_URL=f"http://127.0.0.1:{web_port}/thank-you.html",
            # Every notice links to its lead in the staff inbox this stack serves.
            STAFF_INBOX_URL=f"http://127.0.0.1:{staff_port}/staff/",
            THANK_YOU_URL_ES=f"http://127.0.0.1:{web_port}/es/gracias.html",
        )
        os.environ.update(api_env)
        # No autoreload: a file saved anywhere in the project would restart the
        # API mid-request (refused connections), and the in-process stream pump
        # would keep the old code anyway. Restart `make run` to pick up changes.
        chalice_cmd = [sys.executable, "-m", "scripts.local_api", "local", "--no-autoreload", "--stage", STAGE]
        with logs.open("ab") as api_log:  # the API's JSON lines and access lines
            children.append(
                subprocess.Popen(
                    [*chalice_cmd, "--host", "127.0.0.1", "--port", str(api_port)],
                    cwd=ROOT,
                    env=dict(api_env, PYTHONUNBUFFERED="1"),
                    stdout=api_log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            # The staff API: its own Chalice app (staff/), checking every token itself.
            staff_env = dict(
                api_env,
                STAFF_ISSUER=outputs["StaffIssuer"],
                STAFF_CLIENT_ID=outputs["StaffClientId"],
                STAFF_USER_POOL_ARN=outputs["StaffUserPoolArn"],
                STAFF_JWKS_URL=f"http://127.0.0.1:{emulator_port}/{outputs['StaffUserPoolId']}/.well-known/jwks.json",
                # The inbox page signs in against the emulator's Cognito (CORS is open there).
                STAFF_COGNITO_ENDPOINT=f"http://127.0.0.1:{emulator_port}/",
                PYTHONUNBUFFERED="1",
            )
            staff_cmd = [sys.executable, "-m", "scripts.local_api", "--project-dir", str(ROOT / "staff")]
            children.append(
                subprocess.Popen(
                    [*staff_cmd, *chalice_cmd[3:], "--host", "127.0.0.1", "--port", str(staff_port)],
                    cwd=ROOT,
                    env=staff_env,
                    stdout=api_log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        try:
            _wait_http(f"http://127.0.0.1:{api_port}/health")
            _wait_port(staff_port)
        except SystemExit:
            print(f"The API did not start; see {logs}", file=sys.stderr)
            raise
        api_url = f"http://127.0.0.1:{api_port}/leads"
        web = serve_web(web_port, api_url)
        pump = threading.Thread(target=run_pump, args=(api_env, outputs, stop), daemon=True)
        pump.start()
        print(
            f"\nNext Steps is running.\n"
            f"  API        http://127.0.0.1:{api_port}  (POST /leads, GET /health)\n"
            f"  Inbox      http://127.0.0.1:{staff_port}/staff/  (the staff inbox: sign in there)\n"
            f"  Staff API  http://127.0.0.1:{staff_port}  (/staff/leads, /staff/me ...; staff pool "
            f"{outputs['StaffUserPoolId']}; each data route needs a staff ID token)\n"
            f"  Demo page  http://127.0.0.1:{web_port}/  (in Spanish: http://127.0.0.1:{web_port}/es/)\n"
            f"  Emulator   http://127.0.0.1:{emulator_port}  (moto server; table {outputs['TableName']})\n"
            f"  Logs       {logs}  (JSON log lines and API access lines)\n"
            f"Add a staff member: make staff-user EMAIL=you@clinic.example ROLE=intake NAME='Your Name'\n"
            f"  (prints their password, TOTP secret and an otpauth:// URI for an authenticator app;\n"
            f"  NAME, optional, is how colleagues see them in the inbox, else their email)\n"
            f"Staff notices appear below. Ctrl-C stops everything.\n",
            flush=True,
        )
        while not stop.is_set():
            if any(child.poll() is not None for child in children):
                print(f"A local service stopped unexpectedly (see {logs}); shutting down.", file=sys.stderr)
                break
            stop.wait(0.5)
        web.shutdown()
    finally:
        stop.set()
        for child in reversed(children):
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
