"""Start `make run`'s local stack on free ports and talk to it over HTTP."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# A second notice for a lead, if the stack ever sent one, would show by then:
# the pump reads the stream every 0.5 s, and the sweeper runs every 30 s and
# sends what is still unsent NOTICE_GRACE_SECONDS (30 locally) after a lead arrived.
SWEEPER_GRACE = 30
SWEEP_EVERY = 30
LATE_DUPLICATE_AFTER = SWEEPER_GRACE + SWEEP_EVERY + 5
_LEAD_IN_NOTICE = re.compile(r"Lead ([0-9A-HJKMNP-TV-Z]{26})\.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalStack:
    """One running `python -m scripts.local_stack`, its terminal output collected line by line.

    Its log file (JSON log lines, API access lines) is its own temporary file, `log_file`.
    """

    def __init__(self, ports: tuple[int, int, int] | None = None) -> None:
        self.api_port, self.emulator_port, self.web_port = ports or (free_port(), free_port(), free_port())
        self.staff_port = free_port()
        self.lines: list[str] = []
        self.log_file = Path(tempfile.mkdtemp(prefix="next-steps-e2e-")) / "next-steps.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            API_PORT=str(self.api_port),
            EMULATOR_PORT=str(self.emulator_port),
            WEB_PORT=str(self.web_port),
            STAFF_PORT=str(self.staff_port),
            LOG_FILE=str(self.log_file),
            PYTHONUNBUFFERED="1",
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scripts.local_stack"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("Next Steps is running", 90)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if text in self.output:
                return True
            if self.proc.poll() is not None:
                raise RuntimeError("local stack exited:\n" + self.output)
            time.sleep(0.1)
        return False

    @property
    def log(self) -> str:
        """What the stack wrote to its log file so far."""
        try:
            return self.log_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def web_origin(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        source: str | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request to the API; `source` binds the client to that local address (e.g. 127.0.0.2)."""
        if source is not None:
            conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=10, source_address=(source, 0))
            try:
                conn.request(method, path, body=body, headers=headers or {})
                response = conn.getresponse()
                return response.status, dict(response.headers), response.read()
            finally:
                conn.close()
        req = urllib.request.Request(self.api + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def staff(
        self,
        path: str,
        token: str | None = None,
        method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """One staff API request, with `Authorization: Bearer <token>` when a token is given; JSON bodies both ways."""
        status, hdrs, raw = self.staff_raw(path, token, method, body, headers)
        is_json = "json" in hdrs.get("Content-Type", "")
        return status, hdrs, json.loads(raw) if raw and is_json else (raw.decode() if raw else None)

    def staff_raw(
        self,
        path: str,
        token: str | None = None,
        method: str = "GET",
        body: Any = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One staff API request (with any `extra` headers); the answer's body as bytes."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        headers.update(extra or {})
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.staff_port}{path}", data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def cognito(self) -> Any:
        import boto3

        return boto3.client(
            "cognito-idp",
            endpoint_url=f"http://127.0.0.1:{self.emulator_port}",
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def post_json(
        self, body: dict[str, Any], headers: dict[str, str] | None = None, source: str | None = None
    ) -> tuple[int, dict[str, str], Any]:
        status, hdrs, raw = self.request(
            "POST",
            "/leads",
            json.dumps(body).encode(),
            {"Content-Type": "application/json", **(headers or {})},
            source=source,
        )
        return status, hdrs, json.loads(raw) if raw else None

    def dynamodb(self) -> Any:
        import boto3

        return boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{self.emulator_port}",
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def stored_leads(self) -> list[dict[str, Any]]:
        """Every lead item in the stack's table."""
        from chalicelib.store import from_item

        db, items, kwargs = self.dynamodb(), [], {"TableName": "next-steps-local-leads"}
        while True:
            page = db.scan(**kwargs)
            items += [from_item(i) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [i for i in items if i["pk"].startswith("LEAD#") and i["sk"] == "LEAD"]

    def notice_counts(self) -> Counter[str]:
        """How many staff notices the stack printed for each lead id."""
        return Counter(_LEAD_IN_NOTICE.findall(self.output))

    def wait_past_late_duplicates(self) -> list[dict[str, Any]]:
        """Wait until every stored lead is old enough that a late second notice would have shown; the leads."""
        leads = self.stored_leads()
        newest = max((datetime.fromisoformat(lead["created_at"]) for lead in leads), default=None)
        if newest is not None:
            time.sleep(max(0.0, LATE_DUPLICATE_AFTER - (datetime.now(UTC) - newest).total_seconds()))
        time.sleep(1)  # and one more pump poll for a notice read at the last moment
        return leads

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)
